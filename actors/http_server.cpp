#include "actors/http_server.hpp"

#include <map>
#include <optional>
#include <unordered_map>

#include <caf/io/all.hpp>

#include "actors/http_sink.hpp"
#include "actors/mcp_session.hpp"
#include "protocol/http/access_log.hpp"
#include "protocol/http/responder.hpp"
#include "protocol/http/response.hpp"
#include "protocol/tools/registry.hpp"
#include "protocol/util/log.hpp"

namespace imap_mcp {

namespace {

using clock_type = std::chrono::steady_clock;
using session_router = http::router<mcp_session_actor>;
using conn_handle = caf::io::connection_handle;

/// One client connection: the parser of the request being read and the bytes after it.
struct connection {
  explicit connection(http::parser_limits limits) : parser(limits) {}
  http::request_parser parser;
  /// Received bytes not parsed yet (a pipelined request waits here while one is answered).
  std::string backlog;
  std::string peer;
  clock_type::time_point last_activity;
  clock_type::time_point request_started;
  /// The exchange answering the current request (0: none).
  std::uint64_t exchange = 0;
  int served = 0;
  /// Bytes handed to the socket and bytes it reported sent: the difference is what a
  /// client that does not read leaves queued in this process.
  std::uint64_t written = 0;
  std::uint64_t transferred = 0;
  /// Last time queued bytes made progress (a reader that stalls for good is cut off).
  clock_type::time_point last_transfer;

  /// Set after an error answer to a request still arriving: until then, and for at most
  /// linger_left more bytes, what the client sends is dropped; then the connection closes.
  std::optional<clock_type::time_point> linger_until;
  std::uint64_t linger_left = 0;

  std::uint64_t unsent() const { return written - transferred; }
};

/// A request whose answer comes later: an MCP POST (answered by its session through its
/// sink) or a /metrics scrape (answered when the accounts reported).
struct exchange {
  conn_handle hdl;
  bool connected = true;
  bool keep_alive = true;
  std::optional<http::post_responder> responder; ///< empty for /metrics
  std::string session_id;
  std::optional<std::size_t> token;
  bool counts_in_flight = false; ///< holds requests: counted in the session's concurrency
  std::size_t calls = 0;         ///< tools/call requests in it
  std::vector<http::inbound_request> requests;
  std::string method;
  std::string path;
  clock_type::time_point started;
  clock_type::time_point deadline;
};

struct http_server_state {
  static inline const char* name = "http-server";
  services_ptr svc;
  std::shared_ptr<const http_server_config> cfg;
  std::unique_ptr<session_router> router;
  caf::io::accept_handle acceptor;
  std::uint16_t port = 0;
  std::unordered_map<conn_handle, connection> connections;
  std::unordered_map<std::uint64_t, exchange> exchanges;
  /// (session id, serialized request id) -> exchange, to end a POST whose call was cancelled.
  std::map<std::pair<std::string, std::string>, std::uint64_t> awaiting;
  std::uint64_t next_exchange = 1;
  std::size_t calls_in_flight = 0;
  output_sink_actor null_sink;
  /// Reused output buffer: responses are assembled here, then handed to the socket.
  std::string out;
  bool draining = false;
  /// Shutdown finished: the broker is quitting.
  bool stopped = false;
  clock_type::time_point drain_deadline;
  caf::typed_response_promise<bool> shutdown;
};

using broker_ptr = caf::io::stateful_broker<http_server_state>*;

/// Output buffers larger than this are released after use (one big answer must not pin
/// memory for the life of the server).
constexpr std::size_t kept_output_bytes = 256 * 1024;

std::string tool_label(const std::string& tool) {
  return tools::builtin_registry().find(tool) != nullptr ? tool : std::string("_unknown");
}

void send_out(broker_ptr self, conn_handle hdl) {
  auto& out = self->state.out;
  if (!out.empty()) {
    auto it = self->state.connections.find(hdl);
    if (it != self->state.connections.end()) {
      if (it->second.unsent() == 0)
        it->second.last_transfer = clock_type::now();
      it->second.written += out.size();
    }
    self->write(hdl, out.size(), out.data());
    self->flush(hdl);
  }
  out.clear();
  if (out.capacity() > kept_output_bytes)
    std::string().swap(out);
}

void close_connection(broker_ptr self, conn_handle hdl) {
  auto& st = self->state;
  auto it = st.connections.find(hdl);
  if (it == st.connections.end())
    return;
  if (it->second.exchange != 0) {
    auto ex = st.exchanges.find(it->second.exchange);
    if (ex != st.exchanges.end())
      ex->second.connected = false;
  }
  st.connections.erase(it);
  self->close(hdl); // graceful: queued bytes are still sent
}

/// Whether the connection may stay open after the answer being written now.
http::connection_mode mode_for(broker_ptr self, const connection& c, bool client_keeps) {
  const auto& cfg = *self->state.cfg;
  const bool keep =
      client_keeps && !self->state.draining && c.served + 1 < cfg.max_requests_per_connection;
  return {keep, static_cast<int>(
                    std::chrono::duration_cast<std::chrono::seconds>(cfg.keep_alive_idle).count())};
}

void access_log(broker_ptr self, const connection* c, std::string_view method,
                std::string_view path, int status, std::size_t bytes,
                clock_type::time_point started, std::string_view session,
                const std::vector<http::inbound_request>& requests) {
  self->state.router->metrics().count_response(status);
  if (!log::enabled(log::level::info))
    return;
  http::access_entry e;
  e.method = method;
  e.path = path;
  e.status = status;
  e.bytes = bytes;
  e.duration = clock_type::now() - started;
  e.session = session;
  if (!requests.empty()) {
    e.rpc_method = requests.front().method;
    e.tool = requests.front().tool;
  }
  if (c != nullptr)
    e.peer = c->peer;
  LOG_INFO("http", http::format_access_log(e));
}

void pump(broker_ptr self, conn_handle hdl);
void finish_shutdown(broker_ptr self);

/// The current request of `c` is answered: count it, then close or get ready for the next.
/// Returns false when the connection was closed.
bool request_done(broker_ptr self, conn_handle hdl, connection& c, bool keep_alive) {
  ++c.served;
  c.exchange = 0;
  c.last_activity = clock_type::now();
  if (!keep_alive) {
    close_connection(self, hdl);
    return false;
  }
  c.parser.reset();
  return true;
}

/// Writes an answer the server gives by itself for the current request.
bool answer_now(broker_ptr self, conn_handle hdl, connection& c, const http::direct_answer& a,
                const std::string& session, const std::vector<http::inbound_request>& requests) {
  auto& req = c.parser.current();
  auto mode = mode_for(self, c, req.keep_alive && !a.close);
  std::vector<http::header_field> headers;
  headers.reserve(a.headers.size());
  for (const auto& [n, v] : a.headers)
    headers.push_back({n, v});
  http::write_response(self->state.out, a.status, headers, a.body, mode);
  send_out(self, hdl);
  access_log(self, &c, req.method, req.path, a.status, a.body.size(), c.request_started, session,
             requests);
  return request_done(self, hdl, c, mode.keep_alive);
}

/// An exchange got its whole answer (or was ended): account for it and move on.
void complete_exchange(broker_ptr self, std::uint64_t id, int status, std::size_t bytes) {
  auto& st = self->state;
  auto it = st.exchanges.find(id);
  if (it == st.exchanges.end())
    return;
  auto ex = std::move(it->second);
  st.exchanges.erase(it);
  const auto now = clock_type::now();
  st.calls_in_flight -= std::min(st.calls_in_flight, ex.calls);
  if (ex.counts_in_flight)
    st.router->post_done(ex.session_id, ex.token, now);
  for (const auto& r : ex.requests) {
    auto key = std::make_pair(ex.session_id, r.id);
    auto a = st.awaiting.find(key);
    if (a != st.awaiting.end() && a->second == id)
      st.awaiting.erase(a);
  }
  connection* c = nullptr;
  if (ex.connected) {
    auto cit = st.connections.find(ex.hdl);
    if (cit != st.connections.end() && cit->second.exchange == id)
      c = &cit->second;
  }
  access_log(self, c, ex.method, ex.path, status, bytes, ex.started, ex.session_id, ex.requests);
  if (c != nullptr && request_done(self, ex.hdl, *c, ex.keep_alive))
    pump(self, ex.hdl);
  if (st.draining && st.exchanges.empty())
    finish_shutdown(self); // the last answer of a drain went out
}

/// The connection mode for the next bytes of an exchange's answer: decided when the head is
/// written (from the client's wish and the server's state), kept for the rest of a stream.
http::connection_mode exchange_mode(broker_ptr self, exchange& ex) {
  const int idle = static_cast<int>(
      std::chrono::duration_cast<std::chrono::seconds>(self->state.cfg->keep_alive_idle).count());
  if (ex.responder && ex.responder->status() == 0) {
    auto cit = self->state.connections.find(ex.hdl);
    if (ex.connected && cit != self->state.connections.end())
      ex.keep_alive = mode_for(self, cit->second, ex.keep_alive).keep_alive;
    else
      ex.keep_alive = false;
  }
  return {ex.keep_alive, idle};
}

/// Ends a POST without the session's answer: `error` (a JSON-RPC error message) or nothing.
void end_post(broker_ptr self, std::uint64_t id, std::string_view error, std::string_view outcome) {
  auto& st = self->state;
  auto it = st.exchanges.find(id);
  if (it == st.exchanges.end())
    return;
  auto& ex = it->second;
  if (!ex.responder) {
    complete_exchange(self, id, 503, 0);
    return;
  }
  const auto latency = clock_type::now() - ex.started;
  for (const auto& r : ex.requests)
    if (r.method == "tools/call")
      st.router->metrics().count_call(tool_label(r.tool), outcome, latency);
  ex.responder->finish(error, exchange_mode(self, ex), st.out);
  if (ex.connected)
    send_out(self, ex.hdl);
  else
    st.out.clear();
  complete_exchange(self, id, ex.responder->status(), ex.responder->body_bytes());
}

/// Starts an exchange for an MCP POST and hands its body to the session.
void start_post(broker_ptr self, conn_handle hdl, connection& c,
                http::routing<mcp_session_actor>& r, const mcp_session_actor& session) {
  auto& st = self->state;
  auto& req = c.parser.current();
  const std::uint64_t id = st.next_exchange++;
  exchange ex;
  ex.hdl = hdl;
  ex.responder.emplace(std::move(r.headers), r.accept.sse && !r.accept.json);
  ex.session_id = r.session_id;
  ex.token = r.token;
  ex.counts_in_flight = true;
  ex.method = req.method;
  ex.path = req.path;
  ex.keep_alive = req.keep_alive; // the client's wish; settled when the head is written
  ex.started = c.request_started;
  ex.deadline = clock_type::now() + st.cfg->answer_deadline;
  for (const auto& q : r.body.requests)
    if (q.method == "tools/call")
      ++ex.calls;
  if (!r.body.batch)
    for (const auto& q : r.body.requests)
      st.awaiting[{r.session_id, q.id}] = id;
  ex.requests = std::move(r.body.requests);
  st.calls_in_flight += ex.calls;
  c.exchange = id;
  st.exchanges.emplace(id, std::move(ex));
  auto sink = spawn_http_sink(self->system(), caf::actor_cast<http_server_actor>(self), id);
  self->send(session, input_atom::value, std::move(req.body), sink);
}

void start_metrics(broker_ptr self, conn_handle hdl, connection& c,
                   const http::routing<mcp_session_actor>& r) {
  auto& st = self->state;
  auto& req = c.parser.current();
  const std::uint64_t id = st.next_exchange++;
  exchange ex;
  ex.hdl = hdl;
  ex.token = r.token;
  ex.method = req.method;
  ex.path = req.path;
  ex.keep_alive = mode_for(self, c, req.keep_alive).keep_alive;
  ex.started = c.request_started;
  ex.deadline = clock_type::now() + st.cfg->answer_deadline;
  c.exchange = id;
  st.exchanges.emplace(id, std::move(ex));

  struct scrape {
    std::vector<http::account_snapshot> accounts;
    std::size_t remaining = 0;
  };
  auto s = std::make_shared<scrape>();
  auto finish = [self, id, s] {
    auto& st = self->state;
    auto it = st.exchanges.find(id);
    if (it == st.exchanges.end())
      return;
    http::metrics_gauges g{st.router->session_count(), st.connections.size(), st.calls_in_flight,
                           st.draining};
    const std::string body = st.router->metrics().render(g, s->accounts);
    if (it->second.connected) {
      http::header_field h[] = {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}};
      http::write_response(st.out, 200, h, body, {it->second.keep_alive, 0});
      send_out(self, it->second.hdl);
    }
    complete_exchange(self, id, 200, body.size());
  };
  for (const auto& [account_id, account] : st.svc->accounts) {
    http::account_snapshot snap;
    snap.account = account_id;
    s->accounts.push_back(std::move(snap));
  }
  s->remaining = s->accounts.size();
  if (s->remaining == 0) {
    finish();
    return;
  }
  std::size_t i = 0;
  for (const auto& [account_id, account] : st.svc->accounts) {
    self->request(account, st.cfg->stats_timeout, status_atom::value)
        .then(
            [s, i, finish](const account_stats& stats) {
              auto& a = s->accounts[i];
              a.available = true;
              a.connections = stats.connections;
              a.busy = stats.busy;
              a.queued = stats.queued;
              a.restarts = stats.restarts;
              if (--s->remaining == 0)
                finish();
            },
            [s, finish](caf::error&) {
              if (--s->remaining == 0)
                finish();
            });
    ++i;
  }
}

/// Acts on one complete request. Returns false when the connection was closed or is now
/// waiting for an exchange.
bool handle_request(broker_ptr self, conn_handle hdl, connection& c) {
  auto& st = self->state;
  auto& req = c.parser.current();
  const auto now = clock_type::now();
  auto r = st.router->route(req, now, st.draining);
  switch (r.action) {
  case http::route_action::answer:
    return answer_now(self, hdl, c, r.answer, r.session_id, r.body.requests);
  case http::route_action::metrics:
    start_metrics(self, hdl, c, r);
    return false;
  case http::route_action::open_session: {
    auto session = spawn_mcp_session(self->system(), st.svc);
    st.router->add_session(r, session, now);
    LOG_DEBUG("http", "session " << r.session_id.substr(0, http::logged_session_chars)
                                 << " opened (" << st.router->session_count() << " open)");
    start_post(self, hdl, c, r, session);
    return false;
  }
  case http::route_action::forward: {
    if (r.body.kind == http::body_kind::requests) {
      start_post(self, hdl, c, r, *r.handle);
      return false;
    }
    self->send(*r.handle, input_atom::value, std::move(req.body), st.null_sink);
    for (const auto& id : r.body.cancelled) {
      auto a = st.awaiting.find({r.session_id, id});
      if (a != st.awaiting.end())
        end_post(self, a->second, {}, "cancelled");
    }
    http::direct_answer accepted;
    accepted.status = 202;
    accepted.headers = std::move(r.headers);
    return answer_now(self, hdl, c, accepted, r.session_id, r.body.requests);
  }
  case http::route_action::close_session: {
    self->send(*r.handle, close_atom::value);
    LOG_DEBUG("http", "session " << r.session_id.substr(0, http::logged_session_chars)
                                 << " closed by the client");
    http::direct_answer gone;
    gone.status = 204;
    gone.headers = std::move(r.headers);
    return answer_now(self, hdl, c, gone, r.session_id, {});
  }
  }
  return false;
}

/// Parses and answers what the connection has received, one request at a time.
void pump(broker_ptr self, conn_handle hdl) {
  auto& st = self->state;
  while (true) {
    auto it = st.connections.find(hdl);
    if (it == st.connections.end())
      return;
    auto& c = it->second;
    if (c.exchange != 0 || c.backlog.empty())
      return;
    // A client that does not read its answers gets no new ones: the next request waits
    // until the queued bytes went out (see data_transferred_msg).
    if (c.unsent() > st.cfg->max_unsent_bytes)
      return;
    if (!c.parser.started())
      c.request_started = clock_type::now();
    auto res = c.parser.feed(c.backlog);
    if (c.parser.take_continue()) {
      http::write_continue(st.out);
      send_out(self, hdl);
    }
    c.backlog.erase(0, res.consumed);
    if (res.state == http::parse_state::need_more)
      return;
    if (res.state == http::parse_state::error) {
      http::direct_answer a = http::routing_detail::error_answer(
          c.parser.error_status(), "Bad Request: " + std::string(c.parser.error_reason()));
      http::write_response(st.out, a.status,
                           std::vector<http::header_field>{{"Content-Type", "application/json"}},
                           a.body, {false, 0});
      send_out(self, hdl);
      access_log(self, &c, "-", "-", a.status, a.body.size(), c.request_started, {}, {});
      // Closing now, with the rest of the request unread, makes the kernel send a reset that
      // can destroy the answer before the client reads it: drop the rest for a bounded time.
      c.backlog.clear();
      c.linger_until = clock_type::now() + st.cfg->linger;
      c.linger_left = st.cfg->linger_bytes;
      return;
    }
    if (!handle_request(self, hdl, c))
      return;
  }
}

/// Answers the slow request of a connection with 408 and closes it.
void time_out_request(broker_ptr self, conn_handle hdl, connection& c) {
  auto a = http::routing_detail::error_answer(
      408, "Request Timeout: the request did not arrive in time");
  http::write_response(self->state.out, 408,
                       std::vector<http::header_field>{{"Content-Type", "application/json"}},
                       a.body, {false, 0});
  send_out(self, hdl);
  access_log(self, &c, "-", "-", 408, a.body.size(), c.request_started, {}, {});
  close_connection(self, hdl);
}

/// Stops the server once nothing is in flight (or the drain budget is spent).
void finish_shutdown(broker_ptr self) {
  auto& st = self->state;
  if (st.stopped)
    return;
  st.stopped = true;
  for (auto& session : st.router->close_all())
    self->send(session, close_atom::value);
  std::vector<conn_handle> open;
  for (const auto& [hdl, c] : st.connections)
    open.push_back(hdl);
  for (auto hdl : open)
    close_connection(self, hdl);
  LOG_INFO("http", "drained; " << open.size() << " connection(s) closed");
  st.shutdown.deliver(true);
  self->quit();
}

void on_tick(broker_ptr self) {
  auto& st = self->state;
  if (st.stopped)
    return;
  const auto now = clock_type::now();
  const auto& cfg = *st.cfg;
  std::vector<conn_handle> idle, slow, stalled;
  for (auto& [hdl, c] : st.connections) {
    if (c.linger_until) {
      if (now >= *c.linger_until || now - c.last_activity > cfg.linger_quiet || st.draining)
        idle.push_back(hdl);
      continue;
    }
    if (c.unsent() > 0 && now - c.last_transfer > cfg.request_timeout) {
      stalled.push_back(hdl);
      continue;
    }
    if (c.exchange != 0)
      continue;
    if (c.parser.started()) {
      auto limit = c.parser.headers_complete() ? cfg.request_timeout : cfg.header_timeout;
      if (now - c.request_started > limit)
        slow.push_back(hdl);
    } else if (now - c.last_activity > cfg.keep_alive_idle || st.draining) {
      idle.push_back(hdl);
    }
  }
  for (auto hdl : slow)
    time_out_request(self, hdl, st.connections.at(hdl));
  for (auto hdl : idle)
    close_connection(self, hdl);
  for (auto hdl : stalled) {
    LOG_WARN("http", "closing a connection whose client stopped reading its answers");
    close_connection(self, hdl);
  }

  std::vector<std::uint64_t> late;
  for (const auto& [id, ex] : st.exchanges)
    if (now > ex.deadline || (st.draining && now > st.drain_deadline))
      late.push_back(id);
  for (auto id : late) {
    if (st.stopped)
      return;
    auto it = st.exchanges.find(id);
    if (it == st.exchanges.end())
      continue;
    std::string error;
    if (it->second.requests.size() == 1)
      error = http::jsonrpc_error_body(
          -32603,
          st.draining ? "Internal error: the server stopped before the call finished"
                      : "Internal error: no answer within the deadline",
          it->second.requests.front().id);
    end_post(self, id, error, "lost");
  }

  for (auto& session : st.router->expire(now)) {
    self->send(session, close_atom::value);
    LOG_DEBUG("http", "idle session closed");
  }
  if (st.draining && st.exchanges.empty())
    finish_shutdown(self);
}

caf::behavior http_server(broker_ptr self, services_ptr svc,
                          std::shared_ptr<const http_server_config> cfg) {
  auto& st = self->state;
  st.svc = svc;
  st.cfg = cfg;
  st.router =
      std::make_unique<session_router>(cfg->router, cfg->latency_buckets, clock_type::now());
  st.null_sink = spawn_http_sink(self->system(), caf::actor_cast<http_server_actor>(self), 0);
  const auto& listen = cfg->router.listen;
  auto bound = self->add_tcp_doorman(listen.port, listen.host.c_str(), true);
  if (!bound) {
    LOG_ERROR("http", "cannot listen on " << listen.host << ":" << listen.port << ": "
                                          << self->system().render(bound.error()));
    // Answer the runner's start-up question with the error, then stop.
    return {
        [self, err = bound.error()](status_atom) -> caf::result<std::uint16_t> {
          self->quit(err);
          return err;
        },
    };
  }
  st.acceptor = bound->first;
  st.port = bound->second;
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
    try {
      std::rethrow_exception(eptr);
    } catch (const std::exception& e) {
      LOG_ERROR("http", "HTTP server failed: " << e.what());
    } catch (...) {
      LOG_ERROR("http", "HTTP server failed with an unknown exception");
    }
    return caf::sec::runtime_error;
  });
  self->delayed_send(self, cfg->tick, tick_atom::value);
  return {
      [self](const caf::io::new_connection_msg& msg) {
        auto& st = self->state;
        if (st.draining || st.connections.size() >= st.cfg->max_connections) {
          LOG_WARN("http", "connection refused: " << (st.draining ? "shutting down"
                                                                  : "too many connections"));
          self->close(msg.handle);
          return;
        }
        self->configure_read(msg.handle,
                             caf::io::receive_policy::at_most(st.cfg->read_chunk_bytes));
        self->ack_writes(msg.handle, true);
        auto [it, inserted] = st.connections.try_emplace(msg.handle, st.cfg->parser);
        (void)inserted;
        it->second.peer = self->remote_addr(msg.handle);
        it->second.last_activity = clock_type::now();
      },
      [self](const caf::io::new_data_msg& msg) {
        auto& st = self->state;
        auto it = st.connections.find(msg.handle);
        if (it == st.connections.end())
          return;
        auto& c = it->second;
        c.last_activity = clock_type::now();
        if (c.linger_until) {
          if (msg.buf.size() >= c.linger_left)
            close_connection(self, msg.handle);
          else
            c.linger_left -= msg.buf.size();
          return;
        }
        c.backlog.append(msg.buf.data(), msg.buf.size());
        // Parsing consumes what arrives, so bytes pile up only while a request waits for
        // its answer (pipelining) or for the client to read: allow one request's worth.
        if (c.backlog.size() > st.cfg->parser.max_header_bytes + st.cfg->parser.max_body_bytes) {
          close_connection(self, msg.handle);
          return;
        }
        pump(self, msg.handle);
      },
      [self](const caf::io::connection_closed_msg& msg) { close_connection(self, msg.handle); },
      [self](const caf::io::data_transferred_msg& msg) {
        auto& st = self->state;
        auto it = st.connections.find(msg.handle);
        if (it == st.connections.end())
          return;
        auto& c = it->second;
        const bool was_blocked = c.unsent() > st.cfg->max_unsent_bytes;
        c.transferred += std::min<std::uint64_t>(msg.written, c.unsent());
        c.last_transfer = clock_type::now();
        if (was_blocked && c.unsent() <= st.cfg->max_unsent_bytes)
          pump(self, msg.handle);
      },
      [self](const caf::io::acceptor_closed_msg&) {
        if (!self->state.draining)
          LOG_ERROR("http", "the listening socket closed unexpectedly");
      },
      [self](http_out_atom, http_outbound& o) {
        auto& st = self->state;
        auto it = st.exchanges.find(o.exchange);
        if (it == st.exchanges.end() || !it->second.responder)
          return; // answered meanwhile (deadline, cancellation)
        auto& ex = it->second;
        const bool done =
            ex.responder->on_message(o.message, o.info.response, exchange_mode(self, ex), st.out);
        if (ex.connected)
          send_out(self, ex.hdl);
        else
          st.out.clear();
        if (o.info.response) {
          const auto latency = clock_type::now() - ex.started;
          for (const auto& resp : o.info.responses)
            for (const auto& q : ex.requests)
              if (q.id == resp.id && q.method == "tools/call")
                st.router->metrics().count_call(tool_label(q.tool), resp.status, latency);
        }
        if (done)
          complete_exchange(self, o.exchange, ex.responder->status(), ex.responder->body_bytes());
      },
      [self](status_atom) { return self->state.port; },
      [self](shutdown_atom) {
        auto& st = self->state;
        st.shutdown = self->make_response_promise<bool>();
        if (!st.draining) {
          st.draining = true;
          st.drain_deadline = clock_type::now() + st.cfg->drain_budget;
          self->close(st.acceptor);
          LOG_INFO("http", "no longer accepting connections; draining " << st.exchanges.size()
                                                                        << " request(s) in flight");
        }
        on_tick(self);
        return st.shutdown;
      },
      [self](tick_atom) {
        on_tick(self);
        if (!self->state.stopped)
          self->delayed_send(self, self->state.cfg->tick, tick_atom::value);
      },
  };
}

} // namespace

std::shared_ptr<const http_server_config> make_http_server_config(const settings& config) {
  using std::chrono::milliseconds;
  namespace d = defaults;

  auto cfg = std::make_shared<http_server_config>();
  auto& r = cfg->router;
  r.listen = {config.http.host, config.http.port};
  r.allowed_origins = config.http.allowed_origins;
  for (const auto& t : config.http.tokens)
    r.tokens.emplace_back(t.reveal()); // views into secrets that live as long as the settings
  r.rate_limit_per_second = config.http.rate_limit_per_second;
  r.session_concurrency = config.http.session_concurrency;
  r.max_sessions = static_cast<std::size_t>(config.http.max_sessions);
  r.session_idle = std::chrono::seconds(config.http.session_idle_seconds);
  r.max_body_bytes = defaults::max_message_bytes;
  r.max_json_depth = defaults::max_json_depth;
  cfg->parser = {d::http_max_header_bytes, d::http_max_headers, defaults::max_message_bytes};
  cfg->keep_alive_idle = milliseconds(d::http_keep_alive_idle_ms);
  cfg->header_timeout = milliseconds(d::http_header_timeout_ms);
  cfg->request_timeout = milliseconds(d::http_request_timeout_ms);
  // The session answers every call by its deadline plus a margin; this only catches a lost
  // answer, so it allows the margin twice more.
  cfg->answer_deadline =
      std::chrono::milliseconds(config.tool_timeout_ms + 3 * defaults::deadline_margin_ms);
  cfg->drain_budget = milliseconds(d::http_drain_budget_ms);
  cfg->stats_timeout = milliseconds(d::http_stats_timeout_ms);
  cfg->tick = milliseconds(d::http_tick_ms);
  cfg->read_chunk_bytes = d::http_read_chunk_bytes;
  cfg->max_unsent_bytes = d::http_max_unsent_bytes;
  cfg->max_connections = d::http_max_connections;
  cfg->max_requests_per_connection = d::http_max_requests_per_connection;
  cfg->linger = milliseconds(d::http_linger_ms);
  cfg->linger_bytes = d::http_linger_bytes;
  cfg->linger_quiet = milliseconds(d::http_linger_quiet_ms);
  cfg->latency_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return cfg;
}

http_server_actor spawn_http_server(caf::actor_system& system, services_ptr svc,
                                    std::shared_ptr<const http_server_config> config) {
  auto broker = system.middleman().spawn_broker(http_server, std::move(svc), std::move(config));
  return caf::actor_cast<http_server_actor>(broker);
}

} // namespace imap_mcp
