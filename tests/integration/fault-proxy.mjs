// A fault-injecting IMAPS proxy for tests: sits between imap-mcp and a private Dovecot and
// breaks the server direction of the conversation on purpose.
//
// The server speaks implicit TLS, so a TCP-only proxy could only cut or stall encrypted bytes.
// This one terminates TLS with the private Dovecot's own certificate (scripts/imap-server makes
// <state-dir>/tls/server.pem + server.key, valid for localhost and 127.0.0.1 and signed by
// <state-dir>/tls/ca.pem, which the server under test trusts), opens its own verified TLS
// connection to Dovecot, and applies faults to the plaintext IMAP stream that flows towards the
// client. The client direction is always forwarded untouched.
//
// Faults (FaultProxy#set), each optionally armed only after a trigger (`after`) so that login
// still succeeds where the fault is meant for a later stage:
//   {kind: 'drop'}                          destroy both sockets (no close_notify) at the trigger
//   {kind: 'stall'}                         forward nothing more; keep every socket open
//   {kind: 'drip', dripMs: 5}               forward one byte per dripMs from the trigger on
//   {kind: 'cut-literal', then: 'close'|'stall', keep: 0.5}
//                                           at the first literal {N} after the trigger: forward
//                                           "{N}\r\n" and fewer than N bytes (keep * N, at most
//                                           N - 1), then close or stall
//   {kind: 'garbage', garbage: '...', then: 'continue'|'close'}
//                                           insert invalid IMAP lines at the trigger
//   {kind: 'reset-handshake'}               TCP RST after the ClientHello arrives (before TLS)
//   {kind: 'bye-greeting', text: '...'}     complete TLS, greet with "* BYE", close
//   {kind: 'refuse'}                        close the listening port (connect: ECONNREFUSED)
// Triggers: after: {bytes: N} (N server bytes pass first) or after: {pattern: /re/ | 'text'}
// (the fault starts where the pattern first matches; `skip: K` lets K more bytes through first,
// e.g. to cut inside a response). Counting starts when the fault is set, also on connections
// that are already open (pooled sessions), unless newOnly is true. `count: K` limits the fault
// to the next K connections it is armed on.
//
// As a program (for manual experiments):
//   node fault-proxy.mjs --upstream-port P --tls-dir <state-dir>/tls [--listen-port N]
// prints the listening port, then reads commands on stdin, one per line:
//   set {"kind":"stall","after":{"pattern":"FETCH"}}   |   clear   |   stats
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const KINDS = new Set(['drop', 'stall', 'drip', 'cut-literal', 'garbage', 'reset-handshake', 'bye-greeting', 'refuse']);

/// Default garbage: a line that is no IMAP response at all, then a FETCH with broken syntax.
export const DEFAULT_GARBAGE = '\x00\x7f garbage that is not IMAP \x01\r\n* 1 FETCH (UID )) BODY[{x}\r\n';

export class FaultProxy {
  /// Starts a proxy in front of upstreamHost:upstreamPort (Dovecot, implicit TLS).
  /// tlsDir holds server.pem, server.key (what the proxy presents) and ca.pem (to verify
  /// Dovecot). Resolves once it listens on 127.0.0.1:port (0 = any free port).
  static async start({ upstreamPort, upstreamHost = '127.0.0.1', tlsDir, port = 0, servername = 'localhost' }) {
    const p = new FaultProxy({ upstreamPort, upstreamHost, tlsDir, servername });
    await p.#listen(port);
    return p;
  }

  constructor({ upstreamPort, upstreamHost, tlsDir, servername }) {
    this.upstream = { host: upstreamHost, port: Number(upstreamPort), servername };
    this.ca = fs.readFileSync(path.join(tlsDir, 'ca.pem'));
    this.context = tls.createSecureContext({
      cert: fs.readFileSync(path.join(tlsDir, 'server.pem')),
      key: fs.readFileSync(path.join(tlsDir, 'server.key')),
    });
    this.port = 0;
    this.fault = null;
    this.conns = new Set();
    /// accepted: TCP connections; handshakes: TLS completed with a client; upstream: connections
    /// opened to Dovecot; faulted: connections a fault was armed on.
    this.stats = { accepted: 0, handshakes: 0, upstream: 0, faulted: 0 };
    this.server = null;
  }

  /// Open client connections (TCP accepted and not yet closed).
  get live() { return this.conns.size; }

  /// Arms a fault (see the header); replaces the previous one.
  async set(fault) {
    if (!fault || !KINDS.has(fault.kind)) throw new Error(`unknown fault ${JSON.stringify(fault)}`);
    await this.clear();
    this.fault = { count: Infinity, ...fault, armed: 0 };
    if (fault.kind === 'refuse') {
      await this.#unlisten();
      return;
    }
    const streamFault = fault.kind !== 'reset-handshake' && fault.kind !== 'bye-greeting';
    if (streamFault && !fault.newOnly) for (const c of this.conns) if (c.up) this.#arm(c);
  }

  /// Removes the fault: new connections pass untouched, live connections whose fault has not
  /// triggered yet are disarmed, a dripping one delivers the rest at once, and a refused port
  /// listens again. Connections already broken (dropped, stalled, cut) stay broken: their
  /// stream lost bytes, and the client has to notice that.
  async clear() {
    const was = this.fault;
    this.fault = null;
    for (const c of this.conns) {
      if (!c.fault || c.closed) continue;
      if (c.phase === 'pass') {
        c.fault = null;
      } else if (c.fault.kind === 'drip' || (c.fault.kind === 'garbage' && c.fault.then !== 'close')) {
        const rest = Buffer.concat(c.pending.splice(0));
        c.fault = null;
        c.phase = 'pass';
        this.#send(c, rest);
      }
    }
    if (was?.kind === 'refuse') await this.#listen(this.port);
  }

  /// Destroys every open connection (both sides), e.g. so that a pooled session cannot dodge
  /// a connection-level fault.
  dropAll() {
    for (const c of [...this.conns]) this.#destroy(c);
  }

  /// Destroys every connection (both sides) and stops listening.
  async close() {
    this.fault = null;
    for (const c of [...this.conns]) this.#destroy(c);
    await this.#unlisten();
  }

  // ---- listening --------------------------------------------------------------------------

  async #listen(port) {
    const server = net.createServer((sock) => this.#accept(sock));
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1', exclusive: true }, () => { server.off('error', reject); resolve(); });
    });
    this.server = server;
    this.port = server.address().port;
  }

  async #unlisten() {
    const server = this.server;
    this.server = null;
    // close() stops listening at once, but its callback waits for every open connection: do not
    // wait for it (pooled connections may stay open for minutes).
    if (server) server.close();
    await new Promise((resolve) => setImmediate(resolve));
  }

  // ---- one connection -----------------------------------------------------------------------

  #accept(raw) {
    this.stats.accepted++;
    const c = { raw, down: null, up: null, fault: null, closed: false, timers: new Set(),
      phase: 'pass', armedBytes: 0, faultAt: null, seen: '', seenBase: 0, pending: [],
      garbageSent: false, cutDone: false, dripping: false };
    this.conns.add(c);
    raw.on('error', () => {});
    raw.on('close', () => this.#destroy(c));
    // Connection-level faults come from the fault in force when the TCP connection arrives.
    const f = this.fault;
    if (f && f.armed < f.count && f.kind === 'reset-handshake') {
      f.armed++;
      this.stats.faulted++;
      // Wait for the ClientHello so that the reset hits the handshake, not the connect.
      raw.once('data', () => { c.closed = true; raw.resetAndDestroy(); });
      return;
    }
    this.#arm(c); // triggers count from the greeting
    const down = new tls.TLSSocket(raw, { isServer: true, secureContext: this.context });
    c.down = down;
    down.on('error', () => this.#destroy(c));
    down.on('close', () => this.#destroy(c));
    down.on('secure', () => {
      this.stats.handshakes++;
      if (c.fault?.kind === 'bye-greeting') {
        c.closed = true;
        down.end(`* BYE ${c.fault.text ?? 'fault proxy: server unavailable'}\r\n`);
        return;
      }
      this.#connectUpstream(c);
    });
  }

  #arm(c) {
    const f = this.fault;
    if (!f || c.fault || f.armed >= f.count) return;
    f.armed++;
    this.stats.faulted++;
    c.fault = f;
    // Triggers count from now on this connection; per-fault progress starts afresh.
    c.phase = 'pass';
    c.armedBytes = 0;
    c.faultAt = null;
    c.seen = '';
    c.seenBase = 0;
    c.garbageSent = false;
    c.cutDone = false;
  }

  #connectUpstream(c) {
    this.stats.upstream++;
    const up = tls.connect({ host: this.upstream.host, port: this.upstream.port,
      servername: this.upstream.servername, ca: this.ca });
    c.up = up;
    up.on('error', () => this.#destroy(c));
    up.on('close', () => this.#destroy(c));
    up.on('data', (d) => this.#fromServer(c, d));
    c.down.on('data', (d) => { if (!c.closed && c.up) c.up.write(d); });
  }

  /// Server-direction bytes: forwarded, or handed to the connection's fault from its start
  /// offset on (counted in bytes since the fault was armed on this connection).
  #fromServer(c, chunk) {
    if (c.closed) return;
    if (c.phase === 'fault') {
      this.#faulted(c, chunk);
      return;
    }
    if (!c.fault || c.fault.kind === 'bye-greeting') {
      this.#send(c, chunk);
      return;
    }
    const before = c.armedBytes;
    c.armedBytes += chunk.length;
    if (c.faultAt === null) {
      const at = this.#triggerAt(c, chunk);
      if (at >= 0) c.faultAt = at + (c.fault.skip ?? 0);
    }
    if (c.faultAt === null || c.faultAt >= c.armedBytes) {
      this.#send(c, chunk);
      return;
    }
    const cut = Math.max(0, c.faultAt - before);
    if (cut > 0) this.#send(c, chunk.subarray(0, cut));
    c.phase = 'fault';
    c.seen = '';
    this.#faulted(c, chunk.subarray(cut));
  }

  /// Where the trigger fires (offset since arming), or -1 while it has not.
  #triggerAt(c, chunk) {
    const after = c.fault.after;
    if (!after) return 0;
    if (after.bytes !== undefined) return c.armedBytes >= after.bytes ? after.bytes : -1;
    // Patterns are matched on latin1 text, which keeps byte offsets.
    c.seen += chunk.toString('latin1');
    const re = after.pattern instanceof RegExp ? after.pattern : new RegExp(escapeRe(String(after.pattern)));
    const m = re.exec(c.seen);
    if (m) return c.seenBase + m.index;
    if (c.seen.length > (1 << 20)) {
      const drop = c.seen.length - (1 << 16);
      c.seen = c.seen.slice(drop);
      c.seenBase += drop;
    }
    return -1;
  }

  /// Applies the fault to `chunk` and everything after it.
  #faulted(c, chunk) {
    const f = c.fault;
    switch (f.kind) {
      case 'drop':
        this.#destroy(c);
        return;
      case 'stall':
        return; // swallowed; sockets stay open until the client gives up
      case 'drip':
        c.pending.push(chunk);
        if (!c.dripping) this.#drip(c);
        return;
      case 'garbage':
        if (!c.garbageSent) {
          c.garbageSent = true;
          this.#send(c, Buffer.from(f.garbage ?? DEFAULT_GARBAGE, 'latin1'));
          if (f.then === 'close') {
            this.#endSoon(c);
            return;
          }
        }
        if (f.then !== 'close') this.#send(c, chunk);
        return;
      case 'cut-literal': {
        if (c.cutDone) return; // after the cut: swallowed (stall) or closed
        c.seen += chunk.toString('latin1');
        const m = /\{(\d+)\+?\}\r\n/.exec(c.seen);
        if (!m) {
          // No literal yet: pass everything but a possible literal header still arriving.
          const open = c.seen.lastIndexOf('{');
          const keepFrom = open >= 0 && /^\{\d*\+?\}?\r?$/.test(c.seen.slice(open)) ? open : c.seen.length;
          this.#send(c, Buffer.from(c.seen.slice(0, keepFrom), 'latin1'));
          c.seen = c.seen.slice(keepFrom);
          return;
        }
        const n = Number(m[1]);
        const keep = Math.max(0, Math.min(n - 1, Math.floor(n * (f.keep ?? 0.5))));
        const end = Math.min(c.seen.length, m.index + m[0].length + keep);
        c.cutDone = true;
        this.#send(c, Buffer.from(c.seen.slice(0, end), 'latin1'));
        c.seen = '';
        if (f.then === 'close') this.#endSoon(c);
        return;
      }
      default:
        this.#send(c, chunk);
    }
  }

  #drip(c) {
    if (c.closed || c.phase !== 'fault') { c.dripping = false; return; }
    while (c.pending.length && c.pending[0].length === 0) c.pending.shift();
    if (!c.pending.length) { c.dripping = false; return; }
    c.dripping = true;
    const head = c.pending[0];
    this.#send(c, head.subarray(0, 1));
    c.pending[0] = head.subarray(1);
    const t = setTimeout(() => { c.timers.delete(t); this.#drip(c); }, c.fault.dripMs ?? 5);
    c.timers.add(t);
  }

  #send(c, bytes) {
    if (c.closed || !bytes.length || !c.down) return;
    c.down.write(bytes);
  }

  /// Closes both sides after what was written so far has been flushed (an "orderly" cut).
  #endSoon(c) {
    c.closed = true;
    c.down?.end();
    c.up?.destroy();
  }

  #destroy(c) {
    c.closed = true;
    for (const t of c.timers) clearTimeout(t);
    c.timers.clear();
    c.up?.destroy();
    c.down?.destroy();
    c.raw.destroy();
    this.conns.delete(c);
  }
}

function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

// ---- CLI ------------------------------------------------------------------------------------

async function main(argv) {
  const opt = {};
  for (let i = 0; i < argv.length; i += 2) opt[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!opt['upstream-port'] || !opt['tls-dir']) {
    process.stderr.write('usage: node fault-proxy.mjs --upstream-port P --tls-dir DIR [--listen-port N]\n');
    process.exit(2);
  }
  const proxy = await FaultProxy.start({ upstreamPort: Number(opt['upstream-port']), tlsDir: opt['tls-dir'],
    port: Number(opt['listen-port'] ?? 0) });
  process.stdout.write(`${proxy.port}\n`);
  let buf = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', async (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      try {
        if (line === 'clear') await proxy.clear();
        else if (line === 'stats') process.stdout.write(JSON.stringify({ ...proxy.stats, live: proxy.live }) + '\n');
        else if (line.startsWith('set ')) await proxy.set(JSON.parse(line.slice(4)));
        else if (line) throw new Error('commands: set <json> | clear | stats');
        if (line) process.stderr.write(`fault-proxy: ok ${line}\n`);
      } catch (e) {
        process.stderr.write(`fault-proxy: ${e.message}\n`);
      }
    }
  });
  process.stdin.on('end', () => proxy.close().then(() => process.exit(0)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2));
