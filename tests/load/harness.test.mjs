// e2e_load: imap-mcp-load runs by itself against imap-mcp and the suite's Dovecot, over
// Streamable HTTP, over stdio (with the write mix) and in the raw IMAP mode, and its report is
// complete: every operation of the mix present, counts above zero, no error of any kind, the
// processes measured. It uses a user of its own (loadtest, a generated mailbox) so that the
// other suites' writes to the demo mailbox cannot race with it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const binary = process.env.IMAP_MCP_BINARY;
const harness = process.env.IMAP_MCP_LOAD_BINARY;
const source = process.env.IMAP_MCP_SOURCE_DIR;
const state = process.env.IMAP_MCP_TEST_STATE_DIR;
const port = process.env.IMAP_MCP_TEST_IMAP_PORT;
const ca = process.env.IMAP_MCP_TEST_CA;
for (const [k, v] of Object.entries({ binary, harness, source, state, port, ca }))
  if (!v) throw new Error(`${k} is not set (run through ctest / scripts/test)`);

const user = 'loadtest';
const pass = 'loadtest-password';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-mcp-load-test-'));

function env(extra = {}) {
  return {
    PATH: process.env.PATH,
    MAIL_IMAP_DEFAULT_HOST: 'localhost',
    MAIL_IMAP_DEFAULT_PORT: port,
    MAIL_IMAP_DEFAULT_USER: user,
    MAIL_IMAP_DEFAULT_PASS: pass,
    MAIL_IMAP_CA_CERT_PATH: ca,
    MAIL_IMAP_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/// Runs the harness to its end; resolves {code, signal, stdout, stderr, report, seconds}.
function runHarness(args, extraEnv = {}) {
  const reportPath = path.join(work, `report-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
  const t0 = Date.now();
  const child = spawn(harness, [...args, '--report', reportPath, '--server-log', path.join(work, 'server.log')],
    { env: env(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    const report = fs.existsSync(reportPath) ? JSON.parse(fs.readFileSync(reportPath, 'utf8')) : null;
    resolve({ code, signal, stdout, stderr, report, seconds: (Date.now() - t0) / 1000 });
  }));
}

function dovecotPid() {
  return fs.readFileSync(path.join(state, 'dovecot.pid'), 'utf8').trim();
}

/// The checks every run must pass: exit 0, every operation of `expected` answered without
/// errors, throughput and latencies filled in.
function checkReport(run, expected) {
  assert.equal(run.code, 0, `harness failed:\n${run.stderr}\n${run.stdout}`);
  const r = run.report;
  assert.ok(r, 'no report written');
  assert.deepEqual(r.first_errors, [], `errors: ${JSON.stringify(r.first_errors)}`);
  assert.equal(r.totals.errors, 0);
  assert.equal(r.totals.transport_errors, 0);
  assert.equal(r.totals.aborted_calls, 0);
  assert.ok(r.totals.calls > 0);
  assert.ok(r.totals.throughput_per_s > 0);
  for (const op of expected) {
    const s = r.operations[op];
    assert.ok(s, `operation ${op} missing from the report: ${Object.keys(r.operations)}`);
    assert.ok(s.count > 0, `${op}: no calls`);
    assert.equal(s.ok, s.count, `${op}: ${JSON.stringify(s)}`);
    assert.ok(s.latency_ms.p50 > 0 && s.latency_ms.p50 <= s.latency_ms.p99 && s.latency_ms.p99 <= s.latency_ms.max);
  }
  for (const op of expected.filter((o) => o.startsWith('imap_')))
    assert.ok(r.tools[op.split('+')[0]].count > 0);
  assert.ok(r.harness_cpu_seconds > 0);
  // The table on stdout shows the same operations.
  for (const op of expected) assert.match(run.stdout, new RegExp(`^${op.replace(/[+/]/g, '\\$&')}\\s`, 'm'));
}

before(() => {
  const add = spawnSync(path.join(source, 'scripts/imap-server'), ['add-user', state, `${user}:${pass}`], { encoding: 'utf8' });
  assert.equal(add.status, 0, add.stderr);
  // A fresh INBOX each run: 400 generated messages (HTML, PDFs, threads, non-ASCII).
  const home = path.join(state, 'home', user, 'Maildir');
  fs.rmSync(home, { recursive: true, force: true });
  const gen = spawnSync(path.join(source, 'scripts/gen-mailbox'), [state, user, 'INBOX', '400', '--seed', '3', '--quiet'],
    { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
});

const readMix = ['imap_list_accounts', 'imap_list_mailboxes', 'imap_search_messages', 'imap_search_messages+cursor',
  'imap_get_message', 'imap_get_message+pdf', 'imap_get_message_raw'];

test('HTTP: 5 agents for 6 s, complete and error-free, stops by itself', async () => {
  const duration = 6;
  const run = await runHarness(['--mode', 'http', '--spawn-server', binary, '--agents', '5', '--duration', String(duration),
    '--ramp-up', '1', '--think-ms', '20', '--page-fraction', '0.5', '--pdf-fraction', '0.5',
    '--imap-server-pid', dovecotPid()]);
  checkReport(run, [...readMix, 'initialize', 'tools/list']);
  const r = run.report;
  assert.equal(r.mode, 'http');
  assert.equal(r.stopped_by, 'duration');
  assert.ok(Math.abs(r.window_s - duration) < 1.5, `window ${r.window_s}`);
  assert.ok(run.seconds < duration + 1 + 20, `took ${run.seconds} s`);
  const server = r.processes.find((p) => p.role === 'server');
  const imap = r.processes.find((p) => p.role === 'imap_server');
  assert.ok(server.cpu_seconds > 0 && server.peak_rss_kb > 1000 && server.root_hwm_kb > 1000);
  // PSS splits shared pages: at least one process' worth, at most the RSS sum.
  assert.ok(server.peak_pss_kb > 1000 && server.peak_pss_kb <= server.peak_rss_kb);
  assert.ok(imap.cpu_seconds > 0 && imap.max_processes > 1);
  assert.ok(r.startup.ready_ms > 0 && r.startup.first_call_ms >= r.startup.ready_ms);
  assert.equal(r.operations.initialize.count, 5);
});

test('stdio: 2 server processes shared by 4 agents, with the write mix, until --max-requests', async () => {
  const run = await runHarness(['--mode', 'stdio', '--spawn-server', binary, '--servers', '2', '--agents', '4',
    '--duration', '60', '--max-requests', '300', '--allow-writes', '--page-fraction', '0.5', '--pdf-fraction', '0.5',
    '--mix', 'accounts=1,mailboxes=1,search=4,get=3,raw=1,flags=1'],
    { MAIL_IMAP_WRITE_ENABLED: 'true' });
  checkReport(run, [...readMix, 'imap_update_message_flags', 'tools/list']);
  const r = run.report;
  assert.equal(r.stopped_by, 'max_requests');
  assert.equal(r.totals.calls, 300);
  assert.ok(run.seconds < 60, `max-requests did not stop the run early (${run.seconds} s)`);
  assert.equal(r.processes.filter((p) => p.role === 'server').length, 2);
  assert.ok(r.startup.ready_ms > 0);
});

test('raw IMAP baseline: the same mix on warm connections, no MCP', async () => {
  const run = await runHarness(['--mode', 'raw-imap', '--agents', '3', '--duration', '3', '--page-fraction', '0.5',
    '--pdf-fraction', '0.5']);
  checkReport(run, readMix.filter((o) => o !== 'imap_list_accounts').concat(['connect_login']));
  assert.equal(run.report.operations.imap_list_accounts, undefined);
  assert.equal(run.report.operations.connect_login.count, 3);
});

test('bad options exit 2 without running; remote targets need --allow-remote', async () => {
  const run = await runHarness(['--url', 'http://192.0.2.1:8000/mcp']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--allow-remote/);
  assert.equal(run.report, null);
});
