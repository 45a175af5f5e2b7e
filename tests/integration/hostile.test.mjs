// Hostile input through MCP, over stdio and Streamable HTTP. The argument matrix is derived
// from the live tools/list, so a new tool or argument is covered without editing this file.
//
// Every IMAP connection of the server under test goes through a byte-counting proxy in front
// of the suite's Dovecot: a rejected call must leave the counters untouched (nothing was sent
// to the IMAP server), and an accepted one must leave the session in sync (a known search
// afterwards still returns exactly its messages).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  countingProxy, stdioClient, httpClient, hardError, assertInvalidInput, stringSlots,
  wrongTypeValues, badNumberValues, typesOf, rawPostBytes,
} from './hostile-lib.mjs';
import { dovecotEnv } from './lib.mjs';
import { addUser, RawImap, message } from './read-lib.mjs';

const MB = 1024 * 1024;

/// IMAP syntax that a careless command builder would pass through: the server must either
/// refuse it before any IMAP traffic or send it correctly quoted / as a literal.
const IMAP_SYNTAX = ['"', '\\', '"\\"', '{123}', '{5+}', '{0}\r', ')', '(', '*', '%', ') (', 'a" OR "b',
  'x {3}', '~{2}', '\\Seen) UID FETCH 1:* (BODY[]', '[', ']', 'NIL', 'ü', 'Grüße 😀', ' '];

let user;
let proxy;
let canaryIds;
const fixture = {};

/// The server environment: the dedicated user, through the proxy, writes enabled.
const env = (extra = {}) => dovecotEnv({
  MAIL_IMAP_DEFAULT_HOST: '127.0.0.1',
  MAIL_IMAP_DEFAULT_PORT: String(proxy.port),
  MAIL_IMAP_WRITE_ENABLED: 'true',
  MAIL_IMAP_LOG_LEVEL: 'warn',
  MAIL_IMAP_HTTP_RATE_LIMIT: '100000',
  ...extra,
}, { user: user.user, pass: user.pass });

before(async () => {
  user = addUser('hostile');
  const im = await RawImap.open(user);
  await im.cmd('CREATE Canary');
  await im.cmd('CREATE Archive');
  await im.cmd('CREATE Syntax');
  // The message that write tools act on when a hostile value is accepted (it may move away).
  await im.append('INBOX', message({ date: 'Mon, 01 Jan 2024 09:00:00 +0000', subject: 'victim' }));
  for (let i = 1; i <= 3; i++)
    await im.append('Canary', message({ date: 'Mon, 01 Jan 2024 10:00:00 +0000', subject: `canary ${i}` }));
  // One message per IMAP syntax string, to search for it literally.
  for (const [i, s] of IMAP_SYNTAX.entries()) {
    if (/[\r\n]/.test(s)) continue;
    await im.append('Syntax', message({ date: 'Tue, 02 Jan 2024 10:00:00 +0000', subject: `syntax-${i} <${s}> end` }));
  }
  await im.close();
  proxy = await countingProxy(Number(process.env.IMAP_MCP_TEST_IMAP_PORT));
});

after(() => proxy?.close());

/// Finds a message id in INBOX (IMAP traffic, done before any counting starts).
async function prepare(c) {
  const tools = (await c.request('tools/list', {})).result.tools;
  assert.ok(tools.length >= 6, 'tools/list returned the catalog');
  if (!fixture.messageId) {
    const found = await c.call('imap_search_messages', { mailbox: 'INBOX', limit: 1 });
    fixture.messageId = found.result.structuredContent.data.messages[0].message_id;
  }
  return tools;
}

/// A minimal set of arguments that passes validation, so that the argument under test is
/// the only thing wrong. Runtime rules (message_id or message_ids, a flag list, confirm)
/// are satisfied for every tool that declares those arguments.
function baseArgs(tool, target) {
  const props = tool.inputSchema.properties ?? {};
  const required = new Set(tool.inputSchema.required ?? []);
  const known = {
    account_id: 'default', mailbox: 'INBOX', destination_mailbox: 'Archive', message_id: fixture.messageId,
    confirm: true, add_flags: ['$HostileTest'], action: 'create',
  };
  const alwaysWhenDeclared = new Set(['message_id', 'add_flags', 'confirm']);
  const args = {};
  for (const [name, schema] of Object.entries(props)) {
    if (name in known) {
      if (required.has(name) || alwaysWhenDeclared.has(name)) args[name] = known[name];
    } else if (required.has(name)) {
      const t = typesOf(schema)[0];
      args[name] = t === 'integer' ? (schema.minimum ?? 1) : t === 'boolean' ? false : t === 'array' ? ['x'] : 'x';
    }
  }
  if (target === 'message_ids') delete args.message_id;
  if (target === 'destination_mailbox' && props.action) args.action = 'rename';
  return args;
}

/// A valid value of the same slot, for "valid prefix + injected tail" cases.
function validValue(slot) {
  const byName = { account_id: 'default', mailbox: 'INBOX', destination_mailbox: 'Archive', message_id: fixture.messageId,
    message_ids: fixture.messageId, add_flags: '\\Seen', remove_flags: '\\Seen', start_date: '2024-01-01',
    end_date: '2024-01-31', action: 'create', destination_account_id: 'default' };
  return byName[slot.name] ?? 'text';
}

/// Values that no string argument may accept.
function mustRejectStrings(slot, bigBytes) {
  const valid = validValue(slot);
  const values = [
    ['CR', 'a\rb'], ['LF', 'a\nb'], ['CRLF', 'a\r\nb'], ['NUL', 'a\0b'], ['TAB', '\t'], ['DEL', 'a\x7f'],
    ['ESC', '\x1b[31m'], ['CRLF command', `${valid}\r\nA1 LOGOUT`], ['CRLF untagged', '"\r\n* OK'],
    ['LF after literal', `${valid} {5}\n12345`], ['NUL after valid', `${valid}\0`],
    ['big', 'a'.repeat(bigBytes)],
  ];
  if (slot.schema.maxLength !== undefined) values.push(['maxLength+1', 'b'.repeat(slot.schema.maxLength + 1)]);
  if ((slot.schema.minLength ?? 0) > 0) values.push(['empty', '']);
  return values;
}

/// Runs `fn` and asserts that the IMAP server saw no connection and no byte meanwhile.
async function withoutImapTraffic(what, fn) {
  await proxy.quiet();
  const before = proxy.snapshot();
  const result = await fn();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(proxy.snapshot(), before, `${what}: nothing may reach the IMAP server`);
  return result;
}

/// The health check after hostile input: ping, and a known search returns exactly its messages.
async function assertHealthy(c, what, { ping = true } = {}) {
  if (ping) assert.deepEqual((await c.request('ping', {})).result, {}, `${what}: ping answered`);
  const r = await c.call('imap_search_messages', { mailbox: 'Canary', subject: 'canary' });
  assert.ok(r.result && !r.result.isError, `${what}: canary search: ${JSON.stringify(r).slice(0, 300)}`);
  const data = r.result.structuredContent.data;
  assert.equal(data.status, 'ok', `${what}: canary search status`);
  const subjects = data.messages.map((m) => m.subject).sort();
  assert.deepEqual(subjects, ['canary 1', 'canary 2', 'canary 3'], `${what}: canary search in sync`);
  if (!canaryIds) canaryIds = data.messages.map((m) => m.message_id);
}

const transports = {
  stdio: async () => {
    const c = stdioClient(env());
    await c.initialize();
    return c;
  },
  // info: the HTTP server announces that it listens at that level.
  http: () => httpClient(env({ MAIL_IMAP_LOG_LEVEL: 'info' })),
};

for (const [kind, open] of Object.entries(transports)) {
  test(`${kind}: control characters, over-long values and wrong types in every argument of every tool are invalid_input naming it, with no IMAP traffic`, async () => {
    const c = await open();
    try {
      const tools = await prepare(c);
      let calls = 0;
      await withoutImapTraffic('rejected arguments', async () => {
        for (const tool of tools) {
          const props = tool.inputSchema.properties ?? {};
          for (const slot of stringSlots(tool)) {
            // 3 MB over stdio; over HTTP 300 KB (the same validation, and each MB of body costs
            // about a second on a loaded 2-core CI machine; 10 MB bodies are tested below).
            for (const [label, value] of mustRejectStrings(slot, kind === 'stdio' ? 3 * MB : 300 * 1024)) {
              const args = { ...baseArgs(tool, slot.name), [slot.name]: slot.wrap(value) };
              const msg = await c.call(tool.name, args);
              calls++;
              assertInvalidInput(msg, slot.name, `${kind} ${tool.name}.${slot.path} = ${label}`);
            }
          }
          for (const [name, schema] of Object.entries(props)) {
            if (typesOf(schema).length === 0) continue; // untyped: checked by the tool itself
            const base = baseArgs(tool, name);
            const values = wrongTypeValues(schema);
            if (typesOf(schema).includes('integer')) values.push(...badNumberValues(schema));
            if (typesOf(schema).includes('array')) values.push('[1]', '[null]', '[[]]', '[{}]', `[${'['.repeat(50)}${']'.repeat(50)}]`);
            for (const text of values) {
              const rest = JSON.stringify({ ...base, [name]: undefined });
              const argsText = rest === '{}' ? `{${JSON.stringify(name)}:${text}}`
                : `${rest.slice(0, -1)},${JSON.stringify(name)}:${text}}`;
              const msg = await c.callRaw(tool.name, argsText);
              calls++;
              assertInvalidInput(msg, name, `${kind} ${tool.name}.${name} = ${text.slice(0, 40)}`);
            }
          }
          // Unknown arguments, including names that are themselves hostile.
          for (const [key, shown] of [['zz_unknown', 'zz_unknown'], ['a\r\nb', '<unprintable>'],
            ['k'.repeat(100000), '<unprintable>'], ['{5+}', '{5+}'], ['__proto__', '__proto__']]) {
            const args = { ...baseArgs(tool), [key]: 'x' };
            const text = key === '__proto__' ? JSON.stringify(baseArgs(tool)).replace(/^\{/, '{"__proto__":"x"' + (Object.keys(baseArgs(tool)).length ? ',' : ''))
              : JSON.stringify(args);
            const msg = await c.callRaw(tool.name, text);
            calls++;
            assertInvalidInput(msg, `unknown argument '${shown}'`, `${kind} ${tool.name} extra ${shown.slice(0, 20)}`);
            assert.ok(hardError(msg).message.length < 1000, 'the error stays short');
          }
        }
      });
      assert.ok(calls > 500, `${calls} hostile calls`);
      await assertHealthy(c, `${kind} after ${calls} rejected calls`);
    } finally {
      await c.close();
    }
  });

  test(`${kind}: IMAP syntax in every string argument is refused before IMAP or sent safely`, async () => {
    const c = await open();
    try {
      const tools = await prepare(c);
      const accepted = [];
      for (const tool of tools) {
        for (const slot of stringSlots(tool)) {
          const valid = validValue(slot);
          // The validation path is the same for both transports: over HTTP a third of the
          // strings shows that the transport carries them unchanged.
          const syntax = kind === 'stdio' ? IMAP_SYNTAX : IMAP_SYNTAX.filter((_, i) => i % 3 === 0);
          const values = syntax.flatMap((s) => [s, `${valid}${s}`]);
          if (slot.name === 'message_id' || slot.name === 'message_ids') {
            // Syntax inside the mailbox part of an otherwise well-formed id.
            const m = /^imap:([^:]+):(.*):(\d+):(\d+)$/.exec(fixture.messageId);
            for (const s of syntax) values.push(`imap:${m[1]}:${m[2]}${s}:${m[3]}:${m[4]}`);
          }
          for (const value of values) {
            const args = { ...baseArgs(tool, slot.name), [slot.name]: slot.wrap(value) };
            const what = `${kind} ${tool.name}.${slot.path} = ${JSON.stringify(value)}`;
            await proxy.quiet();
            const before = proxy.snapshot();
            const msg = await c.call(tool.name, args);
            assert.ok(msg.result, `${what}: a tool result, not a JSON-RPC error: ${JSON.stringify(msg).slice(0, 300)}`);
            const err = hardError(msg);
            // invalid_input from our own checks comes before any IMAP traffic; a name the IMAP
            // server refuses ([CANNOT]) is invalid_input too, but says which command it failed.
            const serverRefusal = err && /^invalid input: IMAP \w+ failed/.test(err.message);
            if (err && err.code === 'invalid_input' && !serverRefusal) {
              await new Promise((r) => setTimeout(r, 20));
              assert.deepEqual(proxy.snapshot(), before, `${what}: refused, so nothing may reach the IMAP server`);
              const named = err.message.includes(slot.name);
              assert.ok(named, `${what}: '${err.message}' names ${slot.name}`);
              continue;
            }
            // Accepted: whatever the outcome (ok, soft issue, not_found), the call was answered
            // and the IMAP session is still in step with the server.
            // A name the IMAP server itself refuses comes back as its refusal: invalid_input
            // when the name is the reason ([CANNOT]), internal for other refusals.
            assert.ok(!err || ['not_found', 'conflict'].includes(err.code) || serverRefusal ||
              (err.code === 'internal' && /IMAP \w+ failed/.test(err.message)), `${what}: ${JSON.stringify(err)}`);
            accepted.push(what);
            await assertHealthy(c, what, { ping: false });
          }
        }
      }
      // Free-text arguments must accept IMAP syntax (it is legitimate search text).
      for (const arg of ['query', 'subject', 'from', 'to', 'mailbox']) {
        assert.ok(accepted.some((w) => w.includes(`imap_search_messages.${arg} = "{123}"`)), `search ${arg} accepts {123}`);
      }
    } finally {
      await c.close();
    }
  });
}

test('search text with quotes, backslashes, literal syntax and non-ASCII finds exactly the messages that contain it', async () => {
  const c = await transports.stdio();
  try {
    for (const [i, s] of IMAP_SYNTAX.entries()) {
      if (/[\r\n]/.test(s)) continue;
      const r = await c.call('imap_search_messages', { mailbox: 'Syntax', subject: `<${s}> end`, limit: 50 });
      assert.ok(r.result && !r.result.isError, `${JSON.stringify(s)}: ${JSON.stringify(r).slice(0, 300)}`);
      const data = r.result.structuredContent.data;
      assert.equal(data.status, 'ok', `${JSON.stringify(s)}: ${JSON.stringify(data.issues)}`);
      const expected = IMAP_SYNTAX.map((t, k) => ({ t, k }))
        .filter(({ t }) => !/[\r\n]/.test(t) && `syntax-x <${t}> end`.toLowerCase().includes(`<${s}> end`.toLowerCase()))
        .map(({ k }) => `syntax-${k} <${IMAP_SYNTAX[k]}> end`).sort();
      assert.deepEqual(data.messages.map((m) => m.subject).sort(), expected, `subject search for ${JSON.stringify(s)} (message ${i})`);
      // The same text as query and in from/to: answered, in sync (no match expected in from/to).
      for (const arg of ['query', 'from', 'to']) {
        const q = await c.call('imap_search_messages', { mailbox: 'Syntax', [arg]: s });
        assert.ok(q.result && !q.result.isError, `${arg} ${JSON.stringify(s)}`);
      }
    }
    await assertHealthy(c, 'after the syntax searches');
  } finally {
    await c.close();
  }
});

test('mailbox names with IMAP syntax round-trip through create, list, search and delete, or are refused cleanly', async () => {
  const c = await transports.stdio();
  try {
    for (const s of IMAP_SYNTAX) {
      if (/[\r\n]/.test(s)) continue;
      const name = `H ${s} x`;
      const created = await c.call('imap_manage_mailbox', { action: 'create', mailbox: name });
      const err = hardError(created);
      if (err) {
        assert.equal(err.code, 'invalid_input', `${JSON.stringify(name)}: ${err.message}`);
        continue;
      }
      const data = created.result.structuredContent.data;
      if (data.status !== 'ok') {
        // The server refused the name (e.g. wildcards): a clear issue, and the session is fine.
        assert.ok(data.issues.length >= 1, JSON.stringify(data));
        await assertHealthy(c, `after refused create ${JSON.stringify(name)}`);
        continue;
      }
      const listed = await c.call('imap_list_mailboxes', {});
      const names = listed.result.structuredContent.data.mailboxes.map((m) => m.name);
      assert.ok(names.includes(name), `${JSON.stringify(name)} listed as created: ${JSON.stringify(names)}`);
      const search = await c.call('imap_search_messages', { mailbox: name });
      assert.ok(!search.result.isError, `search in ${JSON.stringify(name)}: ${search.result.content[0].text.slice(0, 200)}`);
      assert.equal(search.result.structuredContent.data.total, 0);
      const deleted = await c.call('imap_manage_mailbox', { action: 'delete', mailbox: name });
      assert.equal(deleted.result.structuredContent.data.status, 'ok', `delete ${JSON.stringify(name)}`);
      await assertHealthy(c, `after ${JSON.stringify(name)}`);
    }
  } finally {
    await c.close();
  }
});

for (const [kind, open] of Object.entries(transports)) {
  test(`${kind}: 10 MB arguments, 10,000-deep JSON, invalid UTF-8, lone surrogates and NaN get the prescribed JSON-RPC errors, then the server is healthy`, async () => {
    const c = await open();
    try {
      const tools = await prepare(c);
      const call = (name, argsText, id = 77) =>
        `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":${JSON.stringify(name)},"arguments":${argsText}}}`;
      // Parse-level rejections: -32700 with id null (stdio) or HTTP 400/413 (HTTP).
      const parseErrors = [
        ['10,000-deep arguments', call('imap_search_messages', `{"mailbox":${'['.repeat(10000)}${']'.repeat(10000)}}`), /nested deeper/],
        ['10,000-deep message', '['.repeat(10000) + ']'.repeat(10000), /nested deeper/],
        ['10,000-deep objects', '{"a":'.repeat(10000) + '1' + '}'.repeat(10000), /nested deeper/],
        ['lone high surrogate', call('imap_search_messages', '{"mailbox":"INBOX","query":"\\ud800"}'), /invalid JSON/],
        ['lone low surrogate', call('imap_search_messages', '{"mailbox":"\\udc00"}'), /invalid JSON/],
        ['NaN', call('imap_search_messages', '{"mailbox":"INBOX","limit":NaN}'), /invalid JSON/],
        ['Infinity', call('imap_search_messages', '{"mailbox":"INBOX","limit":Infinity}'), /invalid JSON/],
        ['1e400', call('imap_search_messages', '{"mailbox":"INBOX","limit":1e400}'), /invalid JSON/],
        ['hex number', call('imap_search_messages', '{"mailbox":"INBOX","limit":0x10}'), /invalid JSON/],
        ['unescaped control in string', call('imap_search_messages', '{"mailbox":"IN\u0001BOX"}'), /invalid JSON/],
      ];
      const bytes = [
        ['invalid UTF-8 (0xff)', Buffer.concat([Buffer.from(call('imap_search_messages', '{"mailbox":"IN').slice(0)), Buffer.from([0xff]), Buffer.from('BOX"}}}')])],
        ['overlong UTF-8 NUL', Buffer.concat([Buffer.from(call('imap_search_messages', '{"mailbox":"IN')), Buffer.from([0xc0, 0x80]), Buffer.from('BOX"}}}')])],
        ['UTF-8 encoded surrogate', Buffer.concat([Buffer.from(call('imap_search_messages', '{"mailbox":"IN')), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('BOX"}}}')])],
      ];
      await withoutImapTraffic(`${kind} malformed JSON`, async () => {
        for (const [label, text, reason] of [...parseErrors, ...bytes.map(([l, b]) => [l, b, /invalid JSON/])]) {
          if (kind === 'stdio') {
            const msg = await c.sendRaw(text, null);
            assert.equal(msg.error?.code, -32700, `${label}: ${JSON.stringify(msg).slice(0, 200)}`);
            assert.match(msg.error.message, reason, label);
          } else {
            const r = await rawPostBytes(c.server.url, Buffer.isBuffer(text) ? text : Buffer.from(text), { session: c.session });
            assert.equal(r.status, 400, `${label}: ${r.body.slice(0, 200)}`);
            assert.equal(JSON.parse(r.body).error.code, -32700, label);
            assert.match(JSON.parse(r.body).error.message, reason, label);
          }
        }
        // 10 MB in every string argument: beyond the message size limit (4 MiB line / HTTP body).
        for (const tool of tools) {
          for (const slot of stringSlots(tool)) {
            const args = { ...baseArgs(tool, slot.name), [slot.name]: slot.wrap('x'.repeat(10 * MB)) };
            const text = call(tool.name, JSON.stringify(args));
            if (kind === 'stdio') {
              const msg = await c.sendRaw(text, null);
              assert.equal(msg.error?.code, -32700, `${tool.name}.${slot.path}`);
              assert.match(msg.error.message, /exceeds the limit of \d+ bytes/);
            } else {
              const r = await rawPostBytes(c.server.url, Buffer.from(text), { session: c.session });
              // The server reads and drops the rest of the body (lingering close), so the
              // client reads the 413 rather than a reset.
              assert.equal(r.status, 413, `${tool.name}.${slot.path}: ${r.status} ${r.body.slice(0, 200)}`);
            }
          }
        }
        // Deep but within the parser's bound: a schema error naming the argument.
        const deep = await c.callRaw('imap_search_messages', `{"mailbox":${'['.repeat(60)}${']'.repeat(60)}}`);
        assertInvalidInput(deep, 'mailbox', 'depth 60');
        // A duplicate key: the last one counts, and it is validated like any other value.
        const dup = await c.callRaw('imap_search_messages', '{"mailbox":"INBOX","mailbox":"IN\\r\\nBOX"}');
        assertInvalidInput(dup, 'mailbox', 'duplicate key');
        // Hostile ids, method and tool names are echoed boundedly, never executed.
        const longName = await c.request('tools/call', { name: 'imap_'.repeat(200000), arguments: {} });
        assert.equal(longName.error.code, -32602);
        assert.ok(longName.error.message.length < 200, 'unknown tool name is shortened');
        const longMethod = await c.request('x'.repeat(2 * MB), {});
        assert.equal(longMethod.error.code, -32601);
        assert.ok(JSON.stringify(longMethod).length < 1000, 'unknown method is shortened in the error');
      });
      await assertHealthy(c, `${kind} after malformed JSON`);
    } finally {
      await c.close();
    }
  });
}

test('http: a client that sends a 10 MB body can read the 413', async () => {
  const c = await transports.http();
  try {
    const r = await rawPostBytes(c.server.url, Buffer.from(`{"pad":"${'x'.repeat(10 * MB)}"}`), { session: c.session });
    assert.equal(r.status, 413);
  } finally {
    await c.close();
  }
});
