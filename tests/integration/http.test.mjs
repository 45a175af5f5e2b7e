// End-to-end over Streamable HTTP (`imap-mcp --transport http`): the official SDK client,
// raw JSON-RPC over HTTP, many concurrent sessions, security checks, limits and shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import {
  baseEnv, dovecotEnv, envelope, startHttpServer, connectHttpSdk, rawRequest, mcpPost,
  initializeMessage, openRawSession, rawSocket,
} from './lib.mjs';

const SECRET = 'Pa55-zebra-quartz-9731!';
const TOKEN_A = 'tok-alpha-4f9c2e81b7d3';
const TOKEN_B = 'tok-bravo-0a6d19c3e572';

const accountsEnv = (extra = {}) => baseEnv({
  MAIL_IMAP_DEFAULT_HOST: 'imap.example.com',
  MAIL_IMAP_DEFAULT_USER: 'alice@example.com',
  MAIL_IMAP_DEFAULT_PASS: SECRET,
  MAIL_IMAP_WORK_HOST: 'mail.work.example',
  MAIL_IMAP_WORK_PORT: '10993',
  MAIL_IMAP_WORK_USER: 'bob',
  MAIL_IMAP_WORK_PASS: SECRET,
  ...extra,
});

const call = (id, name, args = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

/// Runs `body` against a fresh server and always stops it; returns the server's exit status.
async function withServer(env, body, options) {
  const server = await startHttpServer(env, options);
  try {
    await body(server);
  } finally {
    await server.stop('SIGTERM');
  }
  assert.ok(!server.stderr().includes(SECRET), 'password never on stderr');
  return server;
}

test('SDK client over HTTP: initialize, list tools, call imap_list_accounts, end the session', async () => {
  await withServer(accountsEnv(), async (server) => {
    const { client, transport } = await connectHttpSdk(server.url);
    const info = client.getServerVersion();
    assert.equal(info.name, 'imap-mcp');
    assert.match(client.getInstructions(), /MAIL_IMAP_WRITE_ENABLED=true/);
    assert.match(transport.sessionId, /^[0-9a-f]{32}$/);
    const { tools } = await client.listTools();
    assert.ok(tools.map((t) => t.name).includes('imap_list_accounts'));
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object');
      assert.ok(t.outputSchema, `${t.name} has an output schema`);
    }
    // The SDK validates structuredContent against the tool's outputSchema here.
    const result = await client.callTool({ name: 'imap_list_accounts', arguments: {} });
    assert.ok(!result.isError);
    assert.deepEqual(result.structuredContent.data.accounts, [
      { account_id: 'default', host: 'imap.example.com', port: 993, secure: true },
      { account_id: 'work', host: 'mail.work.example', port: 10993, secure: true },
    ]);
    assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
    assert.ok(!JSON.stringify(result).includes(SECRET));
    const bad = await client.callTool({ name: 'imap_list_accounts', arguments: { extra: 1 } });
    assert.equal(bad.isError, true);
    assert.match(envelope(bad).error.message, /^invalid input: unknown argument 'extra'/);
    assert.deepEqual(await client.ping(), {});
    await client.setLoggingLevel('info');

    // DELETE ends the session; the id is then unknown.
    const sessionId = transport.sessionId;
    await transport.terminateSession();
    const after = await mcpPost(server.url, { jsonrpc: '2.0', id: 9, method: 'ping' }, { session: sessionId });
    assert.equal(after.status, 404);
    await client.close();

    // The access log has one structured line per request, without bodies.
    assert.match(server.stderr(), /method=POST path=\/mcp status=200 bytes=\d+ duration_ms=[\d.]+ session=[0-9a-f]{8} rpc=tools\/call tool=imap_list_accounts/);
    assert.match(server.stderr(), /method=DELETE path=\/mcp status=204/);
    assert.ok(!server.stderr().includes('mail.work.example'), 'no response bodies in the log');
  });
});

test('SDK clients over HTTP list the mailboxes of the suite Dovecot through one shared pool', { skip: !process.env.IMAP_MCP_TEST_IMAP_PORT }, async () => {
  const server = await startHttpServer(dovecotEnv({ MAIL_IMAP_DEFAULT_MAX_CONNECTIONS: '3' }));
  try {
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectHttpSdk(server.url)));
    const results = await Promise.all(clients.map(({ client }) =>
      client.callTool({ name: 'imap_list_mailboxes', arguments: {} })));
    for (const result of results) {
      assert.ok(!result.isError, JSON.stringify(result));
      const names = result.structuredContent.data.mailboxes.map((m) => m.name);
      assert.ok(names.includes('INBOX'), names.join(','));
    }
    // All sessions share the account's pool: at most MAX_CONNECTIONS logins for 20 sessions.
    const metrics = (await rawRequest(`${server.base}/metrics`, { method: 'GET' })).body;
    const open = Number(metrics.match(/\nimap_mcp_imap_connections\{account="default"\} (\d+)\n/)[1]);
    assert.ok(open >= 1 && open <= 3, `${open} IMAP connections`);
    assert.match(metrics, /\nimap_mcp_tool_calls_total\{tool="imap_list_mailboxes",status="ok"\} 20\n/);
    await Promise.all(clients.map(({ client }) => client.close()));
  } finally {
    const { code } = await server.stop('SIGTERM');
    assert.equal(code, 0);
  }
  assert.ok(!server.stderr().includes('demo-password'), 'password never on stderr');
});

test('Streamable HTTP rules: session ids, 202, 400, 404, 405, versions, batches, SSE-only clients', async () => {
  await withServer(accountsEnv(), async (server) => {
    const url = server.url;
    // No session: only initialize may come.
    const noSession = await mcpPost(url, { jsonrpc: '2.0', id: 1, method: 'ping' });
    assert.equal(noSession.status, 400);
    assert.match(noSession.json().error.message, /Mcp-Session-Id/);
    const unknown = await mcpPost(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { session: '0123456789abcdef0123456789abcdef' });
    assert.equal(unknown.status, 404);

    const init = await mcpPost(url, initializeMessage('init-1'));
    assert.equal(init.status, 200);
    assert.match(init.headers['content-type'], /^application\/json/);
    const session = init.headers['mcp-session-id'];
    assert.match(session, /^[0-9a-f]{32}$/);
    assert.equal(init.json().id, 'init-1');
    assert.equal(init.json().result.protocolVersion, '2025-11-25');

    // Notifications and client responses: 202 without a body.
    const note = await mcpPost(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { session });
    assert.equal(note.status, 202);
    assert.equal(note.body, '');
    const clientResponse = await mcpPost(url, { jsonrpc: '2.0', id: 77, result: {} }, { session });
    assert.equal(clientResponse.status, 202);

    // Requests: JSON answers carrying the request's own id.
    const listed = await mcpPost(url, call('c-1', 'imap_list_accounts'), { session, headers: { 'MCP-Protocol-Version': '2025-11-25' } });
    assert.equal(listed.status, 200);
    assert.equal(listed.json().id, 'c-1');
    assert.equal(listed.json().result.structuredContent.data.accounts.length, 2);
    // node:http without an agent asks to close: the answer agrees.
    assert.equal(listed.headers.connection, 'close');

    // A client that accepts only SSE gets the answer as one event on a stream.
    const sse = await mcpPost(url, { jsonrpc: '2.0', id: 'sse-1', method: 'ping' }, { session, headers: { Accept: 'text/event-stream' } });
    assert.equal(sse.status, 200);
    assert.match(sse.headers['content-type'], /^text\/event-stream/);
    assert.equal(sse.headers['transfer-encoding'], 'chunked');
    const events = sse.body.split('\n\n').filter((e) => e.trim());
    assert.equal(events.length, 1);
    assert.match(events[0], /^event: message\ndata: /);
    assert.deepEqual(JSON.parse(events[0].split('\ndata: ')[1]), { id: 'sse-1', jsonrpc: '2.0', result: {} });

    const badVersion = await mcpPost(url, { jsonrpc: '2.0', id: 2, method: 'ping' }, { session, headers: { 'MCP-Protocol-Version': '1999-01-01' } });
    assert.equal(badVersion.status, 400);
    const garbage = await mcpPost(url, 'this is not json', { session });
    assert.equal(garbage.status, 400);
    assert.equal(garbage.json().error.code, -32700);
    const batch = await mcpPost(url, [{ jsonrpc: '2.0', id: 3, method: 'ping' }], { session });
    assert.equal(batch.status, 400);
    assert.equal(batch.json().error.code, -32600);
    const notAcceptable = await mcpPost(url, { jsonrpc: '2.0', id: 4, method: 'ping' }, { session, headers: { Accept: 'text/html' } });
    assert.equal(notAcceptable.status, 406);

    const get = await rawRequest(url, { method: 'GET', headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': session } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST, DELETE');
    assert.equal((await rawRequest(`${server.base}/other`, { method: 'GET' })).status, 404);

    // A 2025-03-26 session may batch.
    const old = await mcpPost(url, initializeMessage(1, '2025-03-26'));
    const oldSession = old.headers['mcp-session-id'];
    const oldBatch = await mcpPost(url, [{ jsonrpc: '2.0', id: 'a', method: 'ping' }, call('b', 'imap_list_accounts')], { session: oldSession });
    assert.equal(oldBatch.status, 200);
    const answers = oldBatch.json();
    assert.deepEqual(answers.map((a) => a.id).sort(), ['a', 'b']);

    // DELETE: 204, then the session is gone; a second DELETE is 404.
    assert.equal((await rawRequest(url, { method: 'DELETE', headers: { 'Mcp-Session-Id': session } })).status, 204);
    assert.equal((await mcpPost(url, { jsonrpc: '2.0', id: 5, method: 'ping' }, { session })).status, 404);
    assert.equal((await rawRequest(url, { method: 'DELETE', headers: { 'Mcp-Session-Id': session } })).status, 404);
  });
});

test('/healthz and /metrics', async () => {
  await withServer(accountsEnv(), async (server) => {
    const health = await rawRequest(`${server.base}/healthz`, { method: 'GET' });
    assert.equal(health.status, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const session = await openRawSession(server.url);
    for (let i = 0; i < 3; i++) await mcpPost(server.url, call(i, 'imap_list_accounts'), { session });
    await mcpPost(server.url, call(9, 'no_such_tool'), { session });
    const metrics = await rawRequest(`${server.base}/metrics`, { method: 'GET' });
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    const text = metrics.body;
    const value = (series) => {
      const line = text.split('\n').find((l) => l.startsWith(series + ' '));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    assert.equal(value('imap_mcp_sessions'), 1);
    assert.equal(value('imap_mcp_sessions_created_total'), 1);
    assert.equal(value('imap_mcp_calls_in_flight'), 0);
    assert.equal(value('imap_mcp_tool_calls_total{tool="imap_list_accounts",status="ok"}'), 3);
    assert.equal(value('imap_mcp_tool_calls_total{tool="_unknown",status="rpc_error"}'), 1);
    assert.equal(value('imap_mcp_tool_call_duration_seconds_count{tool="imap_list_accounts"}'), 3);
    assert.equal(value('imap_mcp_tool_call_duration_seconds_bucket{tool="imap_list_accounts",le="+Inf"}'), 3);
    assert.ok(value('imap_mcp_http_requests_total{code="200"}') >= 5);
    assert.equal(value('imap_mcp_http_requests_total{code="202"}'), 1);
    for (const account of ['default', 'work']) {
      assert.equal(value(`imap_mcp_imap_stats_available{account="${account}"}`), 1);
      assert.equal(value(`imap_mcp_imap_connections{account="${account}"}`), 0);
      assert.equal(value(`imap_mcp_imap_queued{account="${account}"}`), 0);
      assert.equal(value(`imap_mcp_imap_restarts_total{account="${account}"}`), 0);
    }
  });
});

test('100 concurrent sessions each get exactly their own answers', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  await withServer(accountsEnv(), async (server) => {
    const sessions = 100;
    const callsPerSession = 5;
    const results = await Promise.all(Array.from({ length: sessions }, async (_, s) => {
      const session = await openRawSession(server.url, { agent });
      const answers = await Promise.all(Array.from({ length: callsPerSession }, (_, k) => {
        const id = `s${s}-c${k}`;
        const msg = k % 2 === 0 ? call(id, 'imap_list_accounts') : { jsonrpc: '2.0', id, method: 'ping' };
        return mcpPost(server.url, msg, { session, agent }).then((r) => ({ id, r }));
      }));
      for (const { id, r } of answers) {
        assert.equal(r.status, 200, r.body);
        assert.equal(r.headers.connection, 'keep-alive');
        const msg = r.json();
        assert.equal(msg.id, id, `session ${s} got an answer for ${msg.id}`);
        if (id.endsWith('c0') || id.endsWith('c2') || id.endsWith('c4')) {
          assert.equal(msg.result.structuredContent.data.accounts.length, 2);
        } else {
          assert.deepEqual(msg.result, {});
        }
      }
      return session;
    }));
    assert.equal(new Set(results).size, sessions, 'every session has its own id');
    const metrics = await rawRequest(`${server.base}/metrics`, { method: 'GET' });
    assert.match(metrics.body, new RegExp(`\\nimap_mcp_sessions ${sessions}\\n`));
    assert.match(metrics.body, /\nimap_mcp_tool_calls_total\{tool="imap_list_accounts",status="ok"\} 300\n/);
    // Sessions are independent: ending half of them leaves the others working.
    await Promise.all(results.slice(0, 50).map((session) =>
      rawRequest(server.url, { method: 'DELETE', headers: { 'Mcp-Session-Id': session }, agent })));
    const still = await mcpPost(server.url, { jsonrpc: '2.0', id: 'x', method: 'ping' }, { session: results[99], agent });
    assert.equal(still.status, 200);
    assert.equal((await mcpPost(server.url, { jsonrpc: '2.0', id: 'y', method: 'ping' }, { session: results[0], agent })).status, 404);
  });
  agent.destroy();
});

test('bearer tokens: 401 without or with a wrong token; a session is bound to its token', async () => {
  const env = accountsEnv({ MAIL_IMAP_HTTP_TOKENS: `${TOKEN_A},${TOKEN_B}` });
  const server = await withServer(env, async (server) => {
    const url = server.url;
    const none = await mcpPost(url, initializeMessage());
    assert.equal(none.status, 401);
    assert.match(none.headers['www-authenticate'], /^Bearer/);
    const wrong = await mcpPost(url, initializeMessage(), { token: 'tok-wrong' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers['www-authenticate'], /^Bearer .*error="invalid_token"/);
    assert.equal((await rawRequest(`${server.base}/metrics`, { method: 'GET' })).status, 401);
    assert.equal((await rawRequest(`${server.base}/metrics`, { method: 'GET', headers: { Authorization: `Bearer ${TOKEN_B}` } })).status, 200);
    // Probes need no token.
    assert.equal((await rawRequest(`${server.base}/healthz`, { method: 'GET' })).status, 200);

    const session = await openRawSession(url, { token: TOKEN_A });
    const own = await mcpPost(url, call(1, 'imap_list_accounts'), { session, token: TOKEN_A });
    assert.equal(own.status, 200);
    const stolen = await mcpPost(url, call(2, 'imap_list_accounts'), { session, token: TOKEN_B });
    assert.equal(stolen.status, 404);
    const stolenDelete = await rawRequest(url, { method: 'DELETE', headers: { 'Mcp-Session-Id': session, Authorization: `Bearer ${TOKEN_B}` } });
    assert.equal(stolenDelete.status, 404);
    assert.equal((await mcpPost(url, call(3, 'imap_list_accounts'), { session, token: TOKEN_A })).status, 200);

    // The SDK client with a token works as without auth.
    const { client } = await connectHttpSdk(url, { token: TOKEN_B });
    const result = await client.callTool({ name: 'imap_list_accounts', arguments: {} });
    assert.ok(!result.isError);
    await client.close();
  });
  for (const t of [TOKEN_A, TOKEN_B]) assert.ok(!server.stderr().includes(t), 'tokens never logged');
});

test('binding beyond loopback without tokens is refused at start-up', () => {
  return new Promise((resolve) => {
    const child = spawn(process.env.IMAP_MCP_BINARY, ['--transport', 'http', '--listen', '0.0.0.0:1'], { env: accountsEnv() });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => {
      assert.notEqual(code, 0);
      assert.match(stderr, /MAIL_IMAP_HTTP_TOKENS/);
      resolve();
    });
  });
});

test('DNS rebinding protection: evil Host or Origin gets 403, local ones pass', async () => {
  await withServer(accountsEnv({ MAIL_IMAP_HTTP_ALLOWED_ORIGINS: 'https://app.example.com' }), async (server) => {
    const local = `127.0.0.1:${server.port}`;
    const cases = [
      [{ Host: 'evil.example.com' }, 403],
      [{ Host: `evil.example.com:${server.port}` }, 403],
      [{ Host: local, Origin: 'http://evil.example.com' }, 403],
      [{ Host: local, Origin: 'null' }, 403],
      [{ Host: local, Origin: `http://localhost:${server.port}` }, 200],
      [{ Host: `localhost:${server.port}`, Origin: 'https://app.example.com' }, 200],
      [{ Host: local }, 200],
    ];
    for (const [headers, status] of cases) {
      const r = await mcpPost(server.url, initializeMessage(), { headers });
      assert.equal(r.status, status, JSON.stringify(headers));
      if (status === 403) assert.equal(r.headers['mcp-session-id'], undefined);
    }
    const health = await rawRequest(`${server.base}/healthz`, { method: 'GET', headers: { Host: 'evil.example.com' } });
    assert.equal(health.status, 403);
    // An allowed browser origin gets CORS headers exposing the session id.
    const cors = await mcpPost(server.url, initializeMessage(), { headers: { Origin: 'https://app.example.com' } });
    assert.equal(cors.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.match(cors.headers['access-control-expose-headers'], /Mcp-Session-Id/);
    const preflight = await rawRequest(server.url, { method: 'OPTIONS', headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers['access-control-allow-headers'], /Mcp-Session-Id/);
  });
});

test('limits: 413 for an oversized body, 431 for huge headers, 400 for malformed HTTP while others are served', async () => {
  await withServer(accountsEnv(), async (server) => {
    const { client } = await connectHttpSdk(server.url);
    const head = (extra) => `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\n${extra}\r\n`;

    // Declared too large: refused before the body is read.
    const declared = await rawSocket(server.port, [head(`Content-Length: ${5 * 1024 * 1024}\r\n`)]);
    assert.match(declared.data, /^HTTP\/1\.1 413 /);
    assert.ok(declared.closed);
    // Chunked and too large: refused once the limit is crossed.
    const chunk = 'x'.repeat(1024 * 1024);
    const chunks = [head('Transfer-Encoding: chunked\r\n')];
    for (let i = 0; i < 5; i++) chunks.push(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const streamed = await rawSocket(server.port, chunks);
    assert.match(streamed.data, /^HTTP\/1\.1 413 /);
    // The SDK (fetch) sees the same.
    const big = await mcpPost(server.url, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { pad: 'x'.repeat(5 * 1024 * 1024) } }).catch((e) => ({ error: e }));
    if (!big.error) assert.equal(big.status, 413);

    const huge = await rawSocket(server.port, [`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`]);
    assert.match(huge.data, /^HTTP\/1\.1 431 /);
    assert.ok(huge.closed);

    // Malformed HTTP on one connection while an SDK session keeps working.
    const [garbage, answers] = await Promise.all([
      rawSocket(server.port, ['GARBAGE \x01\x02 NOT HTTP\r\n\r\n']),
      Promise.all(Array.from({ length: 10 }, () => client.callTool({ name: 'imap_list_accounts', arguments: {} }))),
    ]);
    assert.match(garbage.data, /^HTTP\/1\.1 400 /);
    assert.match(garbage.data, /Connection: close/);
    assert.ok(garbage.closed);
    for (const a of answers) assert.ok(!a.isError);
    const noHost = await rawSocket(server.port, ['GET /healthz HTTP/1.1\r\n\r\n']);
    assert.match(noHost.data, /^HTTP\/1\.1 400 /);
    assert.ok(noHost.closed && noHost.ms < 5000, 'closed at once');
    const version = await rawSocket(server.port, ['GET /healthz HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n']);
    assert.match(version.data, /^HTTP\/1\.1 505 /);
    assert.ok(!(await client.ping()).error);
    await client.close();

    // Pipelined requests on one connection are answered in order.
    const pipelined = await rawSocket(server.port, [
      `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`]);
    const statuses = [...pipelined.data.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ['200', '404']);
  });
});

test('slow clients get 408, idle keep-alive connections are closed, idle sessions expire', async () => {
  await withServer(accountsEnv({ MAIL_IMAP_HTTP_SESSION_IDLE_SECONDS: '10' }), async (server) => {
    const idleSession = await openRawSession(server.url);
    const [slow, idle, served] = await Promise.all([
      // Headers trickle in and never complete.
      rawSocket(server.port, ['POST /mcp HTTP/1.1\r\n', 'Host: 127.0.0.1\r\n', 'X-A: 1\r\n'], { pauseMs: 1000, timeoutMs: 25000 }),
      // A keep-alive connection that goes quiet after one answer.
      rawSocket(server.port, ['GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'], { timeoutMs: 25000 }),
      // Meanwhile everybody else is served.
      (async () => {
        const session = await openRawSession(server.url);
        return mcpPost(server.url, call(1, 'imap_list_accounts'), { session });
      })(),
    ]);
    assert.equal(served.status, 200);
    assert.match(slow.data, /^HTTP\/1\.1 408 /);
    assert.ok(slow.closed);
    assert.ok(slow.ms >= 9000 && slow.ms < 20000, `408 after ${slow.ms} ms`);
    assert.match(idle.data, /^HTTP\/1\.1 200 /);
    assert.match(idle.data, /Keep-Alive: timeout=15/);
    assert.ok(idle.closed, 'idle connection closed by the server');
    assert.ok(idle.ms >= 14000 && idle.ms < 22000, `closed after ${idle.ms} ms`);
    // The session untouched for longer than MAIL_IMAP_HTTP_SESSION_IDLE_SECONDS is gone.
    const expired = await mcpPost(server.url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { session: idleSession });
    assert.equal(expired.status, 404);
    const metrics = await rawRequest(`${server.base}/metrics`, { method: 'GET' });
    assert.match(metrics.body, /\nimap_mcp_sessions_expired_total [12]\n/);
  });
});

test('429: per-token rate limit and per-session concurrency; 503 when the session cap is reached', async () => {
  const silent = await silentServer();
  const env = accountsEnv({
    MAIL_IMAP_HTTP_TOKENS: TOKEN_A,
    MAIL_IMAP_HTTP_RATE_LIMIT: '20',
    MAIL_IMAP_HTTP_SESSION_CONCURRENCY: '1',
    MAIL_IMAP_HTTP_MAX_SESSIONS: '2',
    MAIL_IMAP_SLOW_HOST: '127.0.0.1',
    MAIL_IMAP_SLOW_PORT: String(silent.port),
    MAIL_IMAP_SLOW_USER: 'u',
    MAIL_IMAP_SLOW_PASS: SECRET,
    MAIL_IMAP_GREETING_TIMEOUT_MS: '2000',
  });
  try {
    await withServer(env, async (server) => {
      const session = await openRawSession(server.url, { token: TOKEN_A });
      // One slow call holds the session's only slot.
      const slowCall = mcpPost(server.url, call('slow', 'imap_verify_account', { account_id: 'slow' }), { session, token: TOKEN_A });
      await new Promise((r) => setTimeout(r, 300));
      const busy = await mcpPost(server.url, { jsonrpc: '2.0', id: 'p', method: 'ping' }, { session, token: TOKEN_A });
      assert.equal(busy.status, 429);
      assert.equal(busy.headers['retry-after'], '1');
      const slow = await slowCall;
      assert.equal(slow.status, 200);
      assert.equal(slow.json().id, 'slow');
      assert.equal((await mcpPost(server.url, { jsonrpc: '2.0', id: 'q', method: 'ping' }, { session, token: TOKEN_A })).status, 200);

      // Session cap: a second session fits, a third is refused with a clear body.
      await openRawSession(server.url, { token: TOKEN_A });
      const full = await mcpPost(server.url, initializeMessage(), { token: TOKEN_A });
      assert.equal(full.status, 503);
      assert.match(full.json().error.message, /maximum of 2 sessions/);

      // Rate limit: a burst beyond 20 requests per second is refused with Retry-After.
      const burst = await Promise.all(Array.from({ length: 60 }, () =>
        rawRequest(`${server.base}/metrics`, { method: 'GET', headers: { Authorization: `Bearer ${TOKEN_A}` } })));
      const limited = burst.filter((r) => r.status === 429);
      // 20 fit the burst, a few more the refill while the burst arrives; the rest must wait.
      assert.ok(limited.length >= 10, `${limited.length} of 60 limited`);
      assert.ok(burst.filter((r) => r.status === 200).length >= 1);
      assert.ok(Number(limited[0].headers['retry-after']) >= 1);
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal((await rawRequest(`${server.base}/metrics`, { method: 'GET', headers: { Authorization: `Bearer ${TOKEN_A}` } })).status, 200);
    });
  } finally {
    silent.close();
  }
});

test('notifications/cancelled ends the POST waiting for that call', async () => {
  const silent = await silentServer();
  const env = accountsEnv({
    MAIL_IMAP_SLOW_HOST: '127.0.0.1',
    MAIL_IMAP_SLOW_PORT: String(silent.port),
    MAIL_IMAP_SLOW_USER: 'u',
    MAIL_IMAP_SLOW_PASS: SECRET,
    MAIL_IMAP_GREETING_TIMEOUT_MS: '8000',
  });
  try {
    await withServer(env, async (server) => {
      const session = await openRawSession(server.url);
      const started = Date.now();
      const waiting = mcpPost(server.url, call('long', 'imap_verify_account', { account_id: 'slow' }), { session });
      await new Promise((r) => setTimeout(r, 300));
      const cancel = await mcpPost(server.url, { jsonrpc: '2.0', method: 'notifications/cancelled',
        params: { requestId: 'long', reason: 'user gave up' } }, { session });
      assert.equal(cancel.status, 202);
      const ended = await waiting;
      // No response for a cancelled request: the POST ends with 202 and no body, long before
      // the IMAP server would have timed out.
      assert.equal(ended.status, 202);
      assert.equal(ended.body, '');
      assert.ok(Date.now() - started < 4000, `ended after ${Date.now() - started} ms`);
      // The session stays usable.
      const ping = await mcpPost(server.url, { jsonrpc: '2.0', id: 'after', method: 'ping' }, { session });
      assert.equal(ping.json().id, 'after');
    });
  } finally {
    silent.close();
  }
});

test('a listen address already in use stops start-up with exit code 1', async () => {
  const first = await startHttpServer(accountsEnv());
  try {
    const second = spawn(process.env.IMAP_MCP_BINARY, ['--transport', 'http', '--listen', `127.0.0.1:${first.port}`],
      { env: accountsEnv() });
    let stderr = '';
    second.stderr.on('data', (d) => { stderr += d; });
    const code = await new Promise((resolve) => second.on('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /cannot listen on 127\.0\.0\.1:\d+/);
    assert.equal((await rawRequest(`${first.base}/healthz`, { method: 'GET' })).status, 200);
  } finally {
    await first.stop();
  }
});

test('SIGTERM during load: in-flight calls are answered, then a clean exit 0', async () => {
  const silent = await silentServer();
  const env = accountsEnv({
    MAIL_IMAP_SLOW_HOST: '127.0.0.1',
    MAIL_IMAP_SLOW_PORT: String(silent.port),
    MAIL_IMAP_SLOW_USER: 'u',
    MAIL_IMAP_SLOW_PASS: SECRET,
    MAIL_IMAP_GREETING_TIMEOUT_MS: '1500',
  });
  try {
    const server = await startHttpServer(env);
    const sessions = await Promise.all(Array.from({ length: 10 }, () => openRawSession(server.url)));
    const calls = [];
    sessions.forEach((session, s) => {
      calls.push(mcpPost(server.url, call(`v${s}`, 'imap_verify_account', { account_id: 'slow' }), { session }));
      calls.push(mcpPost(server.url, call(`l${s}`, 'imap_list_accounts'), { session }));
    });
    await new Promise((r) => setTimeout(r, 300));
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    const answers = await Promise.all(calls.map((p) => p.catch((e) => ({ error: e }))));
    for (const a of answers) {
      assert.ok(!a.error, `call answered: ${a.error}`);
      assert.equal(a.status, 200, a.body);
      assert.ok(a.json().result, a.body);
    }
    const { code, signal } = await server.exited;
    assert.equal(signal, null);
    assert.equal(code, 0);
    assert.ok(Date.now() - signalled < 7000, `stopped ${Date.now() - signalled} ms after SIGTERM`);
    // The signal really came while calls were running.
    assert.match(server.stderr(), /draining [1-9]\d* request\(s\) in flight/);
    // New connections are refused once draining began.
    await assert.rejects(rawRequest(`${server.base}/healthz`, { method: 'GET' }));
    assert.ok(!server.stderr().includes(SECRET));
  } finally {
    silent.close();
  }
});

/// A TCP server that accepts connections and never says anything (an IMAP server that hangs).
function silentServer() {
  return new Promise((resolve) => {
    const sockets = new Set();
    const srv = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    });
    srv.listen(0, '127.0.0.1', () => resolve({
      port: srv.address().port,
      close() { for (const s of sockets) s.destroy(); srv.close(); },
    }));
  });
}
