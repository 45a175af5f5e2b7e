#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/http/guard.hpp"
#include "protocol/http/messages.hpp"
#include "protocol/http/metrics.hpp"
#include "protocol/http/rate_limit.hpp"
#include "protocol/http/request.hpp"
#include "protocol/http/session_id.hpp"
#include "protocol/http/sessions.hpp"

namespace imap_mcp::http {

/// Header lists as the transport writes them.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// What the router needs to know about the server.
struct router_config {
  listen_info listen;
  std::vector<std::string> allowed_origins; ///< lower-case `scheme://host[:port]`
  /// Accepted bearer tokens (views into secrets that outlive the router); empty: no auth.
  std::vector<std::string_view> tokens;
  double rate_limit_per_second = 1;
  int session_concurrency = 1;
  std::size_t max_sessions = 1;
  std::chrono::steady_clock::duration session_idle{};
  std::size_t max_body_bytes = 0;
  int max_json_depth = 0;
};

/// An answer the transport gives by itself.
struct direct_answer {
  int status = 200;
  header_list headers;
  std::string body;
  /// Close the connection after it (the request broke HTTP/1.1 framing rules).
  bool close = false;
};

/// What the transport does with a request.
enum class route_action {
  answer,        ///< write `answer` now
  metrics,       ///< gather account stats, then answer with the metrics text
  open_session,  ///< initialize: spawn a session under `session_id`, forward the body
  forward,       ///< hand the body to the session `session_id` (202 at once for notifications)
  close_session, ///< DELETE: close the session (already removed), answer 204
};

/// The router's decision about one request.
template <class Handle> struct routing {
  route_action action = route_action::answer;
  direct_answer answer;
  /// Headers for whatever answer follows (CORS; the session id after initialize).
  header_list headers;
  std::optional<std::size_t> token;
  std::string session_id;
  /// The session for `forward`; the removed session's handle for `close_session`.
  std::optional<Handle> handle;
  body_info body;
  accept_info accept;
};

/// Builders for the router's answers and the checks that need no session state (router.cpp).
namespace routing_detail {
direct_answer error_answer(int status, std::string_view message, int rpc_code = -32000);
/// CORS headers for an allowed Origin (empty without an Origin header).
header_list cors_headers(const request& req);
/// The preflight answer (OPTIONS) for an allowed Origin.
direct_answer preflight_answer(const request& req);
/// True when a Content-Type, if sent, is application/json (parameters ignored).
bool json_content_type(const request& req);
/// 401 with `WWW-Authenticate: Bearer ...` (error="invalid_token" when a token was sent).
direct_answer unauthorized(bool token_sent);
direct_answer too_many(long long retry_after_s, std::string_view message);
} // namespace routing_detail

/// Every decision of the Streamable HTTP transport that needs no I/O: Host/Origin checks,
/// bearer auth, per-token rate limits, routing of /mcp, /healthz and /metrics, MCP header
/// rules, body classification, the session table with its cap, token binding, per-session
/// concurrency and idle expiry, and the metrics registry. The broker only moves bytes,
/// spawns actors and keeps time. Generic over the session handle so it is unit-tested.
template <class Handle> class router {
public:
  using clock = std::chrono::steady_clock;

  router(router_config cfg, std::vector<double> latency_buckets, clock::time_point now)
      : cfg_(std::move(cfg)), sessions_(cfg_.max_sessions, cfg_.session_idle),
        metrics_(std::move(latency_buckets)) {
    for (std::size_t i = 0; i < cfg_.tokens.size(); ++i)
      buckets_.emplace_back(cfg_.rate_limit_per_second, cfg_.rate_limit_per_second, now);
  }

  /// Decides what to do with one complete request. `draining`: shutdown has begun.
  routing<Handle> route(const request& req, clock::time_point now, bool draining) {
    using namespace routing_detail;
    routing<Handle> r;
    const auto* host = req.header("host");
    if (host == nullptr && req.version_minor >= 1) {
      auto a = error_answer(400, "Bad Request: missing Host header");
      a.close = true;
      return answer(std::move(r), std::move(a));
    }
    if (host != nullptr && !host_allowed(*host, cfg_.listen))
      return answer(std::move(r), error_answer(403, "Forbidden: Host header is not allowed"));
    if (const auto* origin = req.header("origin")) {
      if (!origin_allowed(*origin, cfg_.allowed_origins, cfg_.listen))
        return answer(std::move(r), error_answer(403, "Forbidden: Origin is not allowed"));
      r.headers = cors_headers(req);
    }
    const bool mcp = req.path == "/mcp";
    if (req.method == "OPTIONS" && (mcp || req.path == "/metrics"))
      return answer(std::move(r), preflight_answer(req));

    if (req.path == "/healthz") {
      if (req.method != "GET")
        return answer(std::move(r), not_allowed("GET"));
      direct_answer a;
      a.status = draining ? 503 : 200;
      a.headers.emplace_back("Content-Type", "application/json");
      a.body = draining ? R"({"status":"draining"})" : R"({"status":"ok"})";
      return answer(std::move(r), std::move(a));
    }
    if (!mcp && req.path != "/metrics")
      return answer(std::move(r), error_answer(404, "Not Found: the MCP endpoint is /mcp"));

    // Authentication, then the token's rate limit.
    if (!cfg_.tokens.empty()) {
      const auto* auth = req.header("authorization");
      auto credential = auth ? bearer_credential(*auth) : std::nullopt;
      r.token = credential ? match_token(*credential, cfg_.tokens) : std::nullopt;
      if (!r.token)
        return answer(std::move(r), unauthorized(credential.has_value()));
      if (auto wait = buckets_[*r.token].try_take(now)) {
        metrics_.count_rate_limited();
        return answer(std::move(r),
                      too_many(retry_after_seconds(*wait),
                               "Too Many Requests: rate limit for this token exceeded"));
      }
    }

    if (req.path == "/metrics") {
      if (req.method != "GET")
        return answer(std::move(r), not_allowed("GET"));
      r.action = route_action::metrics;
      return r;
    }

    if (req.method != "POST" && req.method != "DELETE")
      return answer(std::move(r), not_allowed("POST, DELETE"));
    if (const auto* v = req.header("mcp-protocol-version"); v && !protocol_version_supported(*v))
      return answer(std::move(r),
                    error_answer(400, "Bad Request: unsupported MCP-Protocol-Version"));

    const auto* sid = req.header("mcp-session-id");
    if (req.method == "DELETE") {
      if (sid == nullptr)
        return answer(std::move(r),
                      error_answer(400, "Bad Request: Mcp-Session-Id header is required"));
      if (!well_formed_session_id(*sid) || sessions_.find(*sid, r.token) == nullptr)
        return answer(std::move(r), error_answer(404, "Session not found", -32001));
      r.session_id = *sid;
      r.handle = sessions_.erase(*sid);
      r.action = route_action::close_session;
      return r;
    }

    if (draining)
      return answer(std::move(r),
                    error_answer(503, "Service Unavailable: the server is shutting down"));
    r.accept = parse_accept(req.header("accept"));
    if (!r.accept.json && !r.accept.sse)
      return answer(
          std::move(r),
          error_answer(406, "Not Acceptable: accept application/json or text/event-stream"));
    if (!json_content_type(req))
      return answer(std::move(r),
                    error_answer(415, "Unsupported Media Type: send application/json"));

    typename session_table<Handle>::entry* session = nullptr;
    if (sid != nullptr) {
      session = well_formed_session_id(*sid) ? sessions_.find(*sid, r.token) : nullptr;
      if (session == nullptr)
        return answer(std::move(r), error_answer(404, "Session not found", -32001));
    }
    const bool batches = session != nullptr && session->protocol_version == "2025-03-26";
    r.body = classify_body(req.body, cfg_.max_body_bytes, cfg_.max_json_depth, batches);
    if (r.body.kind == body_kind::invalid)
      return answer(std::move(r), error_answer(400, r.body.error_message, r.body.error_code));

    if (session == nullptr) {
      if (!r.body.initialize)
        return answer(std::move(r),
                      error_answer(400, "Bad Request: Mcp-Session-Id header is required "
                                        "(send initialize first to create a session)"));
      if (sessions_.full()) {
        metrics_.count_session_rejected();
        auto a = error_answer(503, "Service Unavailable: the server holds its maximum of " +
                                       std::to_string(sessions_.capacity()) +
                                       " sessions; retry later or end unused sessions with DELETE");
        a.headers.emplace_back("Retry-After", "5");
        return answer(std::move(r), std::move(a));
      }
      auto id = new_session_id();
      if (!id)
        return answer(std::move(r),
                      error_answer(500, "Internal Server Error: " + id.error().message));
      r.session_id = std::move(*id);
      r.headers.emplace_back("Mcp-Session-Id", r.session_id);
      r.action = route_action::open_session;
      return r;
    }

    if (r.body.kind == body_kind::requests) {
      if (session->in_flight >= cfg_.session_concurrency) {
        metrics_.count_rate_limited();
        return answer(std::move(r), too_many(1, "Too Many Requests: this session already has " +
                                                    std::to_string(cfg_.session_concurrency) +
                                                    " requests in flight"));
      }
      ++session->in_flight;
    }
    if (r.body.initialize)
      session->protocol_version = negotiated_version(r.body.requested_version);
    session->last_active = now;
    r.session_id = *sid;
    r.handle = session->handle;
    r.action = route_action::forward;
    return r;
  }

  /// Registers the session spawned for an `open_session` routing (its initialize is in
  /// flight).
  void add_session(const routing<Handle>& r, Handle handle, clock::time_point now) {
    auto& e = sessions_.add(r.session_id, std::move(handle), r.token,
                            negotiated_version(r.body.requested_version), now);
    e.in_flight = 1;
    metrics_.count_session_created();
  }

  /// A POST of that session that carried requests has been answered (or abandoned).
  void post_done(std::string_view session_id, std::optional<std::size_t> token,
                 clock::time_point now) {
    if (auto* e = sessions_.find(session_id, token)) {
      if (e->in_flight > 0)
        --e->in_flight;
      e->last_active = now;
    }
  }

  /// Closes idle sessions: returns their handles.
  std::vector<Handle> expire(clock::time_point now) {
    auto gone = sessions_.expire(now);
    for (std::size_t i = 0; i < gone.size(); ++i)
      metrics_.count_session_expired();
    return gone;
  }

  /// Removes every session (shutdown): returns their handles.
  std::vector<Handle> close_all() { return sessions_.clear(); }

  std::size_t session_count() const { return sessions_.size(); }
  metrics_registry& metrics() { return metrics_; }
  const router_config& config() const { return cfg_; }

private:
  static routing<Handle> answer(routing<Handle> r, direct_answer a) {
    r.action = route_action::answer;
    for (auto& h : r.headers)
      a.headers.push_back(std::move(h));
    r.headers.clear();
    r.answer = std::move(a);
    return r;
  }

  static direct_answer not_allowed(std::string_view allow) {
    auto a = routing_detail::error_answer(405, "Method Not Allowed");
    a.headers.emplace_back("Allow", std::string(allow));
    return a;
  }

  router_config cfg_;
  session_table<Handle> sessions_;
  std::vector<token_bucket> buckets_;
  metrics_registry metrics_;
};

} // namespace imap_mcp::http
