// MCP side of the read-path benchmark (run by scripts/bench-read): one imap-mcp stdio server,
// warm, sequential tools/call requests, N iterations per tool; prints one JSON line per
// measurement (same shape as imap_bench) plus the cold first call.
//
//   IMAP_MCP_BINARY=... IMAP_MCP_NODE_MODULES=... MAIL_IMAP_DEFAULT_*=... \
//     node mcp-driver.mjs --mailbox M --message-uid N [--iterations N] [--warmup N]
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { rawServer, initialize } = await import(path.join(here, '..', 'integration', 'lib.mjs'));

const opt = { mailbox: 'INBOX', uid: 0, iterations: 200, warmup: 10 };
for (let i = 2; i < process.argv.length; i += 2) {
  const [k, v] = [process.argv[i], process.argv[i + 1]];
  if (k === '--mailbox') opt.mailbox = v;
  else if (k === '--message-uid') opt.uid = Number(v);
  else if (k === '--iterations') opt.iterations = Number(v);
  else if (k === '--warmup') opt.warmup = Number(v);
  else throw new Error(`unknown option ${k}`);
}

// Only the variables the server needs, as an MCP client would pass them.
const env = { PATH: process.env.PATH, MAIL_IMAP_LOG_LEVEL: 'warn' };
for (const [k, v] of Object.entries(process.env)) if (k.startsWith('MAIL_IMAP_')) env[k] = v;

const s = rawServer(env);
await initialize(s, 'init');
s.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
s.lines.length = 0;

let nextId = 1;
/// One tools/call; returns its duration in ms. Received lines are dropped after each call so
/// that waiting never rescans old responses.
async function timed(name, args) {
  const id = nextId++;
  const t0 = process.hrtime.bigint();
  s.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
  const msg = await s.byId(id, 120000);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  s.lines.length = 0;
  if (!msg.result || msg.result.isError) throw new Error(`${name} failed: ${JSON.stringify(msg).slice(0, 500)}`);
  return { ms, result: msg.result };
}

function report(name, samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  console.log(JSON.stringify({ name, n: sorted.length, p50_ms: pct(50), p90_ms: pct(90), p99_ms: pct(99), mean_ms: mean }));
}

const cold = await timed('imap_list_mailboxes', {});
report('cold_first_call', [cold.ms]);

const found = await timed('imap_search_messages', { mailbox: opt.mailbox, limit: 50 });
const validity = found.result.structuredContent.data.messages[0].uidvalidity;
const messageId = `imap:default:${opt.mailbox}:${validity}:${opt.uid}`;
const check = await timed('imap_get_message', { message_id: messageId, extract_attachment_text: true });
const atts = check.result.structuredContent.data.message.attachments;
if (!atts.some((a) => a.extracted_text)) throw new Error('the benchmark message yielded no PDF text');

const cases = [
  ['list', 'imap_list_mailboxes', {}],
  ['search20', 'imap_search_messages', { mailbox: opt.mailbox, limit: 20 }],
  ['get_message', 'imap_get_message', { message_id: messageId, extract_attachment_text: true }],
];
for (const [label, tool, args] of cases) {
  const samples = [];
  for (let i = 0; i < opt.warmup + opt.iterations; i++) {
    const { ms } = await timed(tool, args);
    if (i >= opt.warmup) samples.push(ms);
  }
  report(label, samples);
}
s.close();
const { code } = await s.exited;
process.exit(code ?? 1);
