// Write tools end to end against the suite's Dovecot. Every test makes its own Dovecot user and
// fills its Maildir directly, so tests never interfere. Effects are verified independently: by a
// second imap-mcp process with writes disabled (its own IMAP session), by the Maildir on disk,
// or by a TCP listener that proves no IMAP connection was even attempted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { baseEnv, dovecotEnv, rawServer, initialize, envelope } from './lib.mjs';

const source = process.env.IMAP_MCP_SOURCE_DIR;
const stateDir = process.env.IMAP_MCP_TEST_STATE_DIR;
const imapServer = path.join(source, 'scripts', 'imap-server');
const GATE = 'invalid input: write tools are disabled; set MAIL_IMAP_WRITE_ENABLED=true';
const CONFIRM = 'invalid input: delete requires confirm=true';
const CONFLICT = 'conflict: message uidvalidity no longer matches mailbox';

// ---- mailbox fixtures ------------------------------------------------------------------------

function mailOwner() {
  if (process.getuid() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function chownTree(dir, owner) {
  if (!owner) return;
  fs.chownSync(dir, owner.uid, owner.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, owner);
    else fs.chownSync(p, owner.uid, owner.gid);
  }
}

/// A message: subject, Maildir flag letters (S seen, F flagged, T deleted, R answered, D draft),
/// optional internal date (file mtime) and whether it has a Date header.
function messageText(user, m, i) {
  const headers = [`From: Sender ${i} <sender${i}@example.org>`, `To: ${user}@example.org`,
    `Subject: ${m.subject}`, `Message-ID: <${user}.${m.subject.replace(/\W/g, '')}.${i}@example.org>`];
  if (m.dateHeader !== false) headers.push('Date: Mon, 26 Feb 2024 10:30:45 +0000');
  return headers.join('\r\n') + '\r\n\r\n' + `Body of ${m.subject}.\r\n`;
}

/// Makes a Dovecot user whose Maildir holds `folders` ({INBOX: [...], Archive: [...]}); UIDs
/// are 1..n per folder in the given order, UIDVALIDITY is `uidvalidity` (+ folder index).
function makeUser(folders, { uidvalidity = 1000 } = {}) {
  const name = 'w' + crypto.randomBytes(5).toString('hex');
  const pass = 'pw-' + crypto.randomBytes(6).toString('hex');
  execFileSync(imapServer, ['add-user', stateDir, `${name}:${pass}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Dovecot's passwd-file driver looks at the file at most once per second: a user added in
  // the same second as the last login would be unknown until the clock moves on.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1100);
  const home = path.join(stateDir, 'home', name);
  const maildir = path.join(home, 'Maildir');
  const uidvalidities = {};
  Object.entries(folders).forEach(([folder, messages], index) => {
    const dir = folder === 'INBOX' ? maildir : path.join(maildir, '.' + folder.replaceAll('/', '.'));
    for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    if (folder !== 'INBOX') fs.writeFileSync(path.join(dir, 'maildirfolder'), '');
    const uv = uidvalidity + index;
    uidvalidities[folder] = uv;
    let lines = '';
    messages.forEach((m, i) => {
      const uid = i + 1;
      const base = `1700000000.M${uid}P${index}.imap-mcp-test`;
      const file = path.join(dir, 'cur', `${base}:2,${(m.flags || '').split('').sort().join('')}`);
      fs.writeFileSync(file, messageText(name, m, uid));
      const mtime = m.internalDate ? new Date(m.internalDate) : new Date('2024-02-26T10:30:45Z');
      fs.utimesSync(file, mtime, mtime);
      lines += `${uid} :${base}\n`;
    });
    fs.writeFileSync(path.join(dir, 'dovecot-uidlist'), `3 V${uv} N${messages.length + 1}\n${lines}`);
  });
  chownTree(home, mailOwner());
  return { name, pass, maildir, uidvalidities, id: (folder, uid, account = 'default') => `imap:${account}:${folder}:${uidvalidities[folder]}:${uid}` };
}

/// Every message file of a folder, by Maildir name (flags included).
function maildirFiles(user, folder = 'INBOX') {
  const dir = folder === 'INBOX' ? user.maildir : path.join(user.maildir, '.' + folder.replaceAll('/', '.'));
  const out = [];
  for (const sub of ['cur', 'new']) {
    const p = path.join(dir, sub);
    if (fs.existsSync(p)) for (const f of fs.readdirSync(p)) out.push(path.join(p, f));
  }
  return out.sort();
}

function snapshot(user) {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\/(cur|new)\//.test(p)) out.push(p);
    }
  };
  walk(user.maildir);
  return out.sort();
}

// ---- servers -----------------------------------------------------------------------------

let nextId = 1;
async function call(s, name, args = {}, { meta, timeoutMs = 30000 } = {}) {
  const id = nextId++;
  const params = { name, arguments: args };
  if (meta) params._meta = meta;
  s.send({ jsonrpc: '2.0', id, method: 'tools/call', params });
  const msg = await s.byId(id, timeoutMs);
  assert.ok(msg.result, `tools/call ${name} answered with a result: ${JSON.stringify(msg)}`);
  return { id, result: msg.result };
}

async function tool(s, name, args, options) {
  return envelope((await call(s, name, args, options)).result);
}

function userEnv(user, extra = {}, segment = 'DEFAULT') {
  return dovecotEnv(extra, { segment, user: user.name, pass: user.pass });
}

async function started(env) {
  const s = rawServer(env);
  await initialize(s, 'init');
  return s;
}

async function stop(s) {
  s.close();
  const { code } = await s.exited;
  assert.equal(code, 0, s.stderr());
}

/// A writer (gate open) and an independent reader (gate closed, own process and session).
async function pair(user, extraEnv = {}) {
  const writer = await started(userEnv(user, { MAIL_IMAP_WRITE_ENABLED: 'true', ...extraEnv }));
  const reader = await started(userEnv(user));
  return { writer, reader, close: async () => { await stop(writer); await stop(reader); } };
}

/// The messages of a mailbox as the independent reader sees them: {uid: {subject, flags}}.
async function look(reader, mailbox) {
  const env = await tool(reader, 'imap_search_messages', { mailbox, limit: 50 });
  assert.ok(env.data, JSON.stringify(env));
  const out = {};
  // \Recent is session state of the reader's own session, not a message property.
  for (const m of env.data.messages) {
    out[m.uid] = { subject: m.subject, flags: m.flags.filter((f) => f !== '\\Recent').sort(), date: m.date, id: m.message_id };
  }
  return out;
}

function errorMessage(env) {
  assert.ok(env.error, `expected a hard error, got ${JSON.stringify(env)}`);
  return env.error.message;
}

// ---- tests -----------------------------------------------------------------------------------

test('write gate closed: every write tool gives the exact error and the mailbox is untouched', async () => {
  const user = makeUser({ INBOX: [{ subject: 'one', flags: 'F' }, { subject: 'two' }], Archive: [{ subject: 'three' }] });
  const before = snapshot(user);
  for (const gate of [undefined, 'false', '0']) {
    const s = await started(userEnv(user, gate ? { MAIL_IMAP_WRITE_ENABLED: gate } : {}));
    const id = user.id('INBOX', 1);
    const calls = [
      ['imap_update_message_flags', { message_id: id, add_flags: ['\\Seen'], remove_flags: ['\\Flagged'] }],
      ['imap_copy_message', { message_id: id, destination_mailbox: 'Archive' }],
      ['imap_move_message', { message_ids: [id, user.id('INBOX', 2)], destination_mailbox: 'Archive' }],
      ['imap_delete_message', { message_id: id, confirm: true }],
      ['imap_manage_mailbox', { action: 'delete', mailbox: 'Archive' }],
      ['imap_manage_mailbox', { action: 'create', mailbox: 'New/Sub' }],
    ];
    for (const [name, args] of calls) {
      const { result } = await call(s, name, args);
      assert.equal(result.isError, true, name);
      assert.equal(errorMessage(envelope(result)), GATE, name);
    }
    await stop(s);
  }
  assert.deepEqual(snapshot(user), before);
});

test('flags: add and remove system flags and keywords, report the flags after the change', async () => {
  const user = makeUser({ INBOX: [{ subject: 'alpha', flags: 'F' }, { subject: 'beta', flags: 'S' }] });
  const { writer, reader, close } = await pair(user);
  const ids = [user.id('INBOX', 1), user.id('INBOX', 2)];
  let env = await tool(writer, 'imap_update_message_flags',
    { message_ids: ids, add_flags: ['\\Seen', '\\answered', '$Label', 'Work'], remove_flags: ['\\Flagged'] });
  assert.equal(env.data.status, 'ok', JSON.stringify(env));
  assert.equal(env.data.results.length, 2);
  for (const r of env.data.results) {
    assert.equal(r.status, 'ok');
    assert.deepEqual([...r.flags].sort(), ['$Label', 'Work', '\\Answered', '\\Seen']);
  }
  let seen = await look(reader, 'INBOX');
  assert.deepEqual(seen[1].flags, ['$Label', 'Work', '\\Answered', '\\Seen']);
  assert.deepEqual(seen[2].flags, ['$Label', 'Work', '\\Answered', '\\Seen']);

  env = await tool(writer, 'imap_update_message_flags', { message_id: ids[0], remove_flags: ['$Label', '\\Seen'] });
  assert.equal(env.data.status, 'ok');
  assert.deepEqual([...env.data.results[0].flags].sort(), ['Work', '\\Answered']);
  seen = await look(reader, 'INBOX');
  assert.deepEqual(seen[1].flags, ['Work', '\\Answered']);
  assert.deepEqual(seen[2].flags, ['$Label', 'Work', '\\Answered', '\\Seen']);

  // A UID that does not exist is a per-message failure, not a failed call.
  env = await tool(writer, 'imap_update_message_flags', { message_ids: [ids[0], user.id('INBOX', 99)], add_flags: ['\\Flagged'] });
  assert.equal(env.data.status, 'partial');
  assert.equal(env.data.results[1].status, 'failed');
  assert.equal(env.data.results[1].issues[0].code, 'not_found');
  await close();
});

test('hostile flags and mailbox names are rejected before any IMAP traffic', async () => {
  // The account points at a listener that only counts connections: any IMAP attempt shows.
  let connections = 0;
  const srv = net.createServer((sock) => { connections++; sock.destroy(); });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const s = await started(baseEnv({
    MAIL_IMAP_DEFAULT_HOST: '127.0.0.1', MAIL_IMAP_DEFAULT_PORT: String(srv.address().port),
    MAIL_IMAP_DEFAULT_USER: 'nobody', MAIL_IMAP_DEFAULT_PASS: 'x', MAIL_IMAP_WRITE_ENABLED: 'true',
  }));
  const id = 'imap:default:INBOX:1000:1';
  const flagCases = ['\\Recent', '\\Seen) UID FETCH 1:* (BODY[]', 'a\r\nb', '\\Seen\r\nA1 LOGOUT', '"quoted"',
    '{5}', 'br{ce}', '\\*', 'two words'];
  for (const flag of flagCases) {
    for (const key of ['add_flags', 'remove_flags']) {
      const env = envelope((await call(s, 'imap_update_message_flags', { message_id: id, [key]: [flag] })).result);
      const message = errorMessage(env);
      assert.equal(env.error.code, 'invalid_input', flag);
      if (!/[\r\n]/.test(flag)) {
        assert.match(message, /valid system flags are \\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft/, flag);
      }
    }
  }
  const names = ['X\r\nA1 DELETE INBOX', 'Evil" DELETE "INBOX', 'Lit{5}', 'Brace}', 'Tab\there'];
  for (const name of names) {
    const calls = [
      ['imap_copy_message', { message_id: id, destination_mailbox: name }],
      ['imap_move_message', { message_id: id, destination_mailbox: name }],
      ['imap_manage_mailbox', { action: 'create', mailbox: name }],
      ['imap_manage_mailbox', { action: 'rename', mailbox: 'Archive', destination_mailbox: name }],
    ];
    for (const [toolName, args] of calls) {
      const env = envelope((await call(s, toolName, args)).result);
      assert.equal(env.error?.code, 'invalid_input', `${toolName} ${JSON.stringify(name)}: ${JSON.stringify(env)}`);
    }
  }
  await stop(s);
  srv.close();
  assert.equal(connections, 0, 'no IMAP connection was attempted');
});

test('move leaves the message only in the destination, with its flags; copy leaves both', async () => {
  const user = makeUser({
    INBOX: [{ subject: 'to-move', flags: 'FS' }, { subject: 'to-copy', flags: 'R' }, { subject: 'stays' }],
    Archive: [{ subject: 'old' }],
  });
  const { writer, reader, close } = await pair(user);
  let env = await tool(writer, 'imap_move_message', { message_id: user.id('INBOX', 1), destination_mailbox: 'Archive' });
  assert.ok(env.data, JSON.stringify(env));
  assert.equal(env.data.status, 'ok', JSON.stringify(env));
  const moved = env.data.results[0];
  assert.deepEqual([...moved.flags].sort(), ['\\Flagged', '\\Seen']);
  assert.equal(moved.new_message_id, user.id('Archive', 2));

  env = await tool(writer, 'imap_copy_message', { message_id: user.id('INBOX', 2), destination_mailbox: 'Archive' });
  assert.ok(env.data, JSON.stringify(env));
  assert.equal(env.data.status, 'ok', JSON.stringify(env));
  assert.equal(env.data.results[0].new_message_id, user.id('Archive', 3));

  const inbox = await look(reader, 'INBOX');
  const archive = await look(reader, 'Archive');
  assert.deepEqual(Object.values(inbox).map((m) => m.subject).sort(), ['stays', 'to-copy']);
  assert.deepEqual(Object.values(archive).map((m) => m.subject).sort(), ['old', 'to-copy', 'to-move']);
  assert.deepEqual(archive[2].flags, ['\\Flagged', '\\Seen']);
  assert.equal(archive[2].id, moved.new_message_id);
  assert.deepEqual(archive[3].flags, ['\\Answered']);
  assert.deepEqual(inbox[2].flags, ['\\Answered']);

  // The destination must exist and differ from the source.
  env = await tool(writer, 'imap_move_message', { message_id: user.id('INBOX', 3), destination_mailbox: 'Nowhere' });
  assert.equal(errorMessage(env), "not found: destination mailbox 'Nowhere' does not exist");
  env = await tool(writer, 'imap_copy_message', { message_id: user.id('INBOX', 3), destination_mailbox: 'Nowhere' });
  assert.equal(env.error.code, 'not_found');
  env = await tool(writer, 'imap_move_message', { message_id: user.id('INBOX', 3), destination_mailbox: 'INBOX' });
  assert.equal(errorMessage(env), 'invalid input: destination_mailbox must differ from the source mailbox');
  assert.equal(Object.keys(await look(reader, 'INBOX')).length, 2);
  await close();
});

test('cross-account copy keeps flags and internal date; new_message_id is right', async () => {
  const internalDate = '2021-06-15T12:34:56Z';
  const src = makeUser({ INBOX: [{ subject: 'travels', flags: 'FRS', dateHeader: false, internalDate }] });
  const dst = makeUser({ INBOX: [{ subject: 'resident' }], Imported: [] }, { uidvalidity: 5000 });
  const env2 = { ...userEnv(dst, {}, 'OTHER'), MAIL_IMAP_WRITE_ENABLED: 'true' };
  const writer = await started({ ...userEnv(src), ...env2 });
  const reader = await started(userEnv(dst));
  const env = await tool(writer, 'imap_copy_message',
    { message_id: src.id('INBOX', 1), destination_mailbox: 'Imported', destination_account_id: 'other' });
  assert.equal(env.data.status, 'ok', JSON.stringify(env));
  assert.equal(env.data.destination_account_id, 'other');
  const r = env.data.results[0];
  assert.equal(r.new_message_id, `imap:other:Imported:${dst.uidvalidities.Imported}:1`);
  assert.deepEqual([...r.flags].sort(), ['\\Answered', '\\Flagged', '\\Seen']);

  const seen = await look(reader, 'Imported');
  assert.deepEqual(Object.keys(seen), ['1']);
  assert.equal(seen[1].subject, 'travels');
  assert.deepEqual(seen[1].flags, ['\\Answered', '\\Flagged', '\\Seen']);
  // No Date header: the summary's date is the INTERNALDATE, which the APPEND kept.
  assert.equal(seen[1].date, '2021-06-15T12:34:56Z');
  const files = maildirFiles(dst, 'Imported');
  assert.equal(files.length, 1);
  assert.equal(fs.statSync(files[0]).mtime.toISOString(), '2021-06-15T12:34:56.000Z');
  // The source still has it.
  assert.equal(maildirFiles(src, 'INBOX').length, 1);

  // Unknown destination mailbox on the other account: a clear not_found.
  const missing = await tool(writer, 'imap_copy_message',
    { message_id: src.id('INBOX', 1), destination_mailbox: 'Nope', destination_account_id: 'other' });
  assert.equal(errorMessage(missing), "not found: destination mailbox 'Nope' does not exist");
  await stop(writer);
  await stop(reader);
});

test('delete removes exactly the requested UIDs; another \\Deleted message survives', async () => {
  const user = makeUser({ INBOX: [{ subject: 'd1' }, { subject: 'already-deleted', flags: 'T' }, { subject: 'd3', flags: 'S' }, { subject: 'keep' }] });
  const { writer, reader, close } = await pair(user);
  const env = await tool(writer, 'imap_delete_message', { message_ids: [user.id('INBOX', 1), user.id('INBOX', 3)], confirm: true });
  assert.equal(env.data.status, 'ok', JSON.stringify(env));
  assert.deepEqual(env.data.results.map((r) => r.status), ['ok', 'ok']);
  const inbox = await look(reader, 'INBOX');
  assert.deepEqual(Object.keys(inbox).sort(), ['2', '4']);
  assert.deepEqual(inbox[2].flags, ['\\Deleted']);
  assert.equal(maildirFiles(user).length, 2);
  await close();
});

test('delete without confirm=true (false, "true", 1, missing) is the exact error; nothing deleted', async () => {
  const user = makeUser({ INBOX: [{ subject: 'precious' }] });
  const before = snapshot(user);
  const s = await started(userEnv(user, { MAIL_IMAP_WRITE_ENABLED: 'true' }));
  for (const args of [{ confirm: false }, { confirm: 'true' }, { confirm: 1 }, {}, { confirm: null }]) {
    const { result } = await call(s, 'imap_delete_message', { message_id: user.id('INBOX', 1), ...args });
    assert.equal(result.isError, true);
    assert.equal(errorMessage(envelope(result)), CONFIRM, JSON.stringify(args));
  }
  await stop(s);
  assert.deepEqual(snapshot(user), before);
});

test('a stale message_id after the mailbox was recreated is the exact conflict', async () => {
  const user = makeUser({ INBOX: [], Stale: [{ subject: 'old-generation' }] }, { uidvalidity: 42 });
  const { writer, reader, close } = await pair(user);
  const stale = user.id('Stale', 1);
  let env = await tool(writer, 'imap_update_message_flags', { message_id: stale, add_flags: ['\\Seen'] });
  assert.equal(env.data.status, 'ok', JSON.stringify(env));
  env = await tool(writer, 'imap_manage_mailbox', { action: 'delete', mailbox: 'Stale' });
  assert.equal(env.data.status, 'ok', JSON.stringify(env));
  env = await tool(writer, 'imap_manage_mailbox', { action: 'create', mailbox: 'Stale' });
  assert.equal(env.data.status, 'ok', JSON.stringify(env));
  for (const [name, args] of [
    ['imap_update_message_flags', { message_id: stale, add_flags: ['\\Flagged'] }],
    ['imap_move_message', { message_id: stale, destination_mailbox: 'INBOX' }],
    ['imap_copy_message', { message_id: stale, destination_mailbox: 'INBOX' }],
    ['imap_delete_message', { message_id: stale, confirm: true }],
  ]) {
    const r = await tool(writer, name, args);
    assert.equal(errorMessage(r), CONFLICT, name);
  }
  assert.deepEqual(await look(reader, 'INBOX'), {});
  await close();
});

test('a batch of 250 flag updates sends increasing progress and correct per-message results', async () => {
  const bulk = Array.from({ length: 250 }, (_, i) => ({ subject: `bulk-${i + 1}` }));
  const user = makeUser({ INBOX: [], Bulk: bulk });
  const { writer, reader, close } = await pair(user);
  const ids = bulk.map((_, i) => user.id('Bulk', i + 1));
  const { id, result } = await call(writer, 'imap_update_message_flags',
    { message_ids: ids, add_flags: ['\\Seen', '$Done'] }, { meta: { progressToken: 'bulk-1' }, timeoutMs: 60000 });
  const env = envelope(result);
  assert.ok(env.data, JSON.stringify(env));
  assert.equal(env.data.status, 'ok', JSON.stringify(env.data.issues));
  assert.equal(env.data.total, 250);
  assert.equal(env.data.results.length, 250);
  env.data.results.forEach((r, i) => {
    assert.equal(r.message_id, ids[i]);
    assert.equal(r.status, 'ok');
    assert.deepEqual([...r.flags].sort(), ['$Done', '\\Seen']);
  });
  const lines = writer.lines.map((l) => JSON.parse(l));
  const responseAt = lines.findIndex((m) => m.id === id);
  const progress = lines.map((m, i) => ({ m, i }))
    .filter(({ m }) => m.method === 'notifications/progress' && m.params.progressToken === 'bulk-1');
  assert.ok(progress.length >= 2, `progress notifications: ${progress.length}`);
  let last = 0;
  for (const { m, i } of progress) {
    assert.ok(i < responseAt, 'progress comes before the response');
    assert.ok(m.params.progress > last, 'progress increases');
    assert.equal(m.params.total, 250);
    assert.equal(typeof m.params.message, 'string');
    last = m.params.progress;
  }
  assert.equal(last, 250);
  const unread = await tool(reader, 'imap_search_messages', { mailbox: 'Bulk', unread_only: true });
  assert.equal(unread.data.total, 0);
  const all = await tool(reader, 'imap_search_messages', { mailbox: 'Bulk', limit: 50 });
  assert.equal(all.data.total, 250);
  for (const m of all.data.messages) assert.deepEqual(m.flags.filter((f) => f !== '\\Recent').sort(), ['$Done', '\\Seen']);
  await close();
});

test('manage_mailbox: create nested, rename, delete (non-recursive) with the server reason surfaced', async () => {
  const user = makeUser({ INBOX: [{ subject: 'x' }] });
  const { writer, reader, close } = await pair(user);
  let env = await tool(writer, 'imap_manage_mailbox', { action: 'create', mailbox: 'Projects/2024/Q1' });
  assert.equal(env.data.status, 'ok', JSON.stringify(env));
  assert.deepEqual(env.data.created, ['Projects', 'Projects/2024', 'Projects/2024/Q1']);
  const names = async () => {
    const list = await tool(reader, 'imap_list_mailboxes', {});
    return Object.fromEntries(list.data.mailboxes.map((m) => [m.name, m]));
  };
  let boxes = await names();
  for (const n of ['Projects', 'Projects/2024', 'Projects/2024/Q1']) {
    assert.ok(boxes[n], `${n} listed`);
    assert.ok(!boxes[n].attributes.some((a) => /noselect|nonexistent/i.test(a)), `${n} is a real mailbox`);
  }
  // Creating it again leaves the parents alone and reports the server's refusal.
  env = await tool(writer, 'imap_manage_mailbox', { action: 'create', mailbox: 'Projects/2024/Q1' });
  assert.equal(env.data.status, 'failed');
  assert.match(env.data.issues[0].message, /CREATE failed/);

  env = await tool(writer, 'imap_manage_mailbox', { action: 'rename', mailbox: 'Projects/2024/Q1', destination_mailbox: 'Projects/2024/Q2' });
  assert.equal(env.data.status, 'ok', JSON.stringify(env));
  boxes = await names();
  assert.ok(boxes['Projects/2024/Q2'] && !boxes['Projects/2024/Q1']);

  // Non-recursive: deleting a parent leaves its child; the server's refusal of a second
  // delete (the name is only implied now) is surfaced as it is.
  env = await tool(writer, 'imap_manage_mailbox', { action: 'delete', mailbox: 'Projects/2024' });
  assert.equal(env.data.status, 'ok', JSON.stringify(env));
  assert.ok((await names())['Projects/2024/Q2'], 'non-recursive: the child survives');
  env = await tool(writer, 'imap_manage_mailbox', { action: 'delete', mailbox: 'Projects/2024' });
  assert.equal(env.data.status, 'failed', JSON.stringify(env));
  assert.match(env.data.issues[0].message, /IMAP DELETE failed: Mailbox doesn't exist: Projects\/2024/);
  assert.match(env.summary, /^could not delete mailbox 'Projects\/2024'/);

  env = await tool(writer, 'imap_manage_mailbox', { action: 'delete', mailbox: 'Projects/2024/Q2' });
  assert.equal(env.data.status, 'ok', JSON.stringify(env));
  env = await tool(writer, 'imap_manage_mailbox', { action: 'rename', mailbox: 'Missing', destination_mailbox: 'Other' });
  assert.equal(env.data.status, 'failed');
  boxes = await names();
  assert.ok(!boxes['Projects/2024/Q2']);
  assert.ok(boxes.Projects, 'the top parent was never deleted');
  await close();
});
