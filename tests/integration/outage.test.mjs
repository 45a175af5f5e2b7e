// e2e_outage: the IMAP server goes away under load and comes back. 50 agents of imap-mcp-load
// run against an imap-mcp HTTP server whose account points at a private Dovecot (its own state
// directory: the suite's shared Dovecot is never touched, other suites run against it in
// parallel). Dovecot is stopped at about t=6 s and started again at about t=10 s (same state
// directory, same port). From the harness's report and its per-second timeline:
//   - the harness exits 0, the server is alive and /healthz answers;
//   - errors happen only in the outage window (plus the recovery margin below);
//   - every error is retryable (the contract's structured error says so);
//   - full recovery: the last seconds of the run have calls and no error;
//   - afterwards the server holds no more IMAP connections than its pool cap, and its fd
//     count is back near where it started.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const binary = process.env.IMAP_MCP_BINARY;
const harness = process.env.IMAP_MCP_LOAD_BINARY;
const source = process.env.IMAP_MCP_SOURCE_DIR;
for (const [k, v] of Object.entries({ binary, harness, source }))
  if (!v) throw new Error(`${k} is not set (run through ctest / scripts/test)`);

const imapServer = path.join(source, 'scripts', 'imap-server');
const genMailbox = path.join(source, 'scripts', 'gen-mailbox');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-mcp-outage-'));
const state = path.join(work, 'imap');
const user = 'outage';
const pass = 'outage-password';

// The schedule (seconds after the harness started) and the load.
const STOP_AT_S = 6;
const START_AT_S = 10;
const AGENTS = 50;
const RAMP_UP_S = 2;
const DURATION_S = 22; // measured after the ramp-up: the run lasts about 24 s
const THINK_MS = 300; // ~100 calls/s in all: a loaded 2-core machine copes
// Short deadlines so that an outage is noticed fast (the defaults are 30 s / 15 s / 300 s).
const CONNECT_TIMEOUT_MS = 2000;
const GREETING_TIMEOUT_MS = 2000;
const SOCKET_TIMEOUT_MS = 5000;
const TOOL_TIMEOUT_MS = 8000;
const MAX_CONNECTIONS = 4; // the account's pool cap (the default, stated here to be sure)
// Recovery margin after Dovecot is back, in seconds. The account retries failed connects with
// exponential backoff (200 ms doubling, config/defaults.hpp). After an outage of D seconds the
// delay in effect is at most about D (each step doubles the time waited so far: 0.2, 0.6, 1.4,
// 3.0, 6.2 s...), so the first new connection comes at most ~D = 4 s after the restart, plus one
// connect (<= CONNECT_TIMEOUT_MS), plus calls that were answered from the backoff in that second
// and are counted when they complete: 4 + 2 + 1 = 7 s.
const RECOVERY_MARGIN_S = 7;
// The last seconds that must be clean (and busy).
const CLEAN_TAIL_S = 4;

let port; // Dovecot's
let server; // { child, port, stderr() }

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0)
    throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/// Runs a command asynchronously (so the event loop keeps reading the harness's pipes).
function runAsync(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')}: ${code}\n${out}`))));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
}

function healthz(httpPort) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: httpPort, path: '/healthz', timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
  });
}

/// Starts imap-mcp over HTTP on a free port and waits for /healthz.
async function startServer() {
  const env = {
    PATH: process.env.PATH,
    MAIL_IMAP_DEFAULT_HOST: 'localhost',
    MAIL_IMAP_DEFAULT_PORT: String(port),
    MAIL_IMAP_DEFAULT_USER: user,
    MAIL_IMAP_DEFAULT_PASS: pass,
    MAIL_IMAP_DEFAULT_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    MAIL_IMAP_CA_CERT_PATH: path.join(state, 'tls', 'ca.pem'),
    MAIL_IMAP_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    MAIL_IMAP_GREETING_TIMEOUT_MS: String(GREETING_TIMEOUT_MS),
    MAIL_IMAP_SOCKET_TIMEOUT_MS: String(SOCKET_TIMEOUT_MS),
    MAIL_IMAP_TOOL_TIMEOUT_MS: String(TOOL_TIMEOUT_MS),
    MAIL_IMAP_LOG_LEVEL: 'warn',
  };
  const httpPort = await freePort();
  const child = spawn(binary, ['--transport', 'http', '--listen', `127.0.0.1:${httpPort}`],
    { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-200000); });
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await healthz(httpPort) === 200) return { child, port: httpPort, stderr: () => stderr };
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`imap-mcp did not start:\n${stderr}`);
}

/// The socket inodes of a process's open fds, and its fd count.
function fdInfo(pid) {
  const dir = `/proc/${pid}/fd`;
  const inodes = new Set();
  let count = 0;
  for (const fd of fs.readdirSync(dir)) {
    let link;
    try { link = fs.readlinkSync(path.join(dir, fd)); } catch { continue; } // closed meanwhile
    count++;
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]);
  }
  return { count, inodes };
}

/// ESTABLISHED TCP connections of `pid` to 127.0.0.1/::1 port `remotePort`.
function imapConnections(pid, remotePort) {
  const { inodes } = fdInfo(pid);
  const hexPort = remotePort.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const file of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    let text;
    try { text = fs.readFileSync(file, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [, remote] = [f[1], f[2]];
      if (remote.split(':')[1] === hexPort && f[3] === '01' && inodes.has(f[9])) n++;
    }
  }
  return n;
}

before(async () => {
  const out = run(imapServer, ['start', state, '--user', `${user}:${pass}`]);
  port = Number(out.trim().split(/\s+/).pop());
  assert.ok(port > 0, `no port from imap-server start: ${out}`);
  run(genMailbox, [state, user, 'INBOX', '300', '--seed', '8', '--quiet']);
  server = await startServer();
});

after(async () => {
  if (server && server.child.exitCode === null && server.child.signalCode === null) {
    const exited = new Promise((r) => server.child.on('exit', r));
    server.child.kill('SIGTERM');
    await Promise.race([exited, sleep(10000)]);
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  }
  spawnSync(imapServer, ['stop', state], { encoding: 'utf8' });
  fs.rmSync(work, { recursive: true, force: true });
});

test('Dovecot restarted under 50 agents: errors only in the outage, all retryable, full recovery, no leak', async () => {
  const pid = server.child.pid;
  // Baseline: a server that has not connected to IMAP yet.
  const fdsBefore = fdInfo(pid).count;

  const reportPath = path.join(work, 'report.json');
  const args = ['--url', `http://127.0.0.1:${server.port}/mcp`, '--agents', String(AGENTS),
    '--ramp-up', String(RAMP_UP_S), '--duration', String(DURATION_S), '--think-ms', String(THINK_MS),
    '--request-timeout-ms', String(TOOL_TIMEOUT_MS + 5000), '--server-pid', String(pid),
    '--report', reportPath, '--seed', '8'];
  const t0 = Date.now();
  const child = spawn(harness, args, { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  // The outage, timed from the harness's start.
  await sleep(STOP_AT_S * 1000 - (Date.now() - t0));
  const stopBegin = Date.now();
  await runAsync(imapServer, ['stop', state]);
  const stopEnd = Date.now();
  await sleep(Math.max(0, START_AT_S * 1000 - (Date.now() - t0)));
  const startBegin = Date.now();
  const restarted = await runAsync(imapServer, ['start', state]);
  const startEnd = Date.now();
  assert.equal(Number(restarted.trim().split(/\s+/).pop()), port, 'Dovecot came back on another port');

  const { code, signal } = await exited;
  const log = `harness stderr:\n${stderr}\nharness stdout:\n${stdout}\nserver stderr (tail):\n${server.stderr().slice(-5000)}`;
  assert.equal(code, 0, `harness exit ${code} ${signal}\n${log}`);
  assert.ok(fs.existsSync(reportPath), `no report\n${log}`);
  const report = JSON.parse(fs.readFileSync(reportPath, 'utf8'));

  // No crash: the server is alive and answers.
  assert.equal(server.child.exitCode, null, `server exited\n${log}`);
  assert.equal(server.child.signalCode, null, `server killed\n${log}`);
  assert.equal(await healthz(server.port), 200);

  // Place the outage on the timeline. An error may complete in the second the stop began
  // (second floor) up to the second the restart finished, plus the recovery margin.
  const origin = report.timeline_start_unix_ms;
  assert.ok(origin > 0 && origin <= stopBegin, 'timeline origin missing or after the stop');
  const tl = report.timeline;
  const outageFrom = Math.floor((stopBegin - origin) / 1000);
  const restartedAt = (startEnd - origin) / 1000;
  const allowedUntil = Math.ceil(restartedAt) + RECOVERY_MARGIN_S; // exclusive
  const failures = (s) => s.error_count + Object.values(s.transport_errors).reduce((a, b) => a + b, 0);
  const row = (s) => `${String(s.t).padStart(3)}s calls ${String(s.calls).padStart(4)} ok ${String(s.ok).padStart(4)} ` +
    `errors ${JSON.stringify(s.errors)} transport ${JSON.stringify(s.transport_errors)} p99 ${s.p99_ms.toFixed(0)} ms`;
  const summary = `stop ${((stopBegin - origin) / 1000).toFixed(2)}..${((stopEnd - origin) / 1000).toFixed(2)} s, ` +
    `start ${((startBegin - origin) / 1000).toFixed(2)}..${restartedAt.toFixed(2)} s, errors allowed in ` +
    `[${outageFrom}, ${allowedUntil}) s\n${tl.map(row).join('\n')}\nfirst errors: ${JSON.stringify(report.first_errors, null, 1)}`;
  console.log(summary);
  // The server's backoff decisions, for whoever reads a failure.
  console.log(server.stderr().split('\n').filter((l) => /retry in/.test(l)).slice(0, 30).join('\n'));

  // The outage was seen at all (otherwise the test proves nothing).
  const outageErrors = tl.slice(outageFrom, allowedUntil).reduce((a, s) => a + failures(s), 0);
  assert.ok(outageErrors > 0, `no error during the outage: Dovecot was not really stopped?\n${summary}`);

  for (const s of tl) {
    if (s.t >= outageFrom && s.t < allowedUntil) continue;
    assert.equal(failures(s), 0, `errors outside the outage window at ${s.t} s\n${summary}`);
  }
  // Every error says it may be retried; none is a transport failure (the HTTP side never went down).
  assert.equal(report.totals.non_retryable_errors, 0, `non-retryable errors\n${summary}`);
  for (const s of tl) {
    assert.equal(s.non_retryable_errors, 0, `non-retryable error at ${s.t} s\n${summary}`);
    assert.deepEqual(s.transport_errors, {}, `transport errors at ${s.t} s\n${summary}`);
  }
  // Only the contract's codes, as hard errors or soft failures.
  const codes = new Set(['timeout', 'internal', 'auth_failed', 'not_found', 'conflict', 'invalid_input']);
  for (const s of tl)
    for (const k of Object.keys(s.errors))
      assert.ok(codes.has(k.replace(/^failed:/, '')), `unexpected error key ${k}\n${summary}`);

  // Full recovery: the last seconds (the final one may be a partial second) are busy and clean.
  assert.ok(tl.length >= allowedUntil + CLEAN_TAIL_S, `the run ended before the recovery could be seen\n${summary}`);
  const tail = tl.slice(-CLEAN_TAIL_S - 1, -1);
  for (const s of tail) {
    assert.ok(s.calls >= AGENTS / 4, `few calls at ${s.t} s after the outage\n${summary}`);
    assert.equal(s.ok, s.calls, `not every call ok at ${s.t} s\n${summary}`);
  }
  assert.equal(report.totals.aborted_calls, 0, `calls cut off at the stop\n${summary}`);

  // No leak: IMAP connections within the pool cap, fds back near the start. Give the server a
  // moment to close the agents' HTTP connections.
  let conns;
  let fds;
  for (let i = 0; i < 50; i++) {
    conns = imapConnections(pid, port);
    fds = fdInfo(pid).count;
    if (conns <= MAX_CONNECTIONS && fds <= fdsBefore + MAX_CONNECTIONS + 2) break;
    await sleep(100);
  }
  console.log(`IMAP connections after the run: ${conns} (cap ${MAX_CONNECTIONS}); fds ${fdsBefore} -> ${fds}`);
  assert.ok(conns >= 1, 'the server holds no IMAP connection after the recovery (counting is broken?)');
  assert.ok(conns <= MAX_CONNECTIONS, `${conns} IMAP connections, cap ${MAX_CONNECTIONS}`);
  // Each pooled IMAP connection is one socket fd; 2 more for short-lived bookkeeping (e.g. a
  // PDF worker pipe being reaped).
  assert.ok(fds <= fdsBefore + MAX_CONNECTIONS + 2, `fds ${fdsBefore} -> ${fds}`);
});
