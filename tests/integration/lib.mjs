// Shared helpers for the end-to-end tests: locating the server binary and the official
// MCP TypeScript SDK (installed by scripts/setup into a project-local node_modules).
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
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
export function rawServer(env, args = []) {
  const child = spawn(binary, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const messages = [];
  const waiters = [];
  child.stdout.on('data', (d) => {
    stdout += d.toString();
    let nl;
    while ((nl = stdout.indexOf('\n')) >= 0) {
      const line = stdout.slice(0, nl);
      stdout = stdout.slice(nl + 1);
      messages.push(line);
      for (const w of [...waiters]) w();
    }
  });
  child.stderr.on('data', (d) => { stderr += d.toString(); });
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
