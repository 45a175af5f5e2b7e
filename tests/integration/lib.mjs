// Shared helpers for the end-to-end tests: locating the server binary and the official
// MCP TypeScript SDK (installed by scripts/setup into a project-local node_modules).
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { after } from 'node:test';
import path from 'node:path';

export const binary = process.env.IMAP_MCP_BINARY;
if (!binary) throw new Error('IMAP_MCP_BINARY is not set (run through ctest / scripts/test)');

const modules = process.env.IMAP_MCP_NODE_MODULES;
if (!modules) throw new Error('IMAP_MCP_NODE_MODULES is not set (run through scripts/test)');
const require = createRequire(path.join(modules, 'noop.js'));

export const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
export const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');

/// Environment for the server: only what we pass (the SDK does not inherit the parent env).
export function baseEnv(extra = {}) {
  return { PATH: process.env.PATH, MAIL_IMAP_LOG_LEVEL: 'debug', ...extra };
}

/// Environment pointing the `default` account (or `segment`) at the suite's Dovecot.
export function dovecotEnv(extra = {}, { segment = 'DEFAULT', user = 'demo', pass = 'demo-password' } = {}) {
  const port = process.env.IMAP_MCP_TEST_IMAP_PORT;
  const ca = process.env.IMAP_MCP_TEST_CA;
  if (!port || !ca) throw new Error('IMAP_MCP_TEST_IMAP_PORT / IMAP_MCP_TEST_CA not set');
  return baseEnv({
    [`MAIL_IMAP_${segment}_HOST`]: 'localhost',
    [`MAIL_IMAP_${segment}_PORT`]: port,
    [`MAIL_IMAP_${segment}_USER`]: user,
    [`MAIL_IMAP_${segment}_PASS`]: pass,
    MAIL_IMAP_CA_CERT_PATH: ca,
    ...extra,
  });
}

/// Connects the official SDK client over stdio; returns {client, transport, stderr()}.
export async function connectSdk(env, args = []) {
  const transport = new StdioClientTransport({ command: binary, args, env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d.toString(); });
  const client = new Client({ name: 'imap-mcp-tests', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, stderr: () => stderr };
}

/// A raw line-level stdio session: send lines, await responses by id.
/// Servers spawned by rawServer that have not exited. A test that fails before it stops its
/// server must not leave it running: the test file's process would wait for it, and the suite
/// would hang until ctest's timeout instead of reporting the failure. This hook runs before the
/// files' own teardown (it is registered first), so it only arms a timer: whatever is still
/// running 15 s later is killed (the timer itself keeps nobody waiting).
const liveServers = new Set();
after(() => {
  setTimeout(() => {
    for (const child of liveServers) child.kill('SIGKILL');
  }, 15000).unref();
});

export function rawServer(env, args = []) {
  const child = spawn(binary, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  liveServers.add(child);
  child.on('exit', () => liveServers.delete(child));
  let stdout = '';
  let stderr = '';
  const messages = [];
  const waiters = [];
  // Decode as one UTF-8 stream: a character split across two chunks must not become U+FFFD.
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    stdout += d;
    let nl;
    while ((nl = stdout.indexOf('\n')) >= 0) {
      const line = stdout.slice(0, nl);
      stdout = stdout.slice(nl + 1);
      messages.push(line);
      for (const w of [...waiters]) w();
    }
  });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    exited,
    lines: messages,
    stderr: () => stderr,
    send(obj) { child.stdin.write((typeof obj === 'string' ? obj : JSON.stringify(obj)) + '\n'); },
    /// Resolves with the first parsed message satisfying pred (scans all received so far).
    async next(pred, timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const line of messages) {
          const msg = JSON.parse(line);
          if (pred(msg)) return msg;
        }
        if (Date.now() > deadline) throw new Error('timed out waiting for a message; got: ' + messages.join('\n'));
        await new Promise((resolve) => { waiters.push(resolve); setTimeout(resolve, 50); });
        waiters.length = 0;
      }
    },
    byId(id, timeoutMs) { return this.next((m) => m.id === id, timeoutMs); },
    close() { child.stdin.end(); },
  };
}

export function initialize(server, id = 0, protocolVersion = '2025-11-25') {
  server.send({ jsonrpc: '2.0', id, method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  return server.byId(id);
}

/// Parses the envelope of a tool result: structuredContent, or the error body of isError.
export function envelope(result) {
  if (result.isError) return JSON.parse(result.content[0].text);
  return result.structuredContent;
}

// -- Streamable HTTP mode (http*.test.mjs, conformance.test.mjs) ---------------------------

import net from 'node:net';
import http from 'node:http';

export const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

/// A TCP port that was free a moment ago on 127.0.0.1.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/// Starts `imap-mcp --transport http` on a free loopback port and waits until it listens.
/// Returns {child, port, url, base, stderr(), exited, stop(signal)}.
export async function startHttpServer(env, { args = [], host = '127.0.0.1', timeoutMs = 15000 } = {}) {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(binary, ['--transport', 'http', '--listen', `${host}:${port}`, ...args],
      { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => { stderr += d.toString(); });
    child.stdout.on('data', (d) => { stdout += d.toString(); });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const ready = await new Promise((resolve) => {
      const deadline = setTimeout(() => resolve(false), timeoutMs);
      const check = () => {
        if (/serving MCP Streamable HTTP/.test(stderr)) { clearTimeout(deadline); resolve(true); }
      };
      child.stderr.on('data', check);
      exited.then(() => { clearTimeout(deadline); resolve(/serving MCP Streamable HTTP/.test(stderr)); });
    });
    if (!ready) {
      child.kill('SIGKILL');
      await exited;
      // Someone took the port between our probe and the bind: try another one.
      if (attempt < 3 && /cannot listen/.test(stderr)) continue;
      throw new Error('HTTP server did not start:\n' + stderr);
    }
    const base = `http://${host}:${port}`;
    return {
      child, port, base, url: `${base}/mcp`, exited,
      stderr: () => stderr,
      stdout: () => stdout,
      async stop(signal = 'SIGTERM') {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
    };
  }
}

/// Connects the official SDK client over Streamable HTTP (optionally with a bearer token).
export async function connectHttpSdk(url, { token, name = 'imap-mcp-tests' } = {}) {
  const requestInit = token ? { headers: { Authorization: `Bearer ${token}` } } : undefined;
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/// One raw HTTP request with node:http (which, unlike fetch, lets tests set Host and keep
/// full control of headers). Resolves {status, headers, body, json()}.
export function rawRequest(url, { method = 'POST', headers = {}, body, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode, headers: res.headers, body: text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      });
    req.on('error', reject);
    if (body !== undefined) req.write(typeof body === 'string' ? body : JSON.stringify(body));
    req.end();
  });
}

/// JSON-RPC over the MCP endpoint with the headers a well-behaved client sends.
export function mcpPost(url, message, { session, token, headers = {}, agent } = {}) {
  const h = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers };
  if (session) h['Mcp-Session-Id'] = session;
  if (token) h.Authorization = `Bearer ${token}`;
  return rawRequest(url, { method: 'POST', headers: h, body: message, agent });
}

/// The initialize request of a raw client.
export function initializeMessage(id = 1, protocolVersion = '2025-11-25') {
  return { jsonrpc: '2.0', id, method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw-http', version: '1' } } };
}

/// Opens a raw session: initialize + notifications/initialized; returns the session id.
export async function openRawSession(url, { token, agent } = {}) {
  const init = await mcpPost(url, initializeMessage(), { token, agent });
  if (init.status !== 200) throw new Error(`initialize answered ${init.status}: ${init.body}`);
  const session = init.headers['mcp-session-id'];
  const note = await mcpPost(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { session, token, agent });
  if (note.status !== 202) throw new Error(`initialized answered ${note.status}`);
  return session;
}

/// Sends raw bytes on a fresh TCP connection and collects everything until the server
/// closes it (or `timeoutMs`). Resolves {data, closed, ms}.
export function rawSocket(port, chunks, { timeoutMs = 30000, pauseMs = 0 } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ data, closed, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('data', (d) => { data += d.toString(); });
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
    sock.on('connect', async () => {
      for (const c of chunks) {
        if (done) return;
        sock.write(c);
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
  });
}
