// End-to-end over stdio with the official MCP TypeScript SDK client and raw JSON-RPC lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { binary, baseEnv, connectSdk, rawServer, initialize, envelope } from './lib.mjs';

const SECRET = 'Pa55-zebra-quartz-9731!';

const accountsEnv = () => baseEnv({
  MAIL_IMAP_DEFAULT_HOST: 'imap.example.com',
  MAIL_IMAP_DEFAULT_USER: 'alice@example.com',
  MAIL_IMAP_DEFAULT_PASS: SECRET,
  MAIL_IMAP_WORK_HOST: 'mail.work.example',
  MAIL_IMAP_WORK_PORT: '10993',
  MAIL_IMAP_WORK_USER: 'bob',
  MAIL_IMAP_WORK_PASS: SECRET,
});

test('SDK client: initialize, list tools, call imap_list_accounts', async () => {
  const { client, transport, stderr } = await connectSdk(accountsEnv());
  try {
    const info = client.getServerVersion();
    assert.equal(info.name, 'imap-mcp');
    assert.match(client.getInstructions(), /MAIL_IMAP_WRITE_ENABLED=true/);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    assert.ok(names.includes('imap_list_accounts'));
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object');
      assert.ok(t.outputSchema, `${t.name} has an output schema`);
      assert.equal(typeof t.annotations.readOnlyHint, 'boolean');
    }
    // The SDK validates structuredContent against the tool's outputSchema here.
    const result = await client.callTool({ name: 'imap_list_accounts', arguments: {} });
    assert.ok(!result.isError);
    const env = result.structuredContent;
    assert.deepEqual(env.data.accounts, [
      { account_id: 'default', host: 'imap.example.com', port: 993, secure: true },
      { account_id: 'work', host: 'mail.work.example', port: 10993, secure: true },
    ]);
    assert.equal(env.data.next_action.tool, 'imap_list_mailboxes');
    assert.match(env.meta.now_utc, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(typeof env.meta.duration_ms, 'number');
    assert.deepEqual(JSON.parse(result.content[0].text), env);
    assert.ok(!JSON.stringify(result).includes(SECRET));
    assert.ok(!JSON.stringify(result).includes('alice@example.com'), 'user names are not listed');
    const bad = await client.callTool({ name: 'imap_list_accounts', arguments: { extra: 1 } });
    assert.equal(bad.isError, true);
    assert.equal(envelope(bad).error.code, 'invalid_input');
    assert.match(envelope(bad).error.message, /^invalid input: unknown argument 'extra'/);
  } finally {
    await transport.close();
  }
  assert.ok(!stderr().includes(SECRET), 'password never on stderr');
});

test('raw lines: garbage, unknown tool, out-of-order answers, clean exit on EOF', async () => {
  const s = rawServer(accountsEnv());
  const init = await initialize(s, 'init');
  assert.equal(init.result.protocolVersion, '2025-11-25');
  s.send({ jsonrpc: '2.0', method: 'notifications/initialized' });

  s.send('this is not json');
  const parseErr = await s.next((m) => m.error && m.error.code === -32700);
  assert.equal(parseErr.id, null);

  s.send({ jsonrpc: '2.0', id: 2, method: 'ping' });
  assert.deepEqual((await s.byId(2)).result, {});

  s.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } });
  assert.equal((await s.byId(3)).error.code, -32602);

  s.send({ jsonrpc: '2.0', id: 4, method: 'no/such/method' });
  assert.equal((await s.byId(4)).error.code, -32601);

  s.send({ jsonrpc: '1.0', id: 5, method: 'ping' });
  assert.equal((await s.byId(5)).error.code, -32600);

  // Too deep: a clear error and the server keeps serving.
  s.send('['.repeat(10000) + ']'.repeat(10000));
  const deep = await s.next((m) => m.error && /nested deeper/.test(m.error.message));
  assert.equal(deep.error.code, -32700);

  // Over 4 MiB on one line: refused, and the next request still works.
  s.send('{"jsonrpc":"2.0","id":6,"method":"ping","params":{"pad":"' + 'x'.repeat(5 * 1024 * 1024) + '"}}');
  const big = await s.next((m) => m.error && /exceeds the limit/.test(m.error.message));
  assert.equal(big.error.code, -32700);
  s.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'imap_list_accounts' } });
  const listed = await s.byId(7);
  assert.equal(listed.result.structuredContent.data.accounts.length, 2);

  // Many concurrent calls are all answered.
  for (let i = 100; i < 150; i++) s.send({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'imap_list_accounts' } });
  for (let i = 100; i < 150; i++) assert.ok((await s.byId(i)).result);

  // stdout held nothing but JSON-RPC messages.
  for (const line of s.lines) {
    const msg = JSON.parse(line);
    assert.equal(msg.jsonrpc, '2.0');
  }

  const started = Date.now();
  s.close();
  const { code } = await s.exited;
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 1000, `exited within a second (${Date.now() - started} ms)`);
  assert.ok(!s.stderr().includes(SECRET));
});

test('--help lists variables and accounts with secrets redacted; --version', () => {
  const help = spawnSync(binary, ['--help'], { env: accountsEnv(), encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /MAIL_IMAP_WRITE_ENABLED/);
  assert.match(help.stdout, /MAIL_IMAP_TOOL_TIMEOUT_MS/);
  assert.match(help.stdout, /MAIL_IMAP_DEFAULT_HOST/);
  assert.match(help.stdout, /<redacted>/);
  assert.ok(!help.stdout.includes(SECRET) && !help.stderr.includes(SECRET));
  const version = spawnSync(binary, ['--version'], { env: baseEnv(), encoding: 'utf8' });
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^imap-mcp \d+\.\d+\.\d+/);
});

test('bad configuration stops start-up with a message naming the variable', () => {
  const cases = [
    [{ MAIL_IMAP_DEFAULT_PORT: 'ninety' }, /MAIL_IMAP_DEFAULT_PORT/],
    [{ MAIL_IMAP_WRITE_ENABLED: 'maybe' }, /MAIL_IMAP_WRITE_ENABLED/],
    [{ MAIL_IMAP_TOOL_TIMEOUT_MS: '-5' }, /MAIL_IMAP_TOOL_TIMEOUT_MS/],
  ];
  for (const [extra, pattern] of cases) {
    const r = spawnSync(binary, [], { env: { ...accountsEnv(), ...extra }, encoding: 'utf8', input: '' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, pattern);
    assert.equal(r.stdout, '', 'nothing on stdout');
    assert.ok(!r.stderr.includes(SECRET));
  }
  const unknown = spawnSync(binary, ['--frobnicate'], { env: baseEnv(), encoding: 'utf8', input: '' });
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /--frobnicate/);
});
