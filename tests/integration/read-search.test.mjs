// imap_search_messages end to end against the suite's Dovecot: every argument rule at its
// edges, inclusive dates, last_days, snippets, non-ASCII criteria, pagination over 1,000
// messages, replay-safe and tamper-proof cursors, the 20,000-match limit, and what happens
// when a mailbox is deleted and recreated (new UIDVALIDITY) under a cursor or a message_id.
// Each test user is new (scripts/imap-server add-user) and filled with scripts/gen-mailbox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { dovecotEnv, rawServer, initialize } from './lib.mjs';

import { source, stateDir, imapServer, genMailbox, demo, addUser, gen, envFor, call, ok, hardError, started, stop, RawImap, quote, tmpDir, message, rfc2822 } from './read-lib.mjs';

// ---- suite set-up --------------------------------------------------------------------------

const ids = (data) => data.messages.map((m) => m.message_id);
const uids = (data) => data.messages.map((m) => m.uid);
const CURSOR_INVALID = 'invalid input: cursor is invalid or expired';

let walker; // 1,000 generated messages in INBOX, plus Fixtures and Dated mailboxes
let inbox;
let server;
let work;
let expiry;
const dated = {}; // subject -> expected uid

before(async () => {
  work = tmpDir();
  walker = addUser('rs');
  inbox = gen(walker.user, 'INBOX', 1000, ['--seed', '7']);

  // Demo messages (non-ASCII subjects and bodies) with the demo flags.
  const flagsOf = Object.fromEntries(fs.readFileSync(path.join(demo, 'flags'), 'utf8').split('\n')
    .filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.trim().split(/\s+/)));
  const demoFiles = fs.readdirSync(path.join(demo, 'INBOX')).sort().map((f) => {
    const letters = (flagsOf[`INBOX/${f}`] || '-').replace('-', '');
    return `${path.join(demo, 'INBOX', f)}::${letters}`;
  });
  gen(walker.user, 'Fixtures', 0, demoFiles.flatMap((f) => ['--eml', f]));

  // Dated messages: edges of a date range and of last_days.
  const day = 86400000;
  const todayUtc = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const entries = [
    ['before-start', 'Sat, 09 Mar 2024 23:59:59 +0000'],
    ['at-start', 'Sun, 10 Mar 2024 00:00:00 +0000'],
    ['middle', 'Fri, 15 Mar 2024 12:00:00 +0000'],
    ['at-end', 'Wed, 20 Mar 2024 23:59:59 +0000'],
    ['after-end', 'Thu, 21 Mar 2024 00:00:00 +0000'],
    ['today', rfc2822(new Date(todayUtc + 1000))],
    ['3-days-ago', rfc2822(new Date(todayUtc - 3 * day + 12 * 3600000))],
    ['364-days-ago', rfc2822(new Date(todayUtc - 364 * day + 12 * 3600000))],
    ['366-days-ago', rfc2822(new Date(todayUtc - 366 * day + 12 * 3600000))],
    ['400-days-ago', rfc2822(new Date(todayUtc - 400 * day + 12 * 3600000))],
  ];
  const args = [];
  entries.forEach(([subject, date], i) => {
    const file = path.join(work, `dated-${i}.eml`);
    fs.writeFileSync(file, message({ date, subject: `dated ${subject}` }));
    args.push('--eml', `${file}::S`);
    dated[subject] = i + 1;
  });
  gen(walker.user, 'Dated', 0, args);

  server = await started(envFor(walker));
  // A server with the shortest cursor lifetime; its cursor is checked after expiry later on.
  expiry = (async () => {
    const short = await started(envFor(walker, { MAIL_IMAP_CURSOR_TTL_SECONDS: '10' }));
    const cursor = (await ok(short, 'imap_search_messages', { mailbox: 'INBOX', limit: 2 })).next_cursor;
    const madeAt = Date.now();
    await ok(short, 'imap_search_messages', { mailbox: 'INBOX', cursor, limit: 2 });
    return { s: short, cursor, madeAt };
  })();
  await expiry;
});

after(async () => {
  if (server) await stop(server);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

// ---- argument rules ------------------------------------------------------------------------

test('search arguments: every bound below, at and above its edge', async () => {
  const base = { mailbox: 'INBOX' };
  const rejected = [
    [{ limit: 0 }, /limit/],
    [{ limit: 51 }, /limit/],
    [{ limit: -1 }, /limit/],
    [{ limit: 'ten' }, /limit/],
    [{ include_snippet: true, snippet_max_chars: 49 }, /snippet_max_chars/],
    [{ include_snippet: true, snippet_max_chars: 501 }, /snippet_max_chars/],
    [{ snippet_max_chars: 100 }, /snippet_max_chars.*include_snippet|include_snippet/],
    [{ include_snippet: false, snippet_max_chars: 100 }, /include_snippet/],
    [{ last_days: 0 }, /last_days/],
    [{ last_days: 366 }, /last_days/],
    [{ last_days: 7, start_date: '2024-03-01' }, /last_days/],
    [{ last_days: 7, end_date: '2024-03-01' }, /last_days/],
    [{ start_date: '2024-03-21', end_date: '2024-03-20' }, /start_date/],
    [{ start_date: '2024-02-30' }, /start_date/],
    [{ start_date: '2024-3-1' }, /start_date/],
    [{ end_date: '20-03-2024' }, /end_date/],
    [{ query: 'x'.repeat(257) }, /query/],
    [{ subject: '' }, /subject/],
    [{ from: 'a\r\nb' }, /from/],
    [{ to: 'a\u0000b' }, /to/],
    [{ mailbox: '' }, /mailbox/],
    [{ mailbox: 'x'.repeat(257) }, /mailbox/],
    [{ mailbox: 'IN\nBOX' }, /mailbox/],
    [{ mailbox: undefined }, /mailbox/],
    [{ account_id: 'bad id!' }, /account_id/],
    [{ account_id: 'a'.repeat(65) }, /account_id/],
    [{ frobnicate: true }, /unknown argument 'frobnicate'/],
    [{ unread_only: 'yes' }, /unread_only/],
  ];
  for (const [extra, pattern] of rejected) {
    const args = { ...base, ...extra };
    for (const k of Object.keys(args)) if (args[k] === undefined) delete args[k];
    const e = await hardError(server, 'imap_search_messages', args);
    assert.equal(e.code, 'invalid_input', JSON.stringify(extra));
    assert.match(e.message, /^invalid input: /);
    assert.match(e.message, pattern, `${JSON.stringify(extra).slice(0, 80)} -> ${e.message}`);
  }

  const accepted = [
    [{ limit: 1 }, (d) => assert.equal(d.returned, 1)],
    [{ limit: 50 }, (d) => assert.equal(d.returned, 50)],
    [{}, (d) => assert.equal(d.returned, 10, 'default limit is 10')],
    [{ limit: 3, include_snippet: true, snippet_max_chars: 50 }, (d) => d.messages.forEach((m) => assert.ok([...m.snippet].length <= 50))],
    [{ limit: 3, include_snippet: true, snippet_max_chars: 500 }, (d) => d.messages.forEach((m) => assert.ok([...m.snippet].length <= 500))],
    [{ limit: 3, include_snippet: true }, (d) => d.messages.forEach((m) => assert.ok([...m.snippet].length <= 200))],
    [{ limit: 3 }, (d) => d.messages.forEach((m) => assert.equal(m.snippet, undefined, 'no snippet unless asked'))],
    [{ last_days: 1, limit: 1 }, (d) => assert.ok(d.total >= 0)],
    [{ last_days: 365, limit: 1 }, (d) => assert.equal(d.total, 1000, 'all generated messages are within a year')],
    [{ start_date: '2024-03-10', end_date: '2024-03-10' }, (d) => assert.equal(d.total, 0)],
    [{ query: 'q'.repeat(256) }, (d) => assert.equal(d.total, 0)],
    [{ mailbox: 'INBOX', account_id: 'default', limit: 1 }, (d) => assert.equal(d.account_id, 'default')],
  ];
  for (const [extra, check] of accepted) {
    const d = await ok(server, 'imap_search_messages', { ...base, ...extra });
    assert.equal(d.status, 'ok');
    check(d);
  }

  let e = await hardError(server, 'imap_search_messages', { mailbox: 'No/Such/Box' });
  assert.equal(e.code, 'not_found', e.message);
  e = await hardError(server, 'imap_search_messages', { mailbox: 'INBOX', account_id: 'nosuch' });
  assert.equal(e.code, 'not_found', e.message);
});

test('a mailbox name the server refuses is invalid_input naming it; nothing changes; the next call works', async () => {
  // Dovecot 2.3 answers these SELECT/EXAMINEs with NO [CANNOT] (its Maildir++ layout forbids
  // '.', a leading '~' and empty hierarchy levels); a name it merely lacks is NO without a code.
  const names = (d) => d.mailboxes.map((m) => m.name).sort();
  const before = names(await ok(server, 'imap_list_mailboxes', {}));
  const refused = [
    ['~nope', "invalid input: IMAP SELECT failed for mailbox '~nope': Invalid mailbox name: Begins with '~'"],
    ['a/../b', "invalid input: IMAP SELECT failed for mailbox 'a/../b': Character not allowed in mailbox name: '.'"],
    ['INBOX.old', "invalid input: IMAP SELECT failed for mailbox 'INBOX.old': Character not allowed in mailbox name: '.'"],
    ['/INBOX', "invalid input: IMAP SELECT failed for mailbox '/INBOX': Invalid mailbox name: Begins with hierarchy separator"],
    ['Dated//x', "invalid input: IMAP SELECT failed for mailbox 'Dated//x': Invalid mailbox name: Has adjacent hierarchy separators"],
  ];
  for (const [mailbox, message] of refused) {
    const e = await hardError(server, 'imap_search_messages', { mailbox, limit: 1 });
    assert.equal(e.code, 'invalid_input', e.message);
    assert.equal(e.message, message);
    assert.equal(e.details.stage, 'select');
    assert.equal(e.details.retryable, undefined, 'a refused name is not worth retrying');
    // The session that got the refusal serves the next call (and re-selects on its own).
    const d = await ok(server, 'imap_search_messages', { mailbox: 'Dated', limit: 1 });
    assert.equal(d.status, 'ok');
    assert.equal(d.returned, 1);
  }
  // A long name is quoted cut short; the server's reason stays readable after it.
  const long = '~' + 'é'.repeat(255);
  let e = await hardError(server, 'imap_search_messages', { mailbox: long });
  assert.equal(e.code, 'invalid_input', e.message);
  assert.ok(e.message.length < 250, e.message);
  assert.match(e.message, /^invalid input: IMAP SELECT failed for mailbox '~é+\.\.\.': Invalid mailbox name: Begins with '~'$/);
  // Missing (valid) names stay not_found.
  for (const mailbox of ['No/Such/Box', 'a~b', 'x'.repeat(256)]) {
    e = await hardError(server, 'imap_search_messages', { mailbox });
    assert.equal(e.code, 'not_found', `${mailbox.slice(0, 20)}: ${e.message}`);
    assert.match(e.message, /^not found: IMAP SELECT failed: Mailbox doesn't exist: /);
  }
  // Nothing was created or renamed on the way.
  assert.deepEqual(names(await ok(server, 'imap_list_mailboxes', {})), before);
  const d = await ok(server, 'imap_search_messages', { mailbox: 'INBOX', limit: 1 });
  assert.equal(d.total, 1000);
});

test('a summary carries every contract field, consistent with its message_id', async () => {
  const d = await ok(server, 'imap_search_messages', { mailbox: 'INBOX', limit: 5 });
  assert.equal(d.account_id, 'default');
  assert.equal(d.mailbox, 'INBOX');
  assert.equal(d.total, 1000);
  assert.equal(d.attempted, 5);
  assert.equal(d.returned, 5);
  assert.equal(d.failed, 0);
  assert.deepEqual(d.issues, []);
  assert.equal(d.has_more, true);
  assert.equal(typeof d.next_cursor, 'string');
  assert.equal(d.next_action.tool, 'imap_get_message');
  for (const m of d.messages) {
    assert.equal(m.message_id, `imap:default:INBOX:${inbox.uidvalidity}:${m.uid}`);
    assert.equal(m.uidvalidity, inbox.uidvalidity);
    assert.equal(m.mailbox, 'INBOX');
    assert.match(m.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    assert.ok(m.from.includes('@') && m.to.includes('@'), JSON.stringify(m));
    assert.ok(m.subject.length > 0);
    assert.ok(Array.isArray(m.flags));
    assert.ok(m.size_bytes > 200);
    assert.equal(typeof m.has_attachments, 'boolean');
  }
  assert.deepEqual(uids(d), [1000, 999, 998, 997, 996], 'newest (highest UID) first');
});

// ---- dates and last_days ---------------------------------------------------------------------

test('start_date and end_date are inclusive; last_days counts back from today', async () => {
  const subjects = async (args) => {
    const d = await ok(server, 'imap_search_messages', { mailbox: 'Dated', limit: 50, ...args });
    assert.equal(d.total, d.returned);
    return d.messages.map((m) => m.subject.replace(/^dated /, '')).sort();
  };
  assert.deepEqual(await subjects({ start_date: '2024-03-10', end_date: '2024-03-20' }), ['at-end', 'at-start', 'middle']);
  assert.deepEqual(await subjects({ start_date: '2024-03-10', end_date: '2024-03-10' }), ['at-start']);
  assert.deepEqual(await subjects({ start_date: '2024-03-20', end_date: '2024-03-20' }), ['at-end']);
  assert.deepEqual(await subjects({ start_date: '2024-03-09', end_date: '2024-03-09' }), ['before-start']);
  assert.deepEqual(await subjects({ end_date: '2024-03-10' }), ['at-start', 'before-start']);
  assert.ok((await subjects({ start_date: '2024-03-20' })).includes('at-end'));
  assert.ok(!(await subjects({ start_date: '2024-03-21' })).includes('at-end'));

  const lastDay = await subjects({ last_days: 1 });
  assert.ok(lastDay.includes('today'), `last_days=1 finds today's message: ${lastDay}`);
  assert.ok(!lastDay.includes('3-days-ago'));
  const week = await subjects({ last_days: 7 });
  assert.deepEqual(week, ['3-days-ago', 'today']);
  const year = await subjects({ last_days: 365 });
  assert.ok(year.includes('364-days-ago'), `last_days=365 reaches 364 days back: ${year}`);
  assert.ok(!year.includes('366-days-ago') && !year.includes('400-days-ago'), `nothing older than 365 days: ${year}`);
});

// ---- criteria ----------------------------------------------------------------------------------

test('non-ASCII criteria (Grüße, 日本) find the fixture messages; other criteria filter', async () => {
  const find = async (args) => (await ok(server, 'imap_search_messages', { mailbox: 'Fixtures', limit: 50, ...args })).messages;
  const gruesse = await find({ subject: 'Grüße' });
  assert.deepEqual(gruesse.map((m) => m.subject), ['Grüße aus Berlin']);
  assert.equal(gruesse[0].uid, 4);
  const japan = await find({ query: '日本' });
  assert.ok(japan.some((m) => m.uid === 5 && m.subject === '日本の会議'), JSON.stringify(japan.map((m) => m.subject)));
  const japanSubject = await find({ subject: '日本の会議' });
  assert.deepEqual(japanSubject.map((m) => m.uid), [5]);
  // Body text (ISO-8859-1 quoted-printable in message 4) is searched decoded.
  const body = await find({ query: 'Grüße' });
  assert.ok(body.some((m) => m.uid === 4));

  const unread = await find({ unread_only: true });
  assert.deepEqual(unread.map((m) => m.uid), [10, 8, 5], 'unread_only: exactly the messages without \\Seen');
  for (const m of unread) assert.ok(!m.flags.includes('\\Seen'));

  const all = await find({});
  assert.equal(all.length, 11);
  const someFrom = all[0].from.match(/[\w.+-]+@[\w.-]+/)[0];
  const fromHits = await find({ from: someFrom });
  assert.ok(fromHits.length >= 1 && fromHits.every((m) => m.from.includes(someFrom)));
  const nothing = await find({ subject: 'no such subject zzzz' });
  assert.deepEqual(nothing, []);
  const d = await ok(server, 'imap_search_messages', { mailbox: 'Fixtures', subject: 'no such subject zzzz' });
  assert.equal(d.total, 0);
  assert.equal(d.has_more, false);
  assert.equal(d.next_cursor, null);

  // A message with a PDF attachment is marked, one without is not.
  const invoice = all.find((m) => m.uid === 3);
  assert.equal(invoice.has_attachments, true);
  assert.equal(all.find((m) => m.uid === 4).has_attachments, false);
});

test('snippets preview the body text (not the subject), bounded, HTML stripped', async () => {
  const d = await ok(server, 'imap_search_messages', { mailbox: 'Fixtures', limit: 50, include_snippet: true, snippet_max_chars: 50 });
  for (const m of d.messages) {
    assert.equal(typeof m.snippet, 'string');
    assert.ok([...m.snippet].length <= 50, `snippet of uid ${m.uid} has at most 50 code points: ${m.snippet}`);
    assert.doesNotMatch(m.snippet, /<[a-z/][^>]*>/i, `no HTML tags in snippet of uid ${m.uid}`);
    assert.doesNotMatch(m.snippet, /\s\s|\n/, 'whitespace collapsed');
  }
  const nonEmpty = d.messages.filter((m) => m.snippet.length > 0);
  assert.ok(nonEmpty.length >= 9, 'most fixture messages have a body preview');
  const ja = d.messages.find((m) => m.uid === 5);
  assert.match(ja.snippet, /[\u3040-\u30ff\u4e00-\u9fff]/, 'Japanese body decoded in the snippet');
  for (const m of nonEmpty) assert.notEqual(m.snippet, m.subject);
  const long = await ok(server, 'imap_search_messages', { mailbox: 'INBOX', limit: 20, include_snippet: true, snippet_max_chars: 500 });
  assert.ok(long.messages.some((m) => [...m.snippet].length > 200), 'a 500-char snippet is longer than the default');
  assert.ok(long.messages.every((m) => [...m.snippet].length <= 500));
});

// ---- pagination and cursors --------------------------------------------------------------------

test('walking 1,000 messages with limit 50 returns each exactly once, UID descending', async () => {
  const seen = [];
  let cursor;
  let pages = 0;
  const replayAt = 3;
  let replay;
  for (;;) {
    const args = cursor ? { mailbox: 'INBOX', cursor, limit: 50 } : { mailbox: 'INBOX', limit: 50 };
    const d = await ok(server, 'imap_search_messages', args);
    pages++;
    assert.equal(d.total, 1000, `page ${pages} reports the total of the whole search`);
    assert.equal(d.returned, d.messages.length);
    assert.ok(d.returned === 50, `page ${pages} is full (${d.returned})`);
    seen.push(...uids(d));
    if (pages === replayAt) replay = { cursor, ids: ids(d), next: d.next_cursor };
    if (!d.has_more) {
      assert.equal(d.next_cursor, null);
      break;
    }
    assert.equal(typeof d.next_cursor, 'string');
    cursor = d.next_cursor;
    assert.ok(pages < 25, 'the walk ends');
  }
  assert.equal(pages, 20);
  assert.equal(seen.length, 1000);
  assert.equal(new Set(seen).size, 1000, 'no message twice');
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] < seen[i - 1], 'strictly UID-descending across pages');
  assert.equal(seen[0], 1000);
  assert.equal(seen[999], 1);

  // Replaying a cursor (immutable) gives the same page, twice.
  for (let i = 0; i < 2; i++) {
    const again = await ok(server, 'imap_search_messages', { mailbox: 'INBOX', cursor: replay.cursor, limit: 50 });
    assert.deepEqual(ids(again), replay.ids);
    assert.equal(again.next_cursor !== null, true);
  }
  // limit is not part of the criteria: a smaller page from the same position.
  const small = await ok(server, 'imap_search_messages', { mailbox: 'INBOX', cursor: replay.cursor, limit: 7 });
  assert.deepEqual(ids(small), replay.ids.slice(0, 7));
});

test('cursor with criteria: same criteria fine, different criteria or mailbox invalid_input', async () => {
  const criteria = { mailbox: 'INBOX', unread_only: true, last_days: 365, limit: 20 };
  const first = await ok(server, 'imap_search_messages', criteria);
  assert.ok(first.total > 20 && first.total < 1000, `unread subset (${first.total})`);
  assert.ok(first.messages.every((m) => !m.flags.includes('\\Seen')));
  const alone = await ok(server, 'imap_search_messages', { mailbox: 'INBOX', cursor: first.next_cursor, limit: 20 });
  const same = await ok(server, 'imap_search_messages', { ...criteria, cursor: first.next_cursor });
  assert.deepEqual(ids(alone), ids(same), 'a cursor alone means the search it was made from');
  assert.ok(alone.messages.every((m) => !m.flags.includes('\\Seen')), 'criteria carried by the cursor');
  assert.ok(Math.max(...uids(alone)) < Math.min(...uids(first)));

  for (const changed of [{ unread_only: false }, { last_days: 30 }, { subject: 'Invoice' }, { query: 'x' },
    { start_date: '2024-01-01' }]) {
    const args = { ...criteria, ...changed, cursor: first.next_cursor };
    if (changed.start_date) delete args.last_days;
    const e = await hardError(server, 'imap_search_messages', args);
    assert.equal(e.code, 'invalid_input', JSON.stringify(changed));
    assert.match(e.message, /^invalid input: .*criteria/, e.message);
  }
  const e = await hardError(server, 'imap_search_messages', { mailbox: 'Fixtures', cursor: first.next_cursor });
  assert.equal(e.code, 'invalid_input');
});

test('forged, garbled, foreign and expired cursors: exact invalid_input', async () => {
  const d = await ok(server, 'imap_search_messages', { mailbox: 'INBOX', limit: 2 });
  const good = d.next_cursor;
  const [body, mac] = good.split('.');
  const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  // A payload re-signed by nobody: same MAC, body with another position.
  const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
  payload.b = 5;
  const forgedBody = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const bad = ['garbage', 'a.b', good + 'x', flip(good, 3), `${body}.${flip(mac, 2)}`, `${forgedBody}.${mac}`,
    `${body}.`, `.${mac}`, 'x'.repeat(4000), 'é.é'];
  for (const cursor of bad) {
    const e = await hardError(server, 'imap_search_messages', { mailbox: 'INBOX', cursor });
    assert.equal(e.code, 'invalid_input');
    assert.equal(e.message, CURSOR_INVALID, `cursor ${cursor.slice(0, 40)}...`);
  }

  const tooLong = await hardError(server, 'imap_search_messages', { mailbox: 'INBOX', cursor: 'x'.repeat(9000) });
  assert.equal(tooLong.code, 'invalid_input');

  // Another process has another random key: its cursors are foreign here.
  const other = await started(envFor(walker));
  const foreign = (await ok(other, 'imap_search_messages', { mailbox: 'INBOX', limit: 2 })).next_cursor;
  await stop(other);
  let e = await hardError(server, 'imap_search_messages', { mailbox: 'INBOX', cursor: foreign });
  assert.equal(e.message, CURSOR_INVALID);

  // Expiry (MAIL_IMAP_CURSOR_TTL_SECONDS, minimum 10): the cursor was made in before().
  const { s: short, cursor: expiring, madeAt } = await expiry;
  const wait = madeAt + 11000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  e = await hardError(short, 'imap_search_messages', { mailbox: 'INBOX', cursor: expiring, limit: 2 });
  assert.equal(e.message, CURSOR_INVALID);
  await stop(short);
});

test('with MAIL_IMAP_CURSOR_SECRET a cursor survives a server restart', async () => {
  const env = envFor(walker, { MAIL_IMAP_CURSOR_SECRET: 'read-tests-cursor-secret-0123456789' });
  const a = await started(env);
  const p1 = await ok(a, 'imap_search_messages', { mailbox: 'INBOX', limit: 30 });
  const p2a = await ok(a, 'imap_search_messages', { mailbox: 'INBOX', limit: 30, cursor: p1.next_cursor });
  await stop(a);
  const b = await started(env);
  const p2b = await ok(b, 'imap_search_messages', { mailbox: 'INBOX', limit: 30, cursor: p1.next_cursor });
  assert.deepEqual(ids(p2b), ids(p2a));
  await stop(b);
  assert.ok(!a.stderr().includes('read-tests-cursor-secret') && !b.stderr().includes('read-tests-cursor-secret'),
    'the cursor secret is never logged');
});

/// Conflicts a recreated mailbox must give, on server `s`.
async function expectRecreatedConflicts(s, cursor, oldId) {
  let e = await hardError(s, 'imap_search_messages', { mailbox: 'Recreate', cursor });
  assert.equal(e.code, "conflict", e.message + "\n" + s.stderr().split("\n").slice(-40).join("\n"));
  assert.equal(e.message, 'conflict: mailbox snapshot changed; rerun search');
  for (const tool of ['imap_get_message', 'imap_get_message_raw']) {
    e = await hardError(s, tool, { message_id: oldId });
    assert.equal(e.code, 'conflict', `${tool}: ${e.message}`);
    assert.equal(e.message, 'conflict: message uidvalidity no longer matches mailbox', tool);
  }
}

const recreated = {};

test('a mailbox deleted and recreated: cursor and message_id give the exact conflicts', async () => {
  const u = addUser('rr');
  const first = gen(u.user, 'Recreate', 60, ['--seed', '3']);
  // A server whose pooled connection has the mailbox selected when it is recreated (next test).
  const secret = { MAIL_IMAP_CURSOR_SECRET: 'read-tests-recreate-secret-0123456789' };
  const warm = await started(envFor(u, secret));
  recreated.warm = warm;
  const page = await ok(warm, 'imap_search_messages', { mailbox: 'Recreate', limit: 50 });
  assert.equal(page.has_more, true);
  const oldId = page.messages[0].message_id;
  assert.equal(oldId, `imap:default:Recreate:${first.uidvalidity}:60`);
  await ok(warm, 'imap_get_message', { message_id: oldId });
  Object.assign(recreated, { cursor: page.next_cursor, oldId });

  const im = await RawImap.open(u);
  await im.cmd('DELETE "Recreate"');
  await im.cmd('CREATE "Recreate"');
  for (let i = 0; i < 70; i++) await im.append('Recreate', message({ date: rfc2822(new Date()), subject: `new ${i}` }));
  const status = await im.cmd('STATUS "Recreate" (UIDVALIDITY MESSAGES)');
  const newValidity = Number(/UIDVALIDITY (\d+)/.exec(status.map((r) => r.text).join(' '))[1]);
  await im.close();
  assert.notEqual(newValidity, first.uidvalidity, 'Dovecot gave the recreated mailbox a new UIDVALIDITY');

  // With the same cursor secret a new process accepts the cursor's signature and must notice
  // the new snapshot; message ids need no secret.
  const fresh = await started(envFor(u, secret));
  try {
    await expectRecreatedConflicts(fresh, page.next_cursor, oldId);
    const again = await ok(fresh, 'imap_search_messages', { mailbox: 'Recreate', limit: 50 });
    assert.equal(again.total, 70);
    assert.equal(again.messages[0].uidvalidity, newValidity);
    await ok(fresh, 'imap_get_message', { message_id: again.messages[0].message_id });
  } finally {
    await stop(fresh);
  }
});

test('a mailbox recreated under a warm pooled connection: the same exact conflicts', async () => {
  const { warm, cursor, oldId } = recreated;
  assert.ok(warm, 'set up by the previous test');
  try {
    await expectRecreatedConflicts(warm, cursor, oldId);
  } finally {
    await stop(warm);
  }
});

// ---- the 20,000-match limit ----------------------------------------------------------------------

test('20,000 matches are served; 20,001 are the exact hard error, fast', async () => {
  const u = addUser('rb');
  gen(u.user, 'Big', 20000, ['--seed', '11']);
  const s = await started(envFor(u));
  try {
    let t0 = Date.now();
    const d = await ok(s, 'imap_search_messages', { mailbox: 'Big', limit: 50 });
    assert.equal(d.total, 20000);
    assert.equal(d.returned, 50);
    assert.equal(d.messages[0].uid, 20000);
    const servedMs = Date.now() - t0;
    const more = await ok(s, 'imap_search_messages', { mailbox: 'Big', cursor: d.next_cursor, limit: 50 });
    assert.equal(more.messages[0].uid, 19950);

    gen(u.user, 'Big', 1, ['--seed', '12']);
    t0 = Date.now();
    const e = await hardError(s, 'imap_search_messages', { mailbox: 'Big' });
    const rejectMs = Date.now() - t0;
    assert.equal(e.code, 'invalid_input');
    assert.equal(e.message, 'invalid input: search matched 20001 messages; narrow filters to at most 20000 results');
    assert.ok(rejectMs < 5000, `rejected quickly (${rejectMs} ms; serving 20,000 took ${servedMs} ms)`);
    // Narrowing brings it back under the limit.
    const narrowed = await ok(s, 'imap_search_messages', { mailbox: 'Big', last_days: 30, limit: 5 });
    assert.ok(narrowed.total > 0 && narrowed.total < 20000);
    // A cursor of the same snapshot keeps paging below its position (the limit is checked when
    // a search starts; the rest of this result set is smaller than 20,000).
    const cont = await ok(s, 'imap_search_messages', { mailbox: 'Big', cursor: more.next_cursor, limit: 5 });
    assert.deepEqual(uids(cont), [19900, 19899, 19898, 19897, 19896]);
  } finally {
    await stop(s);
  }
});
