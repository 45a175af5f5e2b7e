// imap_get_message and imap_get_message_raw end to end against the suite's Dovecot: argument
// rules at their edges, message_id forms, \Seen never set, byte-faithful raw ranges (a 20 MB
// message included), the whole MIME corpus served within its deadline, sanitized malicious
// HTML, PDF extraction outcomes, the 50-attachment cap, part_id values that are real IMAP
// sections, and the official SDK client (which validates structuredContent against the
// output schemas).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { dovecotEnv, rawServer, initialize, connectSdk } from './lib.mjs';

import { source, stateDir, imapServer, genMailbox, demo, addUser, gen, envFor, call, ok, hardError, started, stop, RawImap, quote, tmpDir, message, rfc2822 } from './read-lib.mjs';

// ---- suite set-up --------------------------------------------------------------------------

const fixtures = path.join(source, 'tests', 'fixtures');
const pdfDir = path.join(fixtures, 'pdf');
const TOOL_TIMEOUT_MS = 20000;

let u; // the suite's user
let server;
let work;
const corpus = []; // {name, uid, file}
let corpusValidity;
const pdfMsgs = {}; // name -> {uid, file}
let pdfValidity;
let long; // {uid, file, text}
let big; // {uid, file}
let bigValidity;

const idOf = (mailbox, uidvalidity, uid) => `imap:default:${mailbox}:${uidvalidity}:${uid}`;

/// A multipart/mixed message with a text part and one attachment (base64).
function withAttachment(subject, filename, bytes, contentType = 'application/pdf') {
  const b64 = bytes.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from([
    'Date: Mon, 18 Mar 2024 09:00:00 +0000', 'From: Reports <reports@example.org>', 'To: anna@example.com',
    `Subject: ${subject}`, `Message-ID: <${filename}-${Math.random().toString(36).slice(2)}@test.example>`,
    'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b-1"', '',
    '--b-1', 'Content-Type: text/plain; charset=UTF-8', '', `See ${filename}.`,
    '--b-1', `Content-Type: ${contentType}; name="${filename}"`, 'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="${filename}"`, '', b64, '--b-1--', ''].join('\r\n'));
}

before(async () => {
  work = tmpDir();
  u = addUser('rm');
  execFileSync(path.join(fixtures, 'generate-large.sh'), [work, 'nested-1000.eml', 'nested-tags-100k.html', 'big-20mb.eml']);

  // The MIME corpus, the demo inbox, and two hostile messages built from the large fixtures.
  const files = fs.readdirSync(path.join(fixtures, 'messages')).filter((f) => f.endsWith('.eml')).sort()
    .map((f) => path.join(fixtures, 'messages', f));
  files.push(...fs.readdirSync(path.join(fixtures, 'demo', 'INBOX')).sort().map((f) => path.join(fixtures, 'demo', 'INBOX', f)));
  files.push(path.join(work, 'nested-1000.eml'));
  const tags = path.join(work, 'nested-tags.eml');
  fs.writeFileSync(tags, Buffer.concat([Buffer.from(['Date: Sat, 16 Mar 2024 12:00:00 +0000', 'From: deep@example.org',
    'To: anna@example.com', 'Subject: 100000 nested tags', 'MIME-Version: 1.0', 'Content-Type: text/html; charset=UTF-8',
    '', ''].join('\r\n')), fs.readFileSync(path.join(work, 'nested-tags-100k.html'))]));
  files.push(tags);
  // A long body with 2- and 3-byte UTF-8 characters: bounds count code points.
  const text = Array.from({ length: 1500 }, (_, i) => `Zeile ${i}: Grüße 日本 naïve café.`).join('\n') + '\n';
  const longFile = path.join(work, 'long.eml');
  fs.writeFileSync(longFile, Buffer.from(['Date: Sun, 17 Mar 2024 10:00:00 +0000', 'From: writer@example.org',
    'To: anna@example.com', 'Subject: A long letter', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit', '', text.replace(/\n/g, '\r\n')].join('\r\n')));
  files.push(longFile);
  corpusValidity = gen(u.user, 'Corpus', 0, files.flatMap((f) => ['--eml', `${f}::S`])).uidvalidity;
  files.forEach((file, i) => corpus.push({ name: path.basename(file), uid: i + 1, file }));
  long = { ...corpus.find((c) => c.file === longFile), text };

  // PDFs: text, multi-page, encrypted, corrupt, over 5 MB, and a .pdf sent as octet-stream.
  const large = path.join(work, 'large.pdf');
  execFileSync(path.join(pdfDir, 'make-large.sh'), [large]);
  const pdfs = [
    ['invoice', 'invoice.pdf', fs.readFileSync(path.join(pdfDir, 'invoice.pdf'))],
    ['multipage', 'multipage.pdf', fs.readFileSync(path.join(pdfDir, 'multipage.pdf'))],
    ['encrypted', 'encrypted.pdf', fs.readFileSync(path.join(pdfDir, 'encrypted.pdf'))],
    ['garbage', 'corrupt-garbage.pdf', fs.readFileSync(path.join(pdfDir, 'corrupt-garbage.pdf'))],
    ['truncated', 'corrupt-truncated.pdf', fs.readFileSync(path.join(pdfDir, 'corrupt-truncated.pdf'))],
    ['large', 'large.pdf', fs.readFileSync(large)],
    ['octet', 'Scan 2024.PDF', fs.readFileSync(path.join(pdfDir, 'invoice.pdf')), 'application/octet-stream'],
  ];
  const pdfArgs = [];
  pdfs.forEach(([key, filename, bytes, ctype], i) => {
    const file = path.join(work, `pdf-${key}.eml`);
    fs.writeFileSync(file, withAttachment(`PDF ${key}`, filename, bytes, ctype));
    pdfArgs.push('--eml', `${file}::S`);
    pdfMsgs[key] = { uid: i + 1, file, bytes };
  });
  pdfValidity = gen(u.user, 'Pdf', 0, pdfArgs).uidvalidity;

  const bigFile = path.join(work, 'big-20mb.eml');
  bigValidity = gen(u.user, 'Big', 0, ['--eml', `${bigFile}::S`]).uidvalidity;
  big = { uid: 1, file: bigFile };

  server = await started(envFor(u, { MAIL_IMAP_TOOL_TIMEOUT_MS: String(TOOL_TIMEOUT_MS) }));
});

after(async () => {
  if (server) await stop(server);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const corpusId = (name) => idOf('Corpus', corpusValidity, corpus.find((c) => c.name === name).uid);
const pdfId = (key) => idOf('Pdf', pdfValidity, pdfMsgs[key].uid);

// ---- argument rules --------------------------------------------------------------------------

test('get_message and get_message_raw arguments at their edges', async () => {
  const message_id = idOf('Corpus', corpusValidity, long.uid);
  const rejected = [
    ['imap_get_message', { body_max_chars: 99 }, /body_max_chars/],
    ['imap_get_message', { body_max_chars: 20001 }, /body_max_chars/],
    ['imap_get_message', { attachment_text_max_chars: 500 }, /attachment_text_max_chars/],
    ['imap_get_message', { extract_attachment_text: false, attachment_text_max_chars: 500 }, /attachment_text_max_chars/],
    ['imap_get_message', { extract_attachment_text: true, attachment_text_max_chars: 99 }, /attachment_text_max_chars/],
    ['imap_get_message', { extract_attachment_text: true, attachment_text_max_chars: 50001 }, /attachment_text_max_chars/],
    ['imap_get_message', { include_html: 'yes' }, /include_html/],
    ['imap_get_message', { unknown_flag: 1 }, /unknown argument 'unknown_flag'/],
    ['imap_get_message_raw', { max_bytes: 1023 }, /max_bytes/],
    ['imap_get_message_raw', { max_bytes: 1000001 }, /max_bytes/],
    ['imap_get_message_raw', { offset_bytes: -1 }, /offset_bytes/],
    ['imap_get_message_raw', { body_max_chars: 100 }, /unknown argument 'body_max_chars'/],
  ];
  for (const [tool, extra, pattern] of rejected) {
    const e = await hardError(server, tool, { message_id, ...extra });
    assert.equal(e.code, 'invalid_input', `${tool} ${JSON.stringify(extra)}`);
    assert.match(e.message, /^invalid input: /);
    assert.match(e.message, pattern, `${tool} ${JSON.stringify(extra)} -> ${e.message}`);
  }

  const cp = (s) => [...s].length;
  let d = await ok(server, 'imap_get_message', { message_id, body_max_chars: 100 });
  assert.equal(cp(d.message.body_text), 100, 'cut at exactly 100 code points');
  assert.equal(d.message.body_text_truncated, true);
  assert.equal(d.next_action.tool, 'imap_get_message');
  assert.ok(long.text.startsWith(d.message.body_text), 'the prefix of the real body');
  d = await ok(server, 'imap_get_message', { message_id });
  assert.equal(cp(d.message.body_text), 2000, 'default body_max_chars is 2,000');
  d = await ok(server, 'imap_get_message', { message_id, body_max_chars: 20000 });
  assert.equal(cp(d.message.body_text), 20000);
  assert.ok(long.text.startsWith(d.message.body_text));
  assert.equal(d.message.body_text_truncated, true);
  const short = await ok(server, 'imap_get_message', { message_id: corpusId('04-gruesse-aus-berlin.eml'), body_max_chars: 20000 });
  assert.equal(short.message.body_text_truncated, false);
  assert.equal(short.next_action, undefined);

  const attach = pdfId('invoice');
  for (const max of [100, 50000]) {
    d = await ok(server, 'imap_get_message', { message_id: attach, extract_attachment_text: true, attachment_text_max_chars: max });
    const text = d.message.attachments[0].extracted_text;
    assert.ok(cp(text) > 0 && cp(text) <= max, `extracted text bounded by ${max}: ${cp(text)}`);
  }
  d = await ok(server, 'imap_get_message', { message_id: attach, extract_attachment_text: true });
  assert.ok(cp(d.message.attachments[0].extracted_text) <= 10000);

  const size = fs.statSync(long.file).size;
  let r = await ok(server, 'imap_get_message_raw', { message_id, max_bytes: 1024 });
  assert.equal(r.returned_bytes, 1024);
  assert.equal(r.size_bytes, size);
  assert.equal(r.truncated, true);
  assert.equal(r.raw_source_encoding, 'base64');
  assert.equal(Buffer.from(r.raw_source_base64, 'base64').length, 1024);
  assert.deepEqual(r.next_action.arguments, { account_id: 'default', message_id, offset_bytes: 1024, max_bytes: 1024 });
  r = await ok(server, 'imap_get_message_raw', { message_id, max_bytes: 1000000 });
  assert.equal(r.returned_bytes, size);
  assert.equal(r.truncated, false);
  r = await ok(server, 'imap_get_message_raw', { message_id });
  assert.equal(r.returned_bytes, Math.min(size, 200000), 'default max_bytes is 200,000');
  r = await ok(server, 'imap_get_message_raw', { message_id, offset_bytes: size + 10 });
  assert.equal(r.returned_bytes, 0);
  assert.equal(r.truncated, false);
  assert.ok(r.issues.length >= 1, 'an offset beyond the end is reported');
});

test('message_id forms, account mismatch, unknown uid and stale uidvalidity', async () => {
  const good = corpusId('04-gruesse-aus-berlin.eml');
  const malformed = [
    '', 'imap', 'imap:default:Corpus:1', 'pop:default:Corpus:1:1', 'imap:default:Corpus:x:1',
    'imap:default:Corpus:1:x', 'imap:default:Corpus:1:0', 'imap:default:Corpus:-1:1',
    'imap:default:Corpus:4294967296:1', 'imap:default:Corpus:1:4294967296', 'imap:bad acct:Corpus:1:1',
    'imap:default::1:1', 'imap::Corpus:1:1', `${good} `, 'imap:default:Cor\u0001pus:1:1',
  ];
  for (const tool of ['imap_get_message', 'imap_get_message_raw']) {
    for (const message_id of malformed) {
      const e = await hardError(server, tool, { message_id });
      assert.equal(e.code, 'invalid_input', `${tool} ${JSON.stringify(message_id)}: ${e.message}`);
      assert.match(e.message, /^invalid input: .*message_id/);
    }
    let e = await hardError(server, tool, {});
    assert.equal(e.code, 'invalid_input');
    e = await hardError(server, tool, { message_id: good, account_id: 'other' });
    assert.equal(e.code, 'invalid_input');
    assert.match(e.message, /account/);
    await ok(server, tool, { message_id: good, account_id: 'default' });

    e = await hardError(server, tool, { message_id: idOf('Corpus', corpusValidity, 99999) });
    assert.equal(e.code, 'not_found', e.message);
    assert.match(e.message, /^not found: /);
    e = await hardError(server, tool, { message_id: idOf('Corpus', corpusValidity + 1, 1) });
    assert.equal(e.message, 'conflict: message uidvalidity no longer matches mailbox');
    e = await hardError(server, tool, { message_id: idOf('No/Such', 1, 1) });
    assert.equal(e.code, 'not_found', e.message);
    // The mailbox part may itself contain ':' (parsed from the right).
    e = await hardError(server, tool, { message_id: 'imap:default:a:b:1:1' });
    assert.equal(e.code, 'not_found', e.message);
    assert.match(e.message, /a:b/);
    e = await hardError(server, tool, { message_id: 'imap:nosuch:Corpus:1:1' });
    assert.equal(e.code, 'not_found', e.message);
  }
});

// ---- \Seen ---------------------------------------------------------------------------------------

test('reading never sets \\Seen (get_message with everything, raw in ranges)', async () => {
  const v = addUser('rseen');
  const file = path.join(fixtures, 'demo', 'INBOX', '03-invoice-2024-117.eml');
  const { uidvalidity } = gen(v.user, 'INBOX', 0, ['--eml', `${file}::`, '--eml', `${file}::F`]);
  const s = await started(envFor(v));
  const im = await RawImap.open(v);
  try {
    const flagsBySearch = async () => (await ok(s, 'imap_search_messages', { mailbox: 'INBOX' })).messages
      .map((m) => [m.uid, m.flags]).sort();
    assert.deepEqual(await flagsBySearch(), [[1, []], [2, ['\\Flagged']]]);
    for (const uid of [1, 2]) {
      const message_id = idOf('INBOX', uidvalidity, uid);
      const d = await ok(s, 'imap_get_message', { message_id, include_html: true, include_all_headers: true,
        extract_attachment_text: true, body_max_chars: 20000 });
      assert.ok(!d.message.flags.includes('\\Seen'));
      let offset = 0;
      for (;;) {
        const r = await ok(s, 'imap_get_message_raw', { message_id, max_bytes: 4096, offset_bytes: offset });
        offset += r.returned_bytes;
        if (!r.truncated) break;
      }
    }
    assert.deepEqual(await flagsBySearch(), [[1, []], [2, ['\\Flagged']]], 'flags unchanged, seen through a search');
    assert.deepEqual(await im.flags('INBOX', 1), [], 'and through an independent IMAP session');
    assert.deepEqual(await im.flags('INBOX', 2), ['\\Flagged']);
    const unread = await ok(s, 'imap_search_messages', { mailbox: 'INBOX', unread_only: true });
    assert.equal(unread.total, 2);
  } finally {
    await im.close();
    await stop(s);
  }
});

// ---- raw source ------------------------------------------------------------------------------------

/// Reads a whole message through imap_get_message_raw in ranges of max_bytes.
async function readRaw(s, message_id, max_bytes) {
  const parts = [];
  let offset = 0;
  let calls = 0;
  let size;
  for (;;) {
    const r = await ok(s, 'imap_get_message_raw', { message_id, max_bytes, offset_bytes: offset });
    calls++;
    assert.equal(r.offset_bytes, offset);
    size ??= r.size_bytes;
    assert.equal(r.size_bytes, size, 'size is stable across ranges');
    const bytes = Buffer.from(r.raw_source_base64, 'base64');
    assert.equal(bytes.length, r.returned_bytes);
    assert.ok(r.returned_bytes <= max_bytes);
    parts.push(bytes);
    offset += bytes.length;
    assert.equal(r.truncated, offset < size);
    if (!r.truncated) {
      assert.equal(r.next_action, undefined);
      break;
    }
    assert.equal(r.returned_bytes, max_bytes, 'a range before the end is full');
    assert.equal(r.next_action.arguments.offset_bytes, offset);
  }
  return { bytes: Buffer.concat(parts), calls, size };
}

test('raw source is byte-faithful: ranges concatenate to the Maildir file', async () => {
  let exact = 0;
  for (const c of corpus.filter((x) => !/nested-tags|long/.test(x.name))) {
    let file = fs.readFileSync(c.file);
    // Files stored with bare LF (the demo mailbox) are served with CRLF, as IMAP requires;
    // CRLF files (the MIME corpus, 8-bit charsets included) must come back unchanged.
    if (file.includes('\r\n')) exact++;
    else file = Buffer.from(file.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
    const { bytes, size } = await readRaw(server, idOf('Corpus', corpusValidity, c.uid), 1024);
    assert.equal(size, file.length, `${c.name}: size_bytes is the file size`);
    assert.ok(bytes.equals(file), `${c.name}: bytes identical to the stored file`);
  }
  assert.ok(exact >= 15, `byte-exact comparisons: ${exact}`);
});

test('a 20 MB message is served in 1 MB ranges, identical to the file', async () => {
  const file = fs.readFileSync(big.file);
  assert.ok(file.length > 19_000_000);
  const { bytes, calls, size } = await readRaw(server, idOf('Big', bigValidity, big.uid), 1000000);
  assert.equal(size, file.length);
  assert.equal(calls, Math.ceil(file.length / 1000000));
  assert.equal(crypto.createHash('sha256').update(bytes).digest('hex'),
    crypto.createHash('sha256').update(file).digest('hex'));
  // get_message on it reads the text part only and lists the 15 MB attachment.
  const d = await ok(server, 'imap_get_message', { message_id: idOf('Big', bigValidity, big.uid) });
  assert.match(d.message.body_text, /Backup attached/);
  assert.equal(d.message.attachments.length, 1);
  assert.equal(d.message.attachments[0].filename, 'backup.bin');
  assert.ok(Math.abs(d.message.attachments[0].size_bytes - 15000000) < 200000, `decoded size ${d.message.attachments[0].size_bytes}`);
});

// ---- the corpus --------------------------------------------------------------------------------------

async function corpusRound(list) {
  for (const c of list) {
    const t0 = Date.now();
    const r = await call(server, 'imap_get_message', { message_id: idOf('Corpus', corpusValidity, c.uid),
      include_html: true, include_all_headers: true, extract_attachment_text: true, body_max_chars: 20000 }, TOOL_TIMEOUT_MS + 10000);
    const took = Date.now() - t0;
    assert.ok(took < TOOL_TIMEOUT_MS + 2000, `${c.name} answered in ${took} ms`);
    assert.ok(!r.isError, `${c.name}: ${r.content[0].text.slice(0, 300)}`);
    const d = r.structuredContent.data;
    assert.ok(['ok', 'partial'].includes(d.status), `${c.name}: ${d.status} ${JSON.stringify(d.issues)}`);
    assert.equal(d.message.uid, c.uid);
    assert.ok(typeof d.message.body_text === 'string');
    if (!/nested/.test(c.name)) assert.ok(d.message.body_text.trim().length > 0 || d.message.body_html, `${c.name} has a body`);
    assert.match(r.structuredContent.summary, /^message retrieved/);
  }
}

test('every corpus message is answered within its deadline and the server stays up', async () => {
  await corpusRound(corpus.filter((c) => c.name !== 'nested-1000.eml'));
  const listed = await ok(server, 'imap_list_accounts', {});
  assert.equal(listed.accounts.length, 1);
  assert.equal(server.child.exitCode, null, 'the server process is alive');
});

test('charsets and headers are decoded to UTF-8', async () => {
  const get = async (name, extra = {}) => (await ok(server, 'imap_get_message', { message_id: corpusId(name), ...extra })).message;
  const de = await get('04-gruesse-aus-berlin.eml');
  assert.equal(de.subject, 'Grüße aus Berlin');
  assert.match(de.body_text, /[äöüß]/);
  assert.deepEqual(de.headers.map((h) => h[0].toLowerCase()).filter((n) => !['date', 'from', 'to', 'cc', 'subject', 'message-id'].includes(n)), [],
    'curated headers only by default');
  const all = await get('04-gruesse-aus-berlin.eml', { include_all_headers: true });
  assert.ok(all.headers.length > de.headers.length);
  const none = await get('04-gruesse-aus-berlin.eml', { include_headers: false });
  assert.equal(none.headers, undefined);
  const ja = await get('05-japanese-meeting.eml');
  assert.equal(ja.subject, '日本の会議');
  assert.match(ja.body_text, /[\u3040-\u30ff\u4e00-\u9fff]/);
  const sjis = await get('shift-jis.eml');
  assert.match(sjis.body_text, /[\u3040-\u30ff\u4e00-\u9fff]/, 'Shift_JIS converted');
  for (const name of ['iso-8859-1.eml', 'windows-1252.eml', 'quoted-printable-1252.eml', 'utf8-no-charset.eml', 'base64-utf8.eml']) {
    const m = await get(name);
    assert.ok(m.body_text.length > 0, name);
    assert.ok(!m.body_text.includes('\uFFFD'), `${name}: no replacement characters`);
  }
  const htmlOnly = await get('html-only.eml');
  assert.ok(htmlOnly.body_text.length > 0, 'text rendered from HTML when there is no text/plain');
  assert.doesNotMatch(htmlOnly.body_text, /<\/?[a-z]+[^>]*>/i);
});

test('a message with 1,000 nested multiparts is answered, not failed', async () => {
  await corpusRound(corpus.filter((c) => c.name === 'nested-1000.eml'));
  await ok(server, 'imap_list_accounts', {});
});

// ---- hostile HTML ------------------------------------------------------------------------------------

const DANGEROUS = [
  [/<script/i, 'script element'],
  [/<style/i, 'style element'],
  [/<(iframe|object|embed|form|input|button|meta|link|base|svg|math|template)\b/i, 'forbidden element'],
  [/\son[a-z]+\s*=/i, 'event handler attribute'],
  [/\sstyle\s*=/i, 'style attribute'],
  [/javascript:|vbscript:|livescript:/i, 'script URL'],
  [/\s(href|src|action|background|poster|xlink:href|formaction)\s*=\s*["']?\s*data:/i, 'data: URL'],
  [/&#(x0*6a|0*106);/i, 'encoded javascript'],
];

test('sanitized HTML of the malicious corpus keeps no script, handler, style or dangerous URL', async () => {
  const hostile = ['malicious-html.eml', '02-cpp-weekly-digest-212.eml', '10-action-required-mailbox-quota.eml',
    'nested-tags.eml', 'multipart-alternative.eml', 'html-only.eml', 'related-inline-image.eml'];
  for (const name of hostile) {
    const d = await ok(server, 'imap_get_message', { message_id: corpusId(name), include_html: true, body_max_chars: 20000 });
    const html = d.message.body_html;
    assert.equal(typeof html, 'string', name);
    for (const [pattern, what] of DANGEROUS) assert.doesNotMatch(html, pattern, `${name}: ${what} in ${html.slice(0, 2000)}`);
    assert.doesNotMatch(d.message.body_text, /document\.cookie|alert\(/, `${name}: no script text in body_text`);
  }
  const d = await ok(server, 'imap_get_message', { message_id: corpusId('malicious-html.eml'), include_html: true, body_max_chars: 20000 });
  assert.match(d.message.body_html, /invoice/i, 'the harmless content survives');
  assert.match(d.message.body_html, /href="https:\/\/pay\.example\.com\/invoice\/42"/, 'https links kept');
  assert.match(d.message.body_html, /mailto:billing@example\.com/, 'mailto links kept');
  const plain = await ok(server, 'imap_get_message', { message_id: corpusId('malicious-html.eml') });
  assert.equal(plain.message.body_html, undefined, 'no body_html unless include_html');
  const deep = await ok(server, 'imap_get_message', { message_id: corpusId('nested-tags.eml'), include_html: true });
  assert.ok([...deep.message.body_html].length <= 2000, 'body_html bounded by body_max_chars');
});

// ---- PDFs and attachments --------------------------------------------------------------------------

test('PDF extraction: text, pages, encrypted/corrupt as issues, over 5 MB skipped', async () => {
  const get = (key, extra = {}) => ok(server, 'imap_get_message', { message_id: pdfId(key), extract_attachment_text: true, ...extra });
  let d = await get('invoice');
  assert.equal(d.status, 'ok');
  assert.match(d.message.attachments[0].extracted_text, /Invoice 2024-117 total 1,234\.56 EUR/);
  assert.equal(d.message.attachments[0].content_type, 'application/pdf');
  assert.equal(d.message.attachments[0].filename, 'invoice.pdf');
  d = await get('multipage');
  for (let p = 1; p <= 5; p++) assert.match(d.message.attachments[0].extracted_text, new RegExp(`Page ${p}`));
  d = await get('octet');
  assert.match(d.message.attachments[0].extracted_text ?? '', /Invoice 2024-117/, 'a .pdf name with octet-stream is extracted');

  for (const key of ['encrypted', 'garbage', 'truncated', 'large']) {
    const r = await call(server, 'imap_get_message', { message_id: pdfId(key), extract_attachment_text: true });
    assert.ok(!r.isError, `${key}: an issue, never a failed call: ${r.content[0].text.slice(0, 300)}`);
    d = r.structuredContent.data;
    assert.equal(d.status, 'partial', key);
    assert.ok(d.issues.length >= 1, `${key} has an issue`);
    assert.ok(d.issues.every((i) => typeof i.code === 'string' && typeof i.message === 'string' && typeof i.retryable === 'boolean'));
    assert.equal(d.message.attachments.length, 1);
    assert.equal(d.message.attachments[0].extracted_text, undefined, `${key}: no extracted text`);
    assert.match(d.message.body_text, /See /);
    if (key === 'encrypted') assert.match(JSON.stringify(d.issues), /encrypt/i);
    if (key === 'large') assert.match(JSON.stringify(d.issues), /5000000|5,000,000/);
  }
  // Without extraction nothing is extracted and nothing is reported.
  d = await ok(server, 'imap_get_message', { message_id: pdfId('encrypted') });
  assert.deepEqual(d.issues, []);
  assert.equal(d.message.attachments[0].extracted_text, undefined);
});

test('60 attachments: the first 50 are listed with an issue; part_ids are real IMAP sections', async () => {
  const d = await ok(server, 'imap_get_message', { message_id: corpusId('attachments-60.eml') });
  assert.equal(d.message.attachments.length, 50);
  assert.ok(d.issues.some((i) => /60/.test(i.message) && /50/.test(i.message)), JSON.stringify(d.issues));
  assert.equal(new Set(d.message.attachments.map((a) => a.part_id)).size, 50);
  const im = await RawImap.open(u);
  try {
    const uid = corpus.find((c) => c.name === 'attachments-60.eml').uid;
    for (const a of [d.message.attachments[0], d.message.attachments[49]]) {
      const part = await im.section('Corpus', uid, a.part_id);
      const text = Buffer.from(part.toString('latin1').replace(/\s+/g, ''), 'base64').toString();
      const n = /report-(\d+)\.txt/.exec(a.filename)[1];
      assert.match(text, new RegExp(`Report ${n}`), `part ${a.part_id} is ${a.filename}`);
      assert.ok(Math.abs(a.size_bytes - Buffer.byteLength(text)) <= 3, `decoded size of ${a.filename}`);
    }
    // PDF part: the section decodes to exactly the PDF file.
    const p = await ok(server, 'imap_get_message', { message_id: pdfId('invoice') });
    const pdfPart = await im.section('Pdf', pdfMsgs.invoice.uid, p.message.attachments[0].part_id);
    assert.ok(Buffer.from(pdfPart.toString('latin1').replace(/\s+/g, ''), 'base64').equals(pdfMsgs.invoice.bytes));
    // Nested message/rfc822 and RFC 2231 names.
    const nested = await ok(server, 'imap_get_message', { message_id: corpusId('nested-rfc822.eml') });
    const rfc822 = nested.message.attachments.find((a) => a.content_type === 'message/rfc822');
    assert.ok(rfc822, JSON.stringify(nested.message.attachments));
    const inner = await im.section('Corpus', corpus.find((c) => c.name === 'nested-rfc822.eml').uid, rfc822.part_id);
    assert.match(inner.toString('latin1'), /^[\s\S]*Subject:/i, 'the rfc822 part holds a message');
    const named = await ok(server, 'imap_get_message', { message_id: corpusId('09-aurora-contract-draft.eml') });
    assert.ok(named.message.attachments.some((a) => a.filename === 'Übersicht Aurora.txt'), JSON.stringify(named.message.attachments));
  } finally {
    await im.close();
  }
});

// ---- the official SDK client ---------------------------------------------------------------------------

test('the SDK client validates search, get_message and raw results against the output schemas', async () => {
  const { client } = await connectSdk(envFor(u));
  try {
    const found = await client.callTool({ name: 'imap_search_messages',
      arguments: { mailbox: 'Pdf', include_snippet: true, limit: 50 } });
    assert.ok(!found.isError);
    assert.equal(found.structuredContent.data.total, Object.keys(pdfMsgs).length);
    const id = found.structuredContent.data.messages.find((m) => m.subject === 'PDF invoice').message_id;
    const msg = await client.callTool({ name: 'imap_get_message',
      arguments: { message_id: id, include_html: true, extract_attachment_text: true, include_all_headers: true } });
    assert.ok(!msg.isError);
    assert.match(msg.structuredContent.data.message.attachments[0].extracted_text, /Invoice 2024-117/);
    const partial = await client.callTool({ name: 'imap_get_message',
      arguments: { message_id: pdfId('encrypted'), extract_attachment_text: true } });
    assert.equal(partial.structuredContent.data.status, 'partial');
    const raw = await client.callTool({ name: 'imap_get_message_raw', arguments: { message_id: id, max_bytes: 1024 } });
    assert.equal(raw.structuredContent.data.returned_bytes, 1024);
    const many = await client.callTool({ name: 'imap_get_message', arguments: { message_id: corpusId('attachments-60.eml') } });
    assert.equal(many.structuredContent.data.message.attachments.length, 50);
    const bad = await client.callTool({ name: 'imap_get_message', arguments: { message_id: 'nope' } });
    assert.equal(bad.isError, true);
  } finally {
    await client.close();
  }
});
