// Helpers for the hostile-input and secret-leak suites: a byte-counting TCP proxy in front of
// the suite's Dovecot (proves that a rejected call sent nothing to the IMAP server), MCP
// clients over stdio and HTTP that can send raw JSON text, and the value generators that
// derive hostile arguments from the live tools/list schemas.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { binary, initializeMessage, mcpPost, startHttpServer } from './lib.mjs';

/// A TCP proxy to 127.0.0.1:`targetPort` (or, with targetPort null, a listener that records and
/// closes) that counts connections and bytes in both directions. TLS passes through unread:
/// the counts are what matters ("did the server talk to IMAP at all?").
export function countingProxy(targetPort) {
  return new Promise((resolve) => {
    const stats = { connections: 0, clientBytes: 0, serverBytes: 0, lastActivity: Date.now() };
    const sockets = new Set();
    const srv = net.createServer((client) => {
      stats.connections++;
      stats.lastActivity = Date.now();
      sockets.add(client);
      client.on('error', () => {});
      client.on('close', () => sockets.delete(client));
      client.on('data', (d) => { stats.clientBytes += d.length; stats.lastActivity = Date.now(); });
      if (targetPort == null) { client.destroy(); return; }
      const upstream = net.connect(targetPort, '127.0.0.1');
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => { sockets.delete(upstream); client.destroy(); });
      client.on('close', () => upstream.destroy());
      upstream.on('data', (d) => { stats.serverBytes += d.length; stats.lastActivity = Date.now(); });
      client.pipe(upstream);
      upstream.pipe(client);
    });
    srv.listen(0, '127.0.0.1', () => resolve({
      port: srv.address().port,
      stats,
      /// A copy of the counters, for before/after comparisons.
      snapshot() { return { connections: stats.connections, clientBytes: stats.clientBytes, serverBytes: stats.serverBytes }; },
      /// Resolves once no byte moved for `ms` (background work of an earlier call has settled).
      async quiet(ms = 25) {
        while (Date.now() - stats.lastActivity < ms) await new Promise((r) => setTimeout(r, ms / 3));
      },
      close() { for (const s of sockets) s.destroy(); srv.close(); },
    }));
  });
}

/// A TCP port with nothing listening (an IMAP server that is down).
export function closedPort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

/// A stdio MCP client that sends raw JSON text and matches answers by id in O(1); answers
/// with id null (parse errors) are queued in order.
export function stdioClient(env, { args = [], cwd } = {}) {
  const child = spawn(binary, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const pending = new Map();
  const nullIds = [];
  const nullWaiters = [];
  const all = { stdout: '', stderr: '' };
  let buffer = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdin.on('error', () => {});
  child.stdout.on('data', (d) => {
    all.stdout += d;
    buffer += d;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const msg = JSON.parse(line); // stdout must hold nothing but JSON-RPC lines
      if (msg.id === null || msg.id === undefined) {
        if (msg.id === null) {
          const w = nullWaiters.shift();
          if (w) w(msg); else nullIds.push(msg);
        }
        continue;
      }
      const p = pending.get(msg.id);
      if (p) { pending.delete(msg.id); p(msg); }
    }
  });
  child.stderr.on('data', (d) => { all.stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let next = 1;
  const withTimeout = (promise, what, ms) => Promise.race([promise, new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`no answer to ${what} within ${ms} ms`)), ms).unref())]);
  const client = {
    child, exited, output: all,
    /// Sends raw text (one line) and resolves with the answer carrying `id` (or the next
    /// id-null answer when id is null).
    sendRaw(text, id, timeoutMs = 60000) {
      const answer = id === null
        ? (nullIds.length ? Promise.resolve(nullIds.shift()) : new Promise((r) => nullWaiters.push(r)))
        : new Promise((r) => pending.set(id, r));
      if (Buffer.isBuffer(text)) child.stdin.write(Buffer.concat([text, Buffer.from('\n')]));
      else child.stdin.write(text + '\n');
      return withTimeout(answer, `request ${id}`, timeoutMs);
    },
    request(method, params, timeoutMs) {
      const id = next++;
      return this.sendRaw(JSON.stringify({ jsonrpc: '2.0', id, method, params }), id, timeoutMs);
    },
    /// tools/call whose arguments are JSON text (so numbers such as 1e400 stay literal).
    callRaw(name, argumentsText, timeoutMs) {
      const id = next++;
      return this.sendRaw(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":${JSON.stringify(name)},"arguments":${argumentsText}}}`, id, timeoutMs);
    },
    call(name, args, timeoutMs) { return this.callRaw(name, JSON.stringify(args), timeoutMs); },
    async initialize() {
      const init = await this.sendRaw(JSON.stringify(initializeMessage('init')), 'init');
      child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
      return init;
    },
    async close() { child.stdin.end(); return exited; },
  };
  return client;
}

/// The same interface over Streamable HTTP: one server process, one session.
export async function httpClient(env, { token } = {}) {
  const server = await startHttpServer(env);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const init = await mcpPost(server.url, initializeMessage('init'), { token, agent });
  assert.equal(init.status, 200, init.body);
  const session = init.headers['mcp-session-id'];
  const note = await mcpPost(server.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { session, token, agent });
  assert.equal(note.status, 202);
  let next = 1;
  const post = async (text) => {
    const r = await mcpPost(server.url, text, { session, token, agent });
    return r;
  };
  return {
    server, session, agent,
    output: { get stdout() { return server.stdout(); }, get stderr() { return server.stderr(); } },
    /// Posts raw text; resolves with the JSON-RPC answer, or {httpStatus, body} for a non-JSON answer.
    async sendRaw(text) {
      const r = await post(text);
      if (r.status === 200 && /^application\/json/.test(r.headers['content-type'] ?? '')) return r.json();
      if (r.status === 200 && /^text\/event-stream/.test(r.headers['content-type'] ?? '')) {
        const events = r.body.split('\n\n').filter((e) => e.includes('data: '));
        return JSON.parse(events[events.length - 1].split('data: ')[1]);
      }
      let body;
      try { body = JSON.parse(r.body); } catch { body = r.body; }
      return { httpStatus: r.status, body };
    },
    request(method, params) { return this.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: next++, method, params })); },
    callRaw(name, argumentsText) {
      return this.sendRaw(`{"jsonrpc":"2.0","id":${next++},"method":"tools/call","params":{"name":${JSON.stringify(name)},"arguments":${argumentsText}}}`);
    },
    call(name, args) { return this.callRaw(name, JSON.stringify(args)); },
    async close() { agent.destroy(); return server.stop('SIGTERM'); },
  };
}

/// The `{code, message, details}` of a hard tool error, or null when the call did not fail hard.
export function hardError(msg) {
  if (!msg.result || msg.result.isError !== true) return null;
  return JSON.parse(msg.result.content[0].text).error;
}

/// Asserts a hard `invalid_input` whose message names `argument`.
export function assertInvalidInput(msg, argument, context) {
  const err = hardError(msg);
  assert.ok(err, `${context}: expected a hard invalid_input, got ${JSON.stringify(msg).slice(0, 400)}`);
  assert.equal(err.code, 'invalid_input', `${context}: ${err.message}`);
  assert.match(err.message, /^invalid input: /, context);
  assert.ok(err.message.includes(argument), `${context}: '${err.message.slice(0, 300)}' names ${argument}`);
  assert.equal(msg.result.structuredContent, undefined, context);
}

/// JSON Schema type(s) of a property as a list (no type = anything is accepted by the schema).
export function typesOf(schema) {
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

/// Every argument slot of a tool that holds a string: [{name, path, wrap(value) -> argument value}].
/// Array-of-string arguments yield a slot for their first item.
export function stringSlots(tool) {
  const slots = [];
  for (const [name, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
    const types = typesOf(schema);
    if (types.includes('string')) slots.push({ name, schema, path: name, wrap: (v) => v });
    else if (types.includes('array') && typesOf(schema.items ?? {}).includes('string'))
      slots.push({ name, schema: schema.items, path: `${name}[0]`, wrap: (v) => [v] });
  }
  return slots;
}

/// Values of JSON types other than the property's own (as JSON text).
export function wrongTypeValues(schema) {
  const types = typesOf(schema);
  const samples = [
    ['string', '"x"'], ['string', '"10"'], ['string', '"true"'],
    ['integer', '7'], ['number', '2.5'], ['boolean', 'true'], ['boolean', 'false'],
    ['null', 'null'], ['array', '[]'], ['array', '["x"]'], ['object', '{}'], ['object', '{"a":"b"}'],
  ];
  return samples.filter(([t]) => !types.includes(t) && !(t === 'integer' && types.includes('number')))
    .map(([, text]) => text);
}

/// Number literals outside an integer property's range or not integers at all, as JSON text
/// (so that 2^64 and friends are sent exactly as written).
export function badNumberValues(schema) {
  const out = ['-1', '1.5', '10.0', '1e2', '-9223372036854775809', '18446744073709551616',
    '99999999999999999999999999999999', '1e300', '-1e300', '4294967296', '9223372036854775807',
    '18446744073709551615', '-9223372036854775808', '0.000001'];
  if (schema.minimum !== undefined) out.push(String(schema.minimum - 1));
  if (schema.maximum !== undefined) out.push(String(schema.maximum + 1));
  const inRange = (text) => {
    if (!/^-?\d+$/.test(text)) return false;
    const v = BigInt(text);
    return (schema.minimum === undefined || v >= BigInt(schema.minimum)) &&
      (schema.maximum === undefined || v <= BigInt(schema.maximum));
  };
  return out.filter((t) => !inRange(t));
}

/// The secret in every form a leak could take: raw, JSON-escaped, IMAP-quoted, base64 (alone
/// and as AUTHENTICATE PLAIN), URL-encoded, hex.
export function secretForms(secret, user) {
  const forms = new Map();
  const add = (label, value) => { if (value && !forms.has(value)) forms.set(value, label); };
  add('raw', secret);
  add('json-escaped', JSON.stringify(secret).slice(1, -1));
  add('imap-quoted', secret.replace(/[\\"]/g, (c) => '\\' + c));
  add('base64', Buffer.from(secret).toString('base64'));
  add('base64url', Buffer.from(secret).toString('base64url'));
  if (user) add('sasl-plain', Buffer.from(`\0${user}\0${secret}`).toString('base64'));
  add('url-encoded', encodeURIComponent(secret));
  add('form-encoded', encodeURIComponent(secret).replace(/%20/g, '+'));
  add('hex', Buffer.from(secret).toString('hex'));
  // A distinctive inner piece survives partial escaping of quotes and spaces.
  const core = /[A-Za-z]+-[0-9a-f]{8,}-[A-Za-z]+/.exec(secret);
  if (core) add('core', core[0]);
  return [...forms].map(([value, label]) => ({ label, value }));
}

/// Asserts that `text` holds no form of any secret; the failure message shows where, with the
/// secret itself replaced (so a failing run does not leak it into the test log either).
export function assertNoSecret(text, secrets, where) {
  for (const { name, forms } of secrets) {
    for (const { label, value } of forms) {
      const at = text.indexOf(value);
      if (at < 0) continue;
      let excerpt = text.slice(Math.max(0, at - 120), at + value.length + 120);
      for (const s of secrets) for (const f of s.forms) excerpt = excerpt.split(f.value).join(`<${s.name}:${f.label}>`);
      assert.fail(`${where}: the ${name} appears (${label} form): ...${excerpt}...`);
    }
  }
}

/// POSTs raw bytes (possibly invalid UTF-8) to the MCP endpoint over a plain socket, so that
/// an early answer (413 before the body is read) and the close that follows are both seen.
/// Resolves {status, body}.
export function rawPostBytes(url, bytes, { session, token, headers = {} } = {}) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const h = { Host: u.host, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
      'Content-Length': bytes.length, Connection: 'close', ...headers };
    if (session) h['Mcp-Session-Id'] = session;
    if (token) h.Authorization = `Bearer ${token}`;
    const head = `POST ${u.pathname} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
    const sock = net.connect(Number(u.port), u.hostname);
    const chunks = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      sock.destroy();
      const text = Buffer.concat(chunks).toString();
      const status = Number((/^HTTP\/1\.1 (\d{3})/.exec(text) ?? [])[1] ?? 0);
      const at = text.indexOf('\r\n\r\n');
      resolve({ status, body: at >= 0 ? text.slice(at + 4) : '' });
    };
    sock.on('data', (d) => chunks.push(d));
    sock.on('close', finish);
    sock.on('error', () => {}); // EPIPE / ECONNRESET after an early answer: 'close' follows
    sock.on('connect', () => { sock.write(head); sock.write(bytes); });
  });
}
