// Fault injection end to end: imap-mcp (stdio) talks to the suite's Dovecot through
// fault-proxy.mjs, which terminates TLS and breaks the plaintext IMAP stream on purpose (drop
// mid-response, stall, drip, a literal cut short, garbage lines, a reset during the TLS
// handshake, a closed port, a BYE greeting). For every fault:
//   - the call is answered within the tool deadline plus MARGIN_MS with a retryable error
//     (a hard error with details.retryable, or an issue with retryable: true);
//   - the server process stays up and the next call, with the fault cleared, succeeds;
//   - the server does not hammer the upstream (the proxy counts its connections: backoff);
//   - no socket, fd or thread leaks once the pool settles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { baseEnv, rawServer, initialize } from './lib.mjs';
import { stateDir, addUser, gen } from './read-lib.mjs';
import { FaultProxy } from './fault-proxy.mjs';

// Small deadlines so that every fault resolves in seconds.
const CONNECT_TIMEOUT_MS = 1000;
const GREETING_TIMEOUT_MS = 1000;
const SOCKET_TIMEOUT_MS = 1000;
const TOOL_TIMEOUT_MS = 2500;
/// How late an answer may be after its deadline on this noisy 2-core machine (scheduling,
/// process start-up of Dovecot's login processes, a parallel ctest job).
const MARGIN_MS = 1500;
/// First reconnect delay of the account's backoff (config/defaults.hpp backoff_initial_ms).
const BACKOFF_INITIAL_MS = 200;

let proxy;
let u;
let inbox; // {uidvalidity, first, last}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  u = addUser('faults');
  inbox = gen(u.user, 'INBOX', 8);
  proxy = await FaultProxy.start({ upstreamPort: Number(process.env.IMAP_MCP_TEST_IMAP_PORT),
    tlsDir: path.join(stateDir, 'tls') });
});

after(async () => {
  await proxy?.close();
});

/// An imap-mcp process whose default account goes through the proxy.
async function server(extra = {}) {
  const env = baseEnv({
    MAIL_IMAP_DEFAULT_HOST: '127.0.0.1', // the certificate also names 127.0.0.1; no DNS thread
    MAIL_IMAP_DEFAULT_PORT: String(proxy.port),
    MAIL_IMAP_DEFAULT_USER: u.user,
    MAIL_IMAP_DEFAULT_PASS: u.pass,
    MAIL_IMAP_CA_CERT_PATH: path.join(stateDir, 'tls', 'ca.pem'),
    MAIL_IMAP_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    MAIL_IMAP_GREETING_TIMEOUT_MS: String(GREETING_TIMEOUT_MS),
    MAIL_IMAP_SOCKET_TIMEOUT_MS: String(SOCKET_TIMEOUT_MS),
    MAIL_IMAP_TOOL_TIMEOUT_MS: String(TOOL_TIMEOUT_MS),
    MAIL_IMAP_LOG_LEVEL: 'info',
    ...extra,
  });
  const s = rawServer(env);
  await initialize(s, 'init');
  let nextId = 1;
  return {
    s,
    pid: s.child.pid,
    /// One tools/call; resolves {ms, result, failure} where failure is the retryable-relevant
    /// part of an error: {code, message, retryable, stage} from a hard error or the first issue.
    async call(name, args = {}) {
      const id = nextId++;
      const t0 = Date.now();
      s.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
      const msg = await s.byId(id, TOOL_TIMEOUT_MS + 20000);
      const ms = Date.now() - t0;
      assert.ok(msg.result, `${name}: a result, not a JSON-RPC error: ${JSON.stringify(msg).slice(0, 300)}`);
      const r = msg.result;
      let failure = null;
      if (r.isError) {
        const e = JSON.parse(r.content[0].text).error;
        failure = { code: e.code, message: e.message, retryable: e.details?.retryable === true, stage: e.details?.stage };
      } else if (r.structuredContent.data.status === 'failed') {
        const i = r.structuredContent.data.issues[0];
        failure = { code: i.code, message: i.message, retryable: i.retryable === true, stage: i.stage };
      }
      return { ms, result: r, failure };
    },
    alive() { return s.child.exitCode === null && s.child.signalCode === null; },
    async stop() {
      s.close();
      const { code } = await s.exited;
      assert.equal(code, 0, 'the server exits cleanly at the end');
    },
  };
}

const search = ['imap_search_messages', { mailbox: 'INBOX', limit: 3 }];
const list = ['imap_list_mailboxes', {}];
const raw = () => ['imap_get_message_raw', { message_id: `imap:default:INBOX:${inbox.uidvalidity}:${inbox.first + 1}` }];

/// FAULTS_VERBOSE=1 prints every checked call (the figures in docs/reliability.md).
const verbose = (what, out) => {
  if (process.env.FAULTS_VERBOSE) console.log(`${what}: ${out.ms} ms ${out.failure ? JSON.stringify(out.failure) : 'ok'}`);
};

/// The call failed in time with a retryable error (of `code` when given).
function assertRetryable(out, what, { code, within = TOOL_TIMEOUT_MS + MARGIN_MS, quiet = false } = {}) {
  if (!quiet) verbose(what, out);
  assert.ok(out.failure, `${what}: the call fails (${JSON.stringify(out.result).slice(0, 300)})`);
  assert.equal(out.failure.retryable, true, `${what}: retryable (${JSON.stringify(out.failure)})`);
  if (code) assert.equal(out.failure.code, code, `${what}: ${JSON.stringify(out.failure)}`);
  assert.ok(out.ms <= within, `${what}: answered in ${out.ms} ms (bound ${within} ms)`);
}

function assertOk(out, what) {
  verbose(what, out);
  assert.equal(out.failure, null, `${what}: succeeds (${JSON.stringify(out.failure)})`);
}

/// After the fault is cleared: the server is up and a call succeeds once the account's backoff
/// (if any) has passed. Returns how long recovery took.
async function recovers(srv, [name, args], { withinMs = 3000 } = {}) {
  assert.ok(srv.alive(), 'the server process is still running');
  const t0 = Date.now();
  for (;;) {
    const out = await srv.call(name, args);
    if (!out.failure) {
      if (process.env.FAULTS_VERBOSE) console.log(`recovered after ${Date.now() - t0} ms`);
      return Date.now() - t0;
    }
    assert.equal(out.failure.retryable, true, `errors while recovering stay retryable: ${JSON.stringify(out.failure)}`);
    assert.ok(Date.now() - t0 < withinMs, `recovered within ${withinMs} ms (last: ${JSON.stringify(out.failure)})`);
    await sleep(100);
  }
}

/// Connection attempts the account logged as failed (each starts a backoff step).
function failedAttempts(srv) {
  return (srv.s.stderr().match(/\[account\] default: connection failed \(/g) ?? []).length;
}

async function withServer(extra, body) {
  await proxy.clear();
  const srv = await server(extra);
  try {
    await body(srv);
  } finally {
    await proxy.clear();
    await srv.stop();
  }
}

// ---- faults in the middle of a response ------------------------------------------------------

test('drop mid-response: retryable error in time; a one-off drop on a pooled session is retried', async () => {
  await withServer({}, async (srv) => {
    assertOk(await srv.call(...search), 'warm-up');
    // Every connection drops 10 bytes into the first FETCH response (the pooled one included).
    await proxy.set({ kind: 'drop', after: { pattern: /\* \d+ FETCH/ }, skip: 10 });
    assertRetryable(await srv.call(...search), 'search under drop', { code: 'internal' });
    await proxy.clear();
    assertOk(await srv.call(...search), 'after the fault');

    // One drop on the pooled session only: the read runs once more on a new session.
    const before = proxy.stats.accepted;
    await proxy.set({ kind: 'drop', after: { pattern: /\* \d+ FETCH/ }, skip: 10, count: 1 });
    assertOk(await srv.call(...search), 'one-off drop is absorbed by the retry on a new session');
    assert.equal(proxy.stats.accepted - before, 1, 'exactly one new connection for the retry');
  });
});

test('stall past the socket timeout, and stall at the greeting: timeout, then fast failures while backing off', async () => {
  await withServer({}, async (srv) => {
    assertOk(await srv.call(...search), 'warm-up');
    await proxy.set({ kind: 'stall', after: { pattern: /\* \d+ FETCH/ } });
    const stalled = await srv.call(...search);
    assertRetryable(stalled, 'search under stall', { code: 'timeout' });
    await proxy.clear();
    await recovers(srv, search);

    // A server that accepts, completes TLS and then never greets.
    await proxy.set({ kind: 'stall', after: { bytes: 0 } });
    proxy.dropAll(); // the pooled session must not dodge the fault
    const first = await srv.call(...list);
    assertRetryable(first, 'list with a silent server');
    const t0 = Date.now();
    const knocks = proxy.stats.accepted;
    for (let i = 0; i < 5; i++) {
      const out = await srv.call(...list);
      assertRetryable(out, `list while backing off (#${i})`, { within: 500 });
    }
    assert.ok(Date.now() - t0 < 2000, 'failures during backoff are fast');
    assert.ok(proxy.stats.accepted - knocks <= 1, `no reconnect storm (${proxy.stats.accepted - knocks} new connections)`);
    await proxy.clear();
    await recovers(srv, list);
  });
});

test('drip: one byte at a time succeeds when live; slower than the deadline times out at the deadline', async () => {
  await withServer({}, async (srv) => {
    assertOk(await srv.call(...list), 'warm-up');
    await proxy.set({ kind: 'drip', dripMs: 1, after: { pattern: /\* LIST/ } });
    const slow = await srv.call(...list);
    assertOk(slow, 'a dripping but live server is served');
    assert.ok(slow.ms > 100, `the drip was real (${slow.ms} ms)`);
    assert.equal(slow.result.structuredContent.data.mailboxes[0].name, 'INBOX');

    // 1 byte every 300 ms never trips the 1 s socket timeout: only the tool deadline can stop it.
    await proxy.set({ kind: 'drip', dripMs: 300, after: { pattern: /\* LIST/ } });
    const tooSlow = await srv.call(...list);
    assertRetryable(tooSlow, 'list dripping slower than the deadline', { code: 'timeout' });
    assert.ok(tooSlow.ms >= TOOL_TIMEOUT_MS - 100, `not before the deadline (${tooSlow.ms} ms)`);
    await proxy.clear();
    await recovers(srv, list);
  });
});

test('a literal cut short, then closed or stalled', async () => {
  await withServer({}, async (srv) => {
    assertOk(await srv.call(...raw()), 'warm-up');
    await proxy.set({ kind: 'cut-literal', then: 'close', after: { pattern: /\* \d+ FETCH/ } });
    assertRetryable(await srv.call(...raw()), 'raw with a literal cut and closed', { code: 'internal' });
    await proxy.clear();
    await recovers(srv, raw());

    await proxy.set({ kind: 'cut-literal', then: 'stall', after: { pattern: /\* \d+ FETCH/ } });
    assertRetryable(await srv.call(...raw()), 'raw with a literal cut and stalled', { code: 'timeout' });
    await proxy.clear();
    const out = await srv.call(...raw());
    assertOk(out, 'after the fault');
    const data = out.result.structuredContent.data;
    assert.equal(data.returned_bytes, data.size_bytes, 'the whole message arrives again');
  });
});

test('garbage lines: retryable error, the session survives; an absurd literal breaks and replaces it', async () => {
  await withServer({}, async (srv) => {
    assertOk(await srv.call(...search), 'warm-up');
    const before = proxy.stats.accepted;
    await proxy.set({ kind: 'garbage', after: { pattern: /\* \d+ FETCH/ } });
    assertRetryable(await srv.call(...search), 'search with garbage lines', { code: 'internal' });
    await proxy.clear();
    assertOk(await srv.call(...search), 'after the fault');
    assert.equal(proxy.stats.accepted, before, 'garbage between responses does not cost the session');

    await proxy.set({ kind: 'garbage', garbage: '* 1 FETCH (UID 1 BODY[] {99999999999}\r\n', after: { pattern: /\* \d+ FETCH/ } });
    assertRetryable(await srv.call(...search), 'search with an absurd literal', { code: 'internal' });
    await proxy.clear();
    await recovers(srv, search);
  });
});

// ---- faults while connecting ------------------------------------------------------------------

for (const [name, fault, code] of [
  ['reset during the TLS handshake', { kind: 'reset-handshake' }, 'internal'],
  ['a closed port', { kind: 'refuse' }, 'internal'],
  ['a BYE greeting', { kind: 'bye-greeting' }, 'internal'],
  ['a drop right after LOGIN', { kind: 'drop', after: { pattern: /Logged in/ } }, 'internal'],
]) {
  test(`${name}: fast retryable failures with backoff, recovery after clearing`, async () => {
    await withServer({}, async (srv) => {
      assertOk(await srv.call(...list), 'warm-up');
      await proxy.set({ ...fault, newOnly: true });
      proxy.dropAll(); // the pooled session must not dodge the fault
      const t0 = Date.now();
      const knocks = proxy.stats.accepted;
      const logged = failedAttempts(srv);
      let calls = 0;
      while (Date.now() - t0 < 1500) {
        const out = await srv.call(...list);
        assertRetryable(out, `${name} (#${calls})`, { code, within: CONNECT_TIMEOUT_MS + MARGIN_MS, quiet: calls > 1 });
        calls++;
        await sleep(20);
      }
      // 1.5 s of calls at ~40/s: with backoff from 200 ms doubling, the server tries about 4
      // times (0, 0.2, 0.6, 1.4 s), plus one retry of the dropped pooled session.
      // The proxy sees every attempt except those to a closed port; the account logs each
      // failed attempt it backs off from.
      const accepted = proxy.stats.accepted - knocks;
      const attempts = failedAttempts(srv) - logged;
      if (process.env.FAULTS_VERBOSE) console.log(`${name}: ${accepted} upstream connections, ${attempts} logged failed attempts for ${calls} calls`);
      assert.ok(calls >= 10, `many calls were made (${calls})`);
      assert.ok(attempts >= 1, 'the account noticed the failure and backs off');
      assert.ok(accepted <= 6 && attempts <= 6, `the upstream is not hammered: ${accepted} connections, ${attempts} attempts for ${calls} calls`);
      await proxy.clear();
      // Recovery waits at most one backoff step (the 4th: 1.6 s) plus margin.
      await recovers(srv, list, { withinMs: BACKOFF_INITIAL_MS * 8 + MARGIN_MS });
    });
  });
}

// ---- no leaks ------------------------------------------------------------------------------------

function fdCount(pid) { return fs.readdirSync(`/proc/${pid}/fd`).length; }
function threadCount(pid) { return fs.readdirSync(`/proc/${pid}/task`).length; }

test('a burst of faulted calls leaks no connection, fd or thread', async () => {
  await withServer({ MAIL_IMAP_DEFAULT_MAX_CONNECTIONS: '2' }, async (srv) => {
    // Settle: both pool slots open (two concurrent calls), then idle.
    const warm = await Promise.all([srv.call(...search), srv.call(...search)]);
    warm.forEach((o) => assertOk(o, 'warm-up'));
    await sleep(200);
    const base = { fds: fdCount(srv.pid), threads: threadCount(srv.pid), live: proxy.live };
    assert.ok(base.live >= 1 && base.live <= 2, `pool within its cap (${base.live})`);

    const faults = [
      { kind: 'drop', after: { pattern: /\* \d+ FETCH/ }, skip: 10 },
      { kind: 'stall', after: { pattern: /\* \d+ FETCH/ } },
      { kind: 'drip', dripMs: 300, after: { pattern: /\* \d+ FETCH/ } },
      { kind: 'cut-literal', then: 'close', after: { pattern: /\* \d+ FETCH/ } },
      { kind: 'garbage', after: { pattern: /\* \d+ FETCH/ } },
    ];
    for (const f of faults) {
      await proxy.set(f);
      // Four concurrent calls on a pool of two: queueing, aborts and replacements at once.
      const outs = await Promise.all([0, 1, 2, 3].map(() => srv.call(...search)));
      for (const o of outs) assert.ok(o.ms <= TOOL_TIMEOUT_MS + MARGIN_MS, `${f.kind}: answered in ${o.ms} ms`);
      await proxy.clear();
    }
    assert.ok(srv.alive(), 'the server survived the burst');
    await recovers(srv, search);
    await Promise.all([srv.call(...search), srv.call(...search)]);
    await sleep(300);

    const now = { fds: fdCount(srv.pid), threads: threadCount(srv.pid), live: proxy.live };
    if (process.env.FAULTS_VERBOSE) console.log("leak check", base, now);
    assert.ok(now.live <= 2, `connections back within the cap (${now.live})`);
    // Each pooled connection holds one socket and one thread: compare per open connection.
    assert.equal(now.fds - now.live, base.fds - base.live, `no fd leak (${JSON.stringify(base)} -> ${JSON.stringify(now)})`);
    assert.ok(now.threads - now.live <= base.threads - base.live,
      `no thread leak (${JSON.stringify(base)} -> ${JSON.stringify(now)})`);
  });
});
