// Secret leaks: with a distinctive account password (quotes, a backslash and spaces in it), a
// distinctive bearer token and cursor key, every byte the server writes (stdout, stderr, tool
// results, HTTP responses and headers, access logs, --help, configuration errors, crash output,
// core files) is captured and searched for the secrets in every form: raw, JSON-escaped,
// IMAP-quoted, base64 (also as SASL PLAIN), URL-encoded and hex.
//
// scripts/test may pass the secrets in IMAP_MCP_TEST_SECRETS (password, token and cursor key,
// one per line) so that scripts/check-secrets can search the whole ctest log for them too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { binary, baseEnv, dovecotEnv, freePort, startHttpServer, rawRequest, mcpPost, initializeMessage } from './lib.mjs';
import { RawImap, message, imapServer, stateDir } from './read-lib.mjs';
import { closedPort, secretForms, assertNoSecret, stdioClient } from './hostile-lib.mjs';

const seed = randomBytes(6).toString('hex');
const given = (process.env.IMAP_MCP_TEST_SECRETS ?? '').split('\n').filter(Boolean);
const PASSWORD = given[0] ?? `Sec-${seed}-pw "q" \\b sp`;
const TOKEN = given[1] ?? `Tok-${seed}-bearer`;
const CURSOR_KEY = given[2] ?? `Cur-${seed}-cursor-signing-key`;
const WRONG_PASSWORD = `Wrong-${seed}-pw "x" y`;
const BAD_TOKEN = `Bad-${seed}-tok`;
const user = `secrets-${process.pid}-${seed.slice(0, 4)}`;

const SECRETS = [
  { name: 'password', forms: secretForms(PASSWORD, user) },
  { name: 'wrong password', forms: secretForms(WRONG_PASSWORD, user) },
  { name: 'bearer token', forms: secretForms(TOKEN) },
  { name: 'rejected token', forms: secretForms(BAD_TOKEN) },
  { name: 'cursor key', forms: secretForms(CURSOR_KEY) },
];

/// Everything captured by a test, checked at its end.
function capture() {
  const items = [];
  return {
    add(where, text) { items.push({ where, text: typeof text === 'string' ? text : JSON.stringify(text) }); },
    check() {
      assert.ok(items.length > 0);
      for (const { where, text } of items) assertNoSecret(text, SECRETS, where);
    },
  };
}

let downPort;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-mcp-secrets-'));

/// The server environment: `default` logs in with PASSWORD, `wrong` with WRONG_PASSWORD,
/// `down` points at a closed port; cursors are signed with CURSOR_KEY; tracing is on.
const env = (extra = {}) => dovecotEnv({
  MAIL_IMAP_WRONG_HOST: 'localhost',
  MAIL_IMAP_WRONG_PORT: process.env.IMAP_MCP_TEST_IMAP_PORT,
  MAIL_IMAP_WRONG_USER: user,
  MAIL_IMAP_WRONG_PASS: WRONG_PASSWORD,
  MAIL_IMAP_DOWN_HOST: '127.0.0.1',
  MAIL_IMAP_DOWN_PORT: String(downPort),
  MAIL_IMAP_DOWN_USER: user,
  MAIL_IMAP_DOWN_PASS: PASSWORD,
  MAIL_IMAP_CURSOR_SECRET: CURSOR_KEY,
  MAIL_IMAP_LOG_LEVEL: 'trace',
  ...extra,
}, { user, pass: PASSWORD });

before(async () => {
  execFileSync('flock', [path.join(stateDir, '.read-tests.lock'), imapServer, 'add-user', stateDir, `${user}:${PASSWORD}`],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  // The password with quotes and a backslash works for a plain IMAP client: the server's own
  // login below must work too.
  const im = await RawImap.open({ user, pass: PASSWORD });
  for (let i = 1; i <= 3; i++)
    await im.append('INBOX', message({ date: `Mon, 0${i} Jan 2024 10:00:00 +0000`, subject: `secret test ${i}` }));
  await im.close();
  downPort = await closedPort();
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/// The tool calls of a normal session plus the failure paths (wrong password, server down).
async function exercise(call, cap, label) {
  const ok = async (name, args) => {
    const r = await call(name, args);
    cap.add(`${label} ${name} result`, r);
    assert.ok(r.result && !r.result.isError, `${label} ${name}: ${JSON.stringify(r).slice(0, 300)}`);
    return r.result.structuredContent.data;
  };
  await ok('imap_list_accounts', {});
  const verified = await ok('imap_verify_account', {});
  assert.equal(verified.ok, true, 'the password with quotes, backslash and spaces logs in');
  await ok('imap_list_mailboxes', {});
  const page = await ok('imap_search_messages', { mailbox: 'INBOX', limit: 1, include_snippet: true });
  assert.ok(page.next_cursor, 'a cursor signed with the key');
  await ok('imap_search_messages', { mailbox: 'INBOX', cursor: page.next_cursor });
  await ok('imap_get_message', { message_id: page.messages[0].message_id, include_all_headers: true });
  await ok('imap_get_message_raw', { message_id: page.messages[0].message_id });
  const wrong = await ok('imap_verify_account', { account_id: 'wrong' });
  assert.equal(wrong.ok, false);
  assert.match(JSON.stringify(wrong.issues), /auth/);
  const wrongSearch = await call('imap_search_messages', { account_id: 'wrong', mailbox: 'INBOX' });
  cap.add(`${label} search with the wrong password`, wrongSearch);
  const down = await ok('imap_verify_account', { account_id: 'down' });
  assert.equal(down.ok, false);
  const downSearch = await call('imap_search_messages', { account_id: 'down', mailbox: 'INBOX' });
  cap.add(`${label} search on a server that is down`, downSearch);
  const forged = await call('imap_search_messages', { mailbox: 'INBOX', cursor: `${page.next_cursor.split('.')[0]}.AAAA` });
  cap.add(`${label} forged cursor`, forged);
}

test('stdio at trace level: successful calls, wrong password, server down: no secret anywhere', async () => {
  const cap = capture();
  const c = stdioClient(env());
  try {
    await c.initialize();
    await exercise((name, args) => c.call(name, args), cap, 'stdio');
    cap.add('stdio logging/setLevel', await c.request('logging/setLevel', { level: 'debug' }));
  } finally {
    const { code } = await c.close();
    assert.equal(code, 0);
  }
  cap.add('stdio stdout', c.output.stdout);
  cap.add('stdio stderr', c.output.stderr);
  assert.match(c.output.stderr, /TRACE|DEBUG/, 'the log level really was verbose');
  cap.check();
});

test('HTTP at trace level: calls, bad and misplaced tokens, access log: no secret anywhere', async () => {
  const cap = capture();
  const server = await startHttpServer(env({ MAIL_IMAP_HTTP_TOKENS: TOKEN }));
  const keep = (label, r) => { cap.add(label, `${r.status} ${JSON.stringify(r.headers)}\n${r.body}`); return r; };
  try {
    const init = keep('initialize', await mcpPost(server.url, initializeMessage(), { token: TOKEN }));
    assert.equal(init.status, 200);
    const session = init.headers['mcp-session-id'];
    keep('initialized', await mcpPost(server.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { session, token: TOKEN }));
    let id = 1;
    await exercise(async (name, args) => {
      const r = keep(`http ${name}`, await mcpPost(server.url, { jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name, arguments: args } }, { session, token: TOKEN }));
      return r.json();
    }, cap, 'http');

    const attempts = [
      ['no token', {}],
      ['rejected token', { Authorization: `Bearer ${BAD_TOKEN}` }],
      ['password as token', { Authorization: `Bearer ${PASSWORD}` }],
      ['lower-case scheme with a rejected token', { Authorization: `bearer ${BAD_TOKEN}x` }],
      ['basic auth with the password', { Authorization: `Basic ${Buffer.from(`${user}:${PASSWORD}`).toString('base64')}` }],
      ['token in a custom header', { 'X-Api-Key': BAD_TOKEN }],
    ];
    for (const [label, headers] of attempts) {
      const r = keep(label, await mcpPost(server.url, initializeMessage(), { headers }));
      assert.equal(r.status, 401, label);
    }
    // A token in the URL (some clients do that): refused, and the query never reaches the log.
    const inQuery = keep('token in the query', await rawRequest(`${server.url}?access_token=${encodeURIComponent(TOKEN)}&pw=${encodeURIComponent(PASSWORD)}`,
      { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }, body: initializeMessage() }));
    assert.equal(inQuery.status, 401);
    keep('metrics', await rawRequest(`${server.base}/metrics`, { method: 'GET', headers: { Authorization: `Bearer ${TOKEN}` } }));
    keep('metrics rejected', await rawRequest(`${server.base}/metrics`, { method: 'GET', headers: { Authorization: `Bearer ${BAD_TOKEN}` } }));
    keep('delete', await rawRequest(server.url, { method: 'DELETE', headers: { 'Mcp-Session-Id': session, Authorization: `Bearer ${TOKEN}` } }));
  } finally {
    const { code } = await server.stop('SIGTERM');
    assert.equal(code, 0);
  }
  cap.add('http stdout', server.stdout());
  cap.add('http stderr (log and access log)', server.stderr());
  assert.match(server.stderr(), /status=401/, 'the refused requests are in the access log');
  cap.check();
});

test('--help, --version and configuration errors never print a secret', () => {
  const cap = capture();
  const passFile = path.join(tmp, 'pass');
  fs.writeFileSync(passFile, PASSWORD + '\n');
  const tokenFile = path.join(tmp, 'tokens');
  fs.writeFileSync(tokenFile, `${TOKEN}\n`);
  const full = env({ MAIL_IMAP_HTTP_TOKENS: TOKEN, MAIL_IMAP_FILE_HOST: 'localhost', MAIL_IMAP_FILE_USER: 'u',
    MAIL_IMAP_FILE_PASS_FILE: passFile, MAIL_IMAP_HTTP_TOKEN_FILE: tokenFile });
  const run = (label, args, extraEnv = {}, opts = {}) => {
    const r = spawnSync(binary, args, { env: { ...full, ...extraEnv }, encoding: 'utf8', input: '', timeout: 20000, ...opts });
    cap.add(`${label} stdout`, r.stdout);
    cap.add(`${label} stderr`, r.stderr);
    return r;
  };
  const help = run('--help', ['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /MAIL_IMAP_DEFAULT_PASS=<redacted>/);
  assert.match(help.stdout, /MAIL_IMAP_CURSOR_SECRET=<redacted>/);
  assert.match(help.stdout, /MAIL_IMAP_HTTP_TOKENS=<redacted>/);
  assert.equal(run('--version', ['--version']).status, 0);

  const errors = [
    ['bad port next to the secrets', { MAIL_IMAP_DEFAULT_PORT: 'ninety' }, /MAIL_IMAP_DEFAULT_PORT/],
    ['token list with a space', { MAIL_IMAP_HTTP_TOKENS: `${TOKEN} ${BAD_TOKEN}` }, /MAIL_IMAP_HTTP_TOKENS/],
    ['token with a control character', { MAIL_IMAP_HTTP_TOKENS: `${TOKEN}\x01` }, /MAIL_IMAP_HTTP_TOKENS/],
    ['password and password file', { MAIL_IMAP_FILE_PASS: PASSWORD }, /MAIL_IMAP_FILE_PASS/],
    ['missing password file', { MAIL_IMAP_FILE_PASS_FILE: path.join(tmp, 'nope') }, /MAIL_IMAP_FILE_PASS_FILE/],
    ['short cursor key', { MAIL_IMAP_CURSOR_SECRET: 'Sec-short' }, /MAIL_IMAP_CURSOR_SECRET/],
    ['password in a log level', { MAIL_IMAP_LOG_LEVEL: 'loud' }, /MAIL_IMAP_LOG_LEVEL/],
  ];
  for (const [label, extra, pattern] of errors) {
    const r = run(label, [], extra);
    assert.notEqual(r.status, 0, label);
    assert.match(r.stderr, pattern, label);
  }
  // A misspelt secret variable is reported by name only (the server then serves stdio until EOF).
  const typo = run('misspelt variable', [], { MAIL_IMAP_DEFAULT_PASSWD: PASSWORD, MAIL_IMAP_HTTP_TOKEN: BAD_TOKEN });
  assert.equal(typo.status, 0);
  assert.match(typo.stderr, /MAIL_IMAP_DEFAULT_PASSWD/);
  // Malformed .env lines holding secrets: the error names the file and line, not the value.
  for (const [label, text] of [
    ['unterminated quote', `MAIL_IMAP_DEFAULT_PASS="${PASSWORD}\n`],
    ['no equals sign', `MAIL_IMAP_DEFAULT_PASS ${PASSWORD}\n`],
    ['bad name', `MAIL IMAP PASS=${PASSWORD}\n`],
  ]) {
    const dir = fs.mkdtempSync(path.join(tmp, 'dotenv-'));
    fs.writeFileSync(path.join(dir, '.env'), text);
    const r = run(`.env ${label}`, [], {}, { cwd: dir });
    assert.notEqual(r.status, 0, label);
    assert.match(r.stderr, /\.env/, label);
  }
  cap.check();
});

test('an unknown command-line option that carries a secret is not echoed', () => {
  const cap = capture();
  for (const args of [[`--password=${PASSWORD}`], [`--token=${TOKEN}`]]) {
    const r = spawnSync(binary, args, { env: baseEnv(), encoding: 'utf8', input: '' });
    assert.notEqual(r.status, 0);
    cap.add(`${args[0].split('=')[0]} stderr`, r.stderr);
  }
  cap.check();
});

/// Starts the server with core dumps allowed by the shell, logs in, then sends `signal`.
async function crash(signal, http) {
  const transportArgs = http ? ['--transport', 'http', '--listen', `127.0.0.1:${await freePort()}`] : [];
  const cwd = fs.mkdtempSync(path.join(tmp, 'crash-'));
  const child = spawn('bash', ['-c', 'ulimit -c unlimited 2>/dev/null; exec "$0" "$@"', binary, ...transportArgs],
    { env: env({ MAIL_IMAP_HTTP_TOKENS: TOKEN }), cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  if (transportArgs.length === 0) {
    // stdio: log in first, so the password has been used and sits in memory.
    child.stdin.write(JSON.stringify(initializeMessage(1)) + '\n');
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'imap_verify_account', arguments: {} } }) + '\n');
    const deadline = Date.now() + 20000;
    while (!stdout.includes('"id":2') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(stdout, /"ok":true/, 'logged in before the crash');
  } else {
    const deadline = Date.now() + 20000;
    while (!/serving MCP Streamable HTTP/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
  child.kill(signal);
  const { sig } = await exited;
  assert.equal(sig, signal);
  const cores = fs.readdirSync(cwd).filter((f) => /core/.test(f));
  return { stdout, stderr, cores: cores.map((f) => path.join(cwd, f)) };
}

// Under AddressSanitizer (scripts/test-sanitize) a SIGSEGV is ASan's: it writes its own report
// (which that run counts as a finding) and aborts, so only the SIGABRT case runs there.
const sanitized = Boolean(process.env.IMAP_MCP_SANITIZED);
for (const [signal, http] of [['SIGSEGV', false], ['SIGABRT', false], ['SIGSEGV', true]]) {
  const skip = sanitized && signal === 'SIGSEGV' ? 'ASan handles SIGSEGV itself' : false;
  test(`a ${signal} crash (${http ? 'http' : 'stdio'}) prints no secret and leaves no core file with one`, { skip }, async () => {
    const cap = capture();
    const out = await crash(signal, http);
    cap.add(`${signal} stdout`, out.stdout);
    cap.add(`${signal} stderr`, out.stderr);
    // The process marks itself non-dumpable: no core file at all where the kernel would put one.
    for (const file of out.cores) cap.add(`core file ${path.basename(file)}`, fs.readFileSync(file).toString('latin1'));
    assert.deepEqual(out.cores, [], 'no core file');
    cap.check();
  });
}
