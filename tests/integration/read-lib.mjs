// Helpers shared by the read-tool end-to-end suites (read-search, read-message): per-test
// Dovecot users and mailboxes, tool calls over a raw stdio session, and a minimal raw IMAP
// client for changing a mailbox behind the server's back.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { dovecotEnv, rawServer, initialize } from './lib.mjs';

export const source = process.env.IMAP_MCP_SOURCE_DIR;
export const stateDir = process.env.IMAP_MCP_TEST_STATE_DIR;
if (!source || !stateDir) throw new Error('IMAP_MCP_SOURCE_DIR / IMAP_MCP_TEST_STATE_DIR not set (run through scripts/test)');
export const imapServer = path.join(source, 'scripts', 'imap-server');
export const genMailbox = path.join(source, 'scripts', 'gen-mailbox');
export const demo = path.join(source, 'tests', 'fixtures', 'demo');

/// A fresh Dovecot user (unique name); serialised with the other read tests because add-user
/// rewrites the users file.
export function addUser(prefix) {
  const user = `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
  const pass = `pw-${user}`;
  execFileSync('flock', [path.join(stateDir, '.read-tests.lock'), imapServer, 'add-user', stateDir, `${user}:${pass}`],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  return { user, pass };
}

/// scripts/gen-mailbox; returns {uidvalidity, first, last}.
export function gen(user, mailbox, count, extra = []) {
  const out = execFileSync(genMailbox, [stateDir, user, mailbox, String(count), '--quiet', ...extra],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20 });
  const [uidvalidity, first, last] = out.trim().split(/\s+/).map(Number);
  return { uidvalidity, first, last };
}

export function envFor(u, extra = {}) {
  return dovecotEnv({ MAIL_IMAP_LOG_LEVEL: 'warn', ...extra }, { user: u.user, pass: u.pass });
}

export let nextId = 1;
export async function call(s, name, args = {}, timeoutMs = 60000) {
  const id = nextId++;
  s.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
  const msg = await s.byId(id, timeoutMs);
  // rawServer rescans every line received so far on each wait: drop the answered one so that
  // long runs (and megabyte-sized raw ranges) stay linear.
  const at = s.lines.findIndex((l) => l.startsWith(`{"id":${id},`) || l.includes(`"id":${id},"jsonrpc"`) || JSON.parse(l).id === id);
  if (at >= 0) s.lines.splice(at, 1);
  assert.ok(msg.result, `tools/call ${name} answered with a result: ${JSON.stringify(msg).slice(0, 500)}`);
  return msg.result;
}

/// The data of a successful call (fails the test on a hard error).
export async function ok(s, name, args) {
  const r = await call(s, name, args);
  assert.ok(!r.isError, `${name} ${JSON.stringify(args).slice(0, 300)} succeeded: ${r.content?.[0]?.text?.slice(0, 500)}`);
  assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent, 'text content mirrors structuredContent');
  return r.structuredContent.data;
}

/// The error object of a hard failure (fails the test on success).
export async function hardError(s, name, args) {
  const r = await call(s, name, args);
  assert.equal(r.isError, true, `${name} ${JSON.stringify(args).slice(0, 300)} is a hard error: ${JSON.stringify(r).slice(0, 400)}`);
  assert.equal(r.structuredContent, undefined);
  return JSON.parse(r.content[0].text).error;
}

export async function started(env) {
  const s = rawServer(env);
  await initialize(s, 'init');
  return s;
}

export async function stop(s) {
  s.close();
  const { code } = await s.exited;
  assert.equal(code, 0, 'server exits cleanly');
}

/// A minimal raw IMAP client over TLS (independent of the server under test): for set-up
/// (DELETE/CREATE/APPEND) and for cross-checks (FLAGS).
export class RawImap {
  static async open(u) {
    const sock = tls.connect({ host: '127.0.0.1', port: Number(process.env.IMAP_MCP_TEST_IMAP_PORT),
      servername: 'localhost', ca: fs.readFileSync(process.env.IMAP_MCP_TEST_CA) });
    const im = new RawImap(sock);
    await new Promise((resolve, reject) => { sock.once('secureConnect', resolve); sock.once('error', reject); });
    await im.untilTagged(null);
    await im.cmd(`LOGIN ${quote(u.user)} ${quote(u.pass)}`);
    return im;
  }
  constructor(sock) {
    this.sock = sock;
    this.chunks = [];
    this.buf = Buffer.alloc(0);
    this.responses = [];
    this.wake = null;
    this.tag = 0;
    sock.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.parse(); });
    sock.on('error', () => {});
  }
  parse() {
    for (;;) {
      let pos = 0;
      const literals = [];
      let text = '';
      for (;;) {
        const nl = this.buf.indexOf('\r\n', pos);
        if (nl < 0) return;
        const line = this.buf.subarray(pos, nl).toString('latin1');
        const m = /\{(\d+)\+?\}$/.exec(line);
        if (!m) { text += line; pos = nl + 2; break; }
        const n = Number(m[1]);
        if (this.buf.length < nl + 2 + n) return;
        literals.push(Buffer.from(this.buf.subarray(nl + 2, nl + 2 + n)));
        text += line;
        pos = nl + 2 + n;
      }
      this.buf = this.buf.subarray(pos);
      this.responses.push({ text, literals });
      if (this.wake) this.wake();
    }
  }
  async untilTagged(tag) {
    for (;;) {
      const i = this.responses.findIndex((r) => (tag === null ? r.text.startsWith('* ') : r.text.startsWith(tag + ' ')));
      if (i >= 0) return this.responses.splice(0, i + 1);
      await new Promise((resolve) => { this.wake = resolve; setTimeout(resolve, 100); });
    }
  }
  /// Sends one command (string or Buffer); resolves with all responses up to its tagged one.
  async cmd(command, { allowNo = false } = {}) {
    const tag = `t${++this.tag}`;
    this.sock.write(Buffer.concat([Buffer.from(tag + ' '), Buffer.isBuffer(command) ? command : Buffer.from(command), Buffer.from('\r\n')]));
    const out = await this.untilTagged(tag);
    const last = out[out.length - 1].text;
    if (!allowNo) assert.match(last, new RegExp(`^${tag} OK`), `IMAP ${String(command).slice(0, 80)}: ${last}`);
    return out;
  }
  async append(mailbox, bytes, flags = '') {
    return this.cmd(Buffer.concat([Buffer.from(`APPEND ${quote(mailbox)} (${flags}) {${bytes.length}+}\r\n`), bytes]));
  }
  async flags(mailbox, uid) {
    await this.cmd(`EXAMINE ${quote(mailbox)}`);
    const out = await this.cmd(`UID FETCH ${uid} (FLAGS)`);
    const m = out.map((r) => /FLAGS \(([^)]*)\)/.exec(r.text)).find(Boolean);
    return m ? m[1].split(' ').filter(Boolean) : null;
  }
  /// The raw bytes of BODY[section] (never sets \Seen: BODY.PEEK on an EXAMINEd mailbox).
  async section(mailbox, uid, section) {
    await this.cmd(`EXAMINE ${quote(mailbox)}`);
    const out = await this.cmd(`UID FETCH ${uid} (BODY.PEEK[${section}])`);
    const r = out.find((x) => x.literals.length && /FETCH/.test(x.text));
    return r ? r.literals[0] : null;
  }
  async close() {
    try { await this.cmd('LOGOUT', { allowNo: true }); } catch { /* gone */ }
    this.sock.destroy();
  }
}

export function quote(s) { return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"'; }

export function tmpDir() { return fs.mkdtempSync(path.join(os.tmpdir(), 'imap-mcp-read-')); }

/// A small plain message with a given Date (CRLF).
export function message({ date, subject, body = 'Hello there.\n', from = 'Dora <dora@example.com>', to = 'anna@example.com' }) {
  return Buffer.from([`Date: ${date}`, `From: ${from}`, `To: ${to}`, `Subject: ${subject}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@test.example>`, 'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit', '', body].join('\r\n'));
}

export function rfc2822(d) { return d.toUTCString().replace('GMT', '+0000'); }
