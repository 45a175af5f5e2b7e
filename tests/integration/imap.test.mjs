// IMAP engine end to end: real Dovecot over real TLS, connection failures, deadlines,
// supervision across a server outage, and the per-account connection cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { baseEnv, dovecotEnv, rawServer, initialize, connectSdk, envelope } from './lib.mjs';

const source = process.env.IMAP_MCP_SOURCE_DIR;
const imapServer = path.join(source, 'scripts', 'imap-server');
const SECRET = 'Zq-distinctive-imap-secret-4417';

let nextId = 1;
async function call(s, name, args = {}, timeoutMs = 20000) {
  const id = nextId++;
  s.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
  const msg = await s.byId(id, timeoutMs);
  assert.ok(msg.result, `tools/call ${name} answered with a result: ${JSON.stringify(msg)}`);
  return msg.result;
}

async function started(env) {
  const s = rawServer(env);
  await initialize(s, 'init');
  return s;
}

async function stop(s) {
  s.close();
  const { code } = await s.exited;
  assert.equal(code, 0);
}

/// A TCP listener on a free port; `onConnection` decides what it does.
async function listener(onConnection) {
  const sockets = new Set();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
    onConnection(sock);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: server.address().port,
    accepted: () => sockets.size,
    close: () => {
      for (const sock of sockets) sock.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => resolve(p)); });
  });
}

function fdCount(pid) { return fs.readdirSync(`/proc/${pid}/fd`).length; }
function threadCount(pid) { return fs.readdirSync(`/proc/${pid}/task`).length; }

/// Established TCP connections from `pid` to 127.0.0.1:port (via ss, run as root in CI).
function connectionsTo(pid, port) {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', 'dst', `127.0.0.1:${port}`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(`pid=${pid},`)).length;
}

test('verify and list mailboxes against Dovecot over verified TLS', async () => {
  const s = await started(dovecotEnv());
  const verify = envelope(await call(s, 'imap_verify_account', {}));
  assert.equal(verify.data.ok, true);
  assert.equal(verify.data.status, 'ok');
  assert.ok(verify.data.capabilities.includes('IMAP4rev1'));
  assert.ok(verify.data.capabilities.includes('MOVE'));
  assert.equal(verify.data.server.host, 'localhost');
  assert.equal(typeof verify.data.latency_ms, 'number');

  const listed = envelope(await call(s, 'imap_list_mailboxes', { account_id: 'default' }));
  const names = listed.data.mailboxes.map((m) => m.name);
  assert.equal(names[0], 'INBOX');
  assert.ok(names.includes('Entwürfe'), 'modified UTF-7 names are decoded');
  const sent = listed.data.mailboxes.find((m) => m.name === 'Sent');
  assert.equal(sent.special_use, '\\Sent');
  assert.equal(sent.delimiter, '/');

  const unknown = await call(s, 'imap_list_mailboxes', { account_id: 'nosuch' });
  assert.equal(unknown.isError, true);
  assert.equal(envelope(unknown).error.code, 'not_found');
  await stop(s);
});

test('wrong password is auth_failed and never echoes the password', async () => {
  const env = dovecotEnv({}, { pass: SECRET });
  const s = await started(env);
  const verify = envelope(await call(s, 'imap_verify_account', {}));
  assert.equal(verify.data.ok, false);
  assert.equal(verify.data.status, 'failed');
  assert.equal(verify.data.issues[0].code, 'auth_failed');
  const listed = await call(s, 'imap_list_mailboxes', {});
  assert.equal(listed.isError, true);
  assert.equal(envelope(listed).error.code, 'auth_failed');
  assert.match(envelope(listed).error.message, /^authentication failed: /);
  await stop(s);
  assert.ok(!s.lines.join('\n').includes(SECRET));
  assert.ok(!s.stderr().includes(SECRET));
});

test('wrong password under concurrent calls: every call is auth_failed, none internal', async () => {
  // A connection whose login fails answers its job and ends; its end reaches the account ahead
  // of the answer when the account is busy (CAF delivers down messages first). The answer must
  // still be the one given, and it must start the back-off.
  for (let round = 0; round < 3; round++) {
    const s = await started(dovecotEnv({ MAIL_IMAP_DEFAULT_MAX_CONNECTIONS: '8' }, { pass: SECRET }));
    const calls = [];
    for (let i = 0; i < 60; i++) calls.push(i % 2 ? call(s, 'imap_list_mailboxes', {}, 60000) : call(s, 'imap_search_messages', { mailbox: 'INBOX' }, 60000));
    const results = await Promise.all(calls);
    const codes = results.map((r) => (r.isError ? envelope(r).error.code : 'ok'));
    assert.deepEqual([...new Set(codes)], ['auth_failed'], `round ${round}: ${JSON.stringify(codes)}`);
    await stop(s);
    assert.ok(!s.lines.join('\n').includes(SECRET));
  }
});

test('connection failures: closed port, silent listener, plaintext server, insecure config', async () => {
  const closed = await freePort();
  const silent = await listener(() => {}); // accepts, never speaks
  const plain = await listener((sock) => sock.write('* OK IMAP4rev1 plaintext server ready\r\n'));
  const env = baseEnv({
    MAIL_IMAP_CLOSED_HOST: '127.0.0.1', MAIL_IMAP_CLOSED_PORT: String(closed),
    MAIL_IMAP_CLOSED_USER: 'u', MAIL_IMAP_CLOSED_PASS: SECRET,
    MAIL_IMAP_SILENT_HOST: '127.0.0.1', MAIL_IMAP_SILENT_PORT: String(silent.port),
    MAIL_IMAP_SILENT_USER: 'u', MAIL_IMAP_SILENT_PASS: SECRET,
    MAIL_IMAP_PLAIN_HOST: '127.0.0.1', MAIL_IMAP_PLAIN_PORT: String(plain.port),
    MAIL_IMAP_PLAIN_USER: 'u', MAIL_IMAP_PLAIN_PASS: SECRET,
    MAIL_IMAP_INSECURE_HOST: '127.0.0.1', MAIL_IMAP_INSECURE_SECURE: 'false',
    MAIL_IMAP_INSECURE_USER: 'u', MAIL_IMAP_INSECURE_PASS: SECRET,
    MAIL_IMAP_GREETING_TIMEOUT_MS: '1000',
  });
  const s = await started(env);
  try {
    let t0 = Date.now();
    let r = envelope(await call(s, 'imap_list_mailboxes', { account_id: 'closed' }));
    assert.equal(r.error.code, 'internal');
    assert.match(r.error.message, /connect/i);
    assert.equal(r.error.details.retryable, true);
    assert.ok(Date.now() - t0 < 3000, 'a refused connection fails fast');

    t0 = Date.now();
    r = envelope(await call(s, 'imap_list_mailboxes', { account_id: 'silent' }));
    const took = Date.now() - t0;
    assert.equal(r.error.code, 'timeout');
    assert.equal(r.error.details.retryable, true);
    assert.ok(took >= 900 && took < 2500, `greeting timeout honoured (${took} ms)`);

    r = envelope(await call(s, 'imap_verify_account', { account_id: 'plain' }));
    assert.equal(r.data.ok, false);
    assert.match(r.data.issues[0].message, /TLS/);

    r = envelope(await call(s, 'imap_list_mailboxes', { account_id: 'insecure' }));
    assert.equal(r.error.message, 'invalid input: insecure IMAP is not supported; set MAIL_IMAP_INSECURE_SECURE=true');
  } finally {
    await stop(s);
    await silent.close();
    await plain.close();
  }
  assert.ok(!s.stderr().includes(SECRET));
});

test('the tool deadline answers a stuck call in time with a retryable timeout', async () => {
  const silent = await listener(() => {});
  const env = baseEnv({
    MAIL_IMAP_DEFAULT_HOST: '127.0.0.1', MAIL_IMAP_DEFAULT_PORT: String(silent.port),
    MAIL_IMAP_DEFAULT_USER: 'u', MAIL_IMAP_DEFAULT_PASS: 'p',
    MAIL_IMAP_GREETING_TIMEOUT_MS: '60000', MAIL_IMAP_TOOL_TIMEOUT_MS: '1500',
  });
  const s = await started(env);
  const t0 = Date.now();
  const r = envelope(await call(s, 'imap_list_mailboxes', {}));
  const took = Date.now() - t0;
  assert.equal(r.error.code, 'timeout');
  assert.equal(r.error.details.retryable, true);
  assert.ok(took >= 1400 && took < 2500, `answered at the deadline (${took} ms)`);
  // The server keeps serving.
  const listed = envelope(await call(s, 'imap_list_accounts', {}));
  assert.equal(listed.data.accounts.length, 1);
  await stop(s);
  await silent.close();
});

test('40 concurrent calls share a pool of at most MAX_CONNECTIONS=2', async () => {
  const s = await started(dovecotEnv({ MAIL_IMAP_DEFAULT_MAX_CONNECTIONS: '2', MAIL_IMAP_LOG_LEVEL: 'info' }));
  const port = process.env.IMAP_MCP_TEST_IMAP_PORT;
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, connectionsTo(s.child.pid, port));
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const calls = [];
  for (let i = 0; i < 40; i++) calls.push(call(s, 'imap_list_mailboxes', {}, 60000));
  const results = await Promise.all(calls);
  sampling = false;
  await sampler;
  for (const r of results) {
    assert.ok(!r.isError, JSON.stringify(r));
    assert.ok(r.structuredContent.data.mailboxes.some((m) => m.name === 'INBOX'));
  }
  assert.ok(peak >= 1, 'connections were observed');
  assert.ok(peak <= 2, `never more than 2 IMAP connections (saw ${peak})`);
  await stop(s);
});

test('supervision: an outage fails fast and retryably, recovery is automatic, nothing leaks', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-mcp-outage-'));
  const port = await freePort();
  const startDovecot = () => execFileSync(imapServer, ['start', dir, '--port', String(port), '--user', 'outage:outage-pass'], { encoding: 'utf8' });
  const stopDovecot = () => execFileSync(imapServer, ['stop', dir], { encoding: 'utf8' });
  startDovecot();
  const env = baseEnv({
    MAIL_IMAP_DEFAULT_HOST: 'localhost', MAIL_IMAP_DEFAULT_PORT: String(port),
    MAIL_IMAP_DEFAULT_USER: 'outage', MAIL_IMAP_DEFAULT_PASS: 'outage-pass',
    MAIL_IMAP_CA_CERT_PATH: path.join(dir, 'tls', 'ca.pem'),
    MAIL_IMAP_LOG_LEVEL: 'info',
  });
  const s = await started(env);
  try {
    for (let i = 0; i < 3; i++) assert.ok(!(await call(s, 'imap_list_mailboxes', {})).isError);
    const fdsBefore = fdCount(s.child.pid);
    const threadsBefore = threadCount(s.child.pid);

    stopDovecot();
    // Dovecot's session processes die just after the master: wait until ours are gone.
    const gone = Date.now() + 5000;
    while (connectionsTo(s.child.pid, port) > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      const r = envelope(await call(s, 'imap_list_mailboxes', {}));
      assert.ok(r.error, 'fails during the outage');
      assert.equal(r.error.details.retryable, true, JSON.stringify(r.error));
      assert.ok(Date.now() - t0 < 3000, 'fails fast during the outage');
    }

    startDovecot();
    let ok = false;
    const deadline = Date.now() + 15000;
    while (!ok && Date.now() < deadline) {
      const r = await call(s, 'imap_list_mailboxes', {});
      ok = !r.isError;
      if (!ok) await new Promise((res) => setTimeout(res, 250));
    }
    assert.ok(ok, 'recovers after the server is back');
    for (let i = 0; i < 5; i++) assert.ok(!(await call(s, 'imap_list_mailboxes', {})).isError);
    assert.ok(fdCount(s.child.pid) <= fdsBefore + 2, `no fd leak (${fdsBefore} -> ${fdCount(s.child.pid)})`);
    assert.ok(threadCount(s.child.pid) <= threadsBefore + 2, `no thread leak (${threadsBefore} -> ${threadCount(s.child.pid)})`);
  } finally {
    await stop(s);
    try { stopDovecot(); } catch { /* already stopped */ }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the SDK validates the IMAP tools\' structured output against their schemas', async () => {
  const { client, transport } = await connectSdk(dovecotEnv());
  try {
    const v = await client.callTool({ name: 'imap_verify_account', arguments: {} });
    assert.equal(v.structuredContent.data.ok, true);
    const l = await client.callTool({ name: 'imap_list_mailboxes', arguments: {} });
    assert.ok(l.structuredContent.data.mailboxes.length >= 5);
  } finally {
    await transport.close();
  }
});

test('notifications/cancelled stops a call: no response for it, the session keeps serving', async () => {
  const silent = await listener(() => {});
  const env = baseEnv({
    MAIL_IMAP_DEFAULT_HOST: '127.0.0.1', MAIL_IMAP_DEFAULT_PORT: String(silent.port),
    MAIL_IMAP_DEFAULT_USER: 'u', MAIL_IMAP_DEFAULT_PASS: 'p',
    MAIL_IMAP_GREETING_TIMEOUT_MS: '60000', MAIL_IMAP_TOOL_TIMEOUT_MS: '3000',
  });
  const s = await started(env);
  s.send({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'imap_list_mailboxes', arguments: {} } });
  await new Promise((r) => setTimeout(r, 200));
  s.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'slow', reason: 'user' } });
  const listed = envelope(await call(s, 'imap_list_accounts', {}));
  assert.equal(listed.data.accounts.length, 1);
  // Wait past the call's deadline: a cancelled request is never answered.
  await new Promise((r) => setTimeout(r, 3500));
  assert.ok(!s.lines.some((l) => JSON.parse(l).id === 'slow'), 'no response for the cancelled request');
  await stop(s);
  await silent.close();
});
