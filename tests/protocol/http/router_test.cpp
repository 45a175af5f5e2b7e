#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "protocol/http/parser.hpp"
#include "protocol/http/router.hpp"

using namespace imap_mcp::http;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string init_body =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
const std::string ping_body = R"({"jsonrpc":"2.0","id":2,"method":"ping"})";
const std::string note_body = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";

router_config config(std::vector<std::string_view> tokens = {}, std::string listen = "127.0.0.1") {
  router_config c;
  c.listen = {listen, 8000};
  c.allowed_origins = {"https://app.example.com"};
  c.tokens = std::move(tokens);
  c.rate_limit_per_second = 100;
  c.session_concurrency = 2;
  c.max_sessions = 3;
  c.session_idle = 60s;
  c.max_body_bytes = 4 * 1024 * 1024;
  c.max_json_depth = 64;
  return c;
}

/// Parses a raw request; headers are given as "Name: value\r\n" lines.
request parse(const std::string& method, const std::string& path, const std::string& headers,
              const std::string& body = "") {
  std::string wire = method + " " + path + " HTTP/1.1\r\n" + headers;
  if (!body.empty() || method == "POST")
    wire += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  wire += "\r\n" + body;
  request_parser p({16 * 1024, 100, 4 * 1024 * 1024});
  auto res = p.feed(wire);
  REQUIRE(res.state == parse_state::complete);
  return p.current();
}

const std::string local = "Host: 127.0.0.1:8000\r\n";
const std::string json_headers = local + "Content-Type: application/json\r\n"
                                         "Accept: application/json, text/event-stream\r\n";

std::string header_of(const direct_answer& a, const std::string& name) {
  for (const auto& [n, v] : a.headers)
    if (n == name)
      return v;
  return "<none>";
}

/// Opens a session through the router as the broker would; returns its id.
std::string open(router<int>& r, int handle, const std::string& extra_headers = "") {
  auto d = r.route(parse("POST", "/mcp", json_headers + extra_headers, init_body),
                   clock_type::now(), false);
  REQUIRE(d.action == route_action::open_session);
  r.add_session(d, handle, clock_type::now());
  r.post_done(d.session_id, d.token, clock_type::now());
  return d.session_id;
}

} // namespace

TEST_CASE("requests the transport answers by itself get the right status") {
  struct row {
    std::string method;
    std::string path;
    std::string headers;
    std::string body;
    int status;
  };
  auto r = GENERATE_COPY(
      row{"GET", "/healthz", local, "", 200}, row{"POST", "/healthz", local, "", 405},
      row{"GET", "/nope", local, "", 404}, row{"GET", "/mcp", local, "", 405},
      row{"PUT", "/mcp", local, "", 405},
      row{"GET", "/healthz", "Host: evil.example.com\r\n", "", 403},
      row{"POST", "/mcp", "Host: evil.example.com:8000\r\nContent-Type: application/json\r\n",
          init_body, 403},
      row{"POST", "/mcp", json_headers + "Origin: http://evil.example.com\r\n", init_body, 403},
      row{"POST", "/mcp", json_headers + "Origin: null\r\n", init_body, 403},
      row{"POST", "/mcp", json_headers, ping_body, 400},
      row{"POST", "/mcp", json_headers, note_body, 400},
      row{"POST", "/mcp", json_headers, "{not json", 400},
      row{"POST", "/mcp", json_headers, "[" + init_body + "]", 400},
      row{"POST", "/mcp", json_headers + "MCP-Protocol-Version: 1999-01-01\r\n", init_body, 400},
      row{"POST", "/mcp", json_headers + "Mcp-Session-Id: 0123456789abcdef0123456789abcdef\r\n",
          ping_body, 404},
      row{"POST", "/mcp", json_headers + "Mcp-Session-Id: ../../x\r\n", ping_body, 404},
      row{"DELETE", "/mcp", local, "", 400},
      row{"DELETE", "/mcp", local + "Mcp-Session-Id: 0123456789abcdef0123456789abcdef\r\n", "",
          404},
      row{"POST", "/mcp", local + "Content-Type: text/plain\r\n", init_body, 415},
      row{"POST", "/mcp", local + "Accept: text/html\r\n", init_body, 406});
  INFO(r.method << " " << r.path << "\n" << r.headers);
  router<int> rt(config(), {1}, clock_type::now());
  auto d = rt.route(parse(r.method, r.path, r.headers, r.body), clock_type::now(), false);
  REQUIRE(d.action == route_action::answer);
  CHECK(d.answer.status == r.status);
  if (r.status >= 400) {
    auto j = nlohmann::json::parse(d.answer.body);
    CHECK(j["jsonrpc"] == "2.0");
    CHECK(j["error"]["message"].get<std::string>().size() > 5);
  }
  if (r.status == 405)
    CHECK(header_of(d.answer, "Allow") != "<none>");
  CHECK(rt.session_count() == 0);
}

TEST_CASE("a request without Host is refused and its connection closed") {
  router<int> rt(config(), {1}, clock_type::now());
  auto d = rt.route(parse("GET", "/healthz", ""), clock_type::now(), false);
  CHECK(d.answer.status == 400);
  CHECK(d.answer.close);
  auto ok = rt.route(parse("GET", "/healthz", local), clock_type::now(), false);
  CHECK_FALSE(ok.answer.close);
}

TEST_CASE("GET /mcp is refused with Allow: POST, DELETE") {
  router<int> rt(config(), {1}, clock_type::now());
  auto d = rt.route(parse("GET", "/mcp", local + "Accept: text/event-stream\r\n"),
                    clock_type::now(), false);
  CHECK(d.answer.status == 405);
  CHECK(header_of(d.answer, "Allow") == "POST, DELETE");
}

TEST_CASE("initialize opens a session and later requests reach it") {
  router<int> rt(config(), {1}, clock_type::now());
  auto d = rt.route(parse("POST", "/mcp", json_headers, init_body), clock_type::now(), false);
  REQUIRE(d.action == route_action::open_session);
  CHECK(well_formed_session_id(d.session_id));
  bool has_header = false;
  for (const auto& [n, v] : d.headers)
    has_header = has_header || (n == "Mcp-Session-Id" && v == d.session_id);
  CHECK(has_header);
  rt.add_session(d, 42, clock_type::now());
  rt.post_done(d.session_id, d.token, clock_type::now());
  CHECK(rt.session_count() == 1);

  auto sid = "Mcp-Session-Id: " + d.session_id + "\r\n";
  auto ping =
      rt.route(parse("POST", "/mcp", json_headers + sid, ping_body), clock_type::now(), false);
  REQUIRE(ping.action == route_action::forward);
  CHECK(ping.handle == std::optional<int>(42));
  CHECK(ping.body.kind == body_kind::requests);

  auto note = rt.route(
      parse("POST", "/mcp", json_headers + sid + "MCP-Protocol-Version: 2025-11-25\r\n", note_body),
      clock_type::now(), false);
  REQUIRE(note.action == route_action::forward);
  CHECK(note.body.kind == body_kind::notifications);

  auto del = rt.route(parse("DELETE", "/mcp", local + sid), clock_type::now(), false);
  REQUIRE(del.action == route_action::close_session);
  CHECK(del.handle == std::optional<int>(42));
  CHECK(rt.session_count() == 0);
  auto again =
      rt.route(parse("POST", "/mcp", json_headers + sid, ping_body), clock_type::now(), false);
  CHECK(again.answer.status == 404);
}

TEST_CASE("the session cap answers 503 with a clear body") {
  router<int> rt(config(), {1}, clock_type::now());
  for (int i = 0; i < 3; ++i)
    open(rt, i);
  auto d = rt.route(parse("POST", "/mcp", json_headers, init_body), clock_type::now(), false);
  REQUIRE(d.action == route_action::answer);
  CHECK(d.answer.status == 503);
  CHECK(nlohmann::json::parse(d.answer.body)["error"]["message"].get<std::string>().find(
            "maximum of 3 sessions") != std::string::npos);
}

TEST_CASE("per-session concurrency is capped with 429 and Retry-After") {
  router<int> rt(config(), {1}, clock_type::now());
  auto id = open(rt, 1);
  auto sid = "Mcp-Session-Id: " + id + "\r\n";
  auto req = parse("POST", "/mcp", json_headers + sid, ping_body);
  CHECK(rt.route(req, clock_type::now(), false).action == route_action::forward);
  CHECK(rt.route(req, clock_type::now(), false).action == route_action::forward);
  auto third = rt.route(req, clock_type::now(), false);
  CHECK(third.answer.status == 429);
  CHECK(header_of(third.answer, "Retry-After") == "1");
  // Notifications are not calls: they pass while the session is busy.
  CHECK(rt.route(parse("POST", "/mcp", json_headers + sid, note_body), clock_type::now(), false)
            .action == route_action::forward);
  rt.post_done(id, std::nullopt, clock_type::now());
  CHECK(rt.route(req, clock_type::now(), false).action == route_action::forward);
}

TEST_CASE("bearer tokens: 401 without or with a wrong token, sessions bound to their token") {
  router<int> rt(config({"token-one", "token-two"}), {1}, clock_type::now());
  struct row {
    std::string auth;
    int status;
    std::string www;
  };
  auto r =
      GENERATE(row{"", 401, R"(Bearer realm="imap-mcp")"},
               row{"Authorization: Bearer wrong\r\n", 401,
                   R"(Bearer realm="imap-mcp", error="invalid_token")"},
               row{"Authorization: Basic dG9rZW4tb25lOg==\r\n", 401, R"(Bearer realm="imap-mcp")"});
  auto d =
      rt.route(parse("POST", "/mcp", json_headers + r.auth, init_body), clock_type::now(), false);
  CHECK(d.answer.status == r.status);
  CHECK(header_of(d.answer, "WWW-Authenticate") == r.www);
  CHECK(d.answer.body.find("token-one") == std::string::npos);
  CHECK(
      rt.route(parse("GET", "/metrics", local + r.auth), clock_type::now(), false).answer.status ==
      401);
  // healthz stays open for probes.
  CHECK(rt.route(parse("GET", "/healthz", local), clock_type::now(), false).answer.status == 200);

  auto id = open(rt, 7, "Authorization: Bearer token-one\r\n");
  auto sid = "Mcp-Session-Id: " + id + "\r\n";
  auto same = rt.route(
      parse("POST", "/mcp", json_headers + sid + "Authorization: Bearer token-one\r\n", ping_body),
      clock_type::now(), false);
  CHECK(same.action == route_action::forward);
  auto other = rt.route(
      parse("POST", "/mcp", json_headers + sid + "Authorization: Bearer token-two\r\n", ping_body),
      clock_type::now(), false);
  CHECK(other.answer.status == 404);
  auto del = rt.route(parse("DELETE", "/mcp", local + sid + "Authorization: Bearer token-two\r\n"),
                      clock_type::now(), false);
  CHECK(del.answer.status == 404);
  CHECK(rt.session_count() == 1);
  CHECK(rt.route(parse("GET", "/metrics", local + "Authorization: Bearer token-two\r\n"),
                 clock_type::now(), false)
            .action == route_action::metrics);
}

TEST_CASE("the per-token rate limit answers 429 with Retry-After") {
  auto cfg = config({"token-one", "token-two"});
  cfg.rate_limit_per_second = 2;
  const auto t0 = clock_type::now();
  router<int> rt(cfg, {1}, t0);
  auto one = parse("GET", "/metrics", local + "Authorization: Bearer token-one\r\n");
  auto two = parse("GET", "/metrics", local + "Authorization: Bearer token-two\r\n");
  CHECK(rt.route(one, t0, false).action == route_action::metrics);
  CHECK(rt.route(one, t0, false).action == route_action::metrics);
  auto limited = rt.route(one, t0, false);
  CHECK(limited.answer.status == 429);
  CHECK(header_of(limited.answer, "Retry-After") == "1");
  // Another token has its own bucket; time refills the first one.
  CHECK(rt.route(two, t0, false).action == route_action::metrics);
  CHECK(rt.route(one, t0 + 600ms, false).action == route_action::metrics);
}

TEST_CASE("allowed origins get CORS headers and preflight answers") {
  router<int> rt(config(), {1}, clock_type::now());
  auto pre = rt.route(parse("OPTIONS", "/mcp", local + "Origin: https://app.example.com\r\n"),
                      clock_type::now(), false);
  CHECK(pre.answer.status == 204);
  CHECK(header_of(pre.answer, "Access-Control-Allow-Origin") == "https://app.example.com");
  CHECK(header_of(pre.answer, "Access-Control-Allow-Headers").find("Mcp-Session-Id") !=
        std::string::npos);
  auto d =
      rt.route(parse("POST", "/mcp", json_headers + "Origin: http://localhost:5173\r\n", init_body),
               clock_type::now(), false);
  REQUIRE(d.action == route_action::open_session);
  bool cors = false;
  for (const auto& [n, v] : d.headers)
    cors = cors ||
           (n == "Access-Control-Expose-Headers" && v.find("Mcp-Session-Id") != std::string::npos);
  CHECK(cors);
}

TEST_CASE("batches are accepted only in 2025-03-26 sessions") {
  router<int> rt(config(), {1}, clock_type::now());
  auto new_id = open(rt, 1);
  auto old_init =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26"}})";
  auto d = rt.route(parse("POST", "/mcp", json_headers, old_init), clock_type::now(), false);
  REQUIRE(d.action == route_action::open_session);
  rt.add_session(d, 2, clock_type::now());
  rt.post_done(d.session_id, d.token, clock_type::now());
  const std::string batch = "[" + ping_body + "]";
  auto in_new =
      rt.route(parse("POST", "/mcp", json_headers + "Mcp-Session-Id: " + new_id + "\r\n", batch),
               clock_type::now(), false);
  CHECK(in_new.answer.status == 400);
  auto in_old = rt.route(
      parse("POST", "/mcp", json_headers + "Mcp-Session-Id: " + d.session_id + "\r\n", batch),
      clock_type::now(), false);
  CHECK(in_old.action == route_action::forward);
  CHECK(in_old.body.batch);
}

TEST_CASE("idle sessions expire and draining refuses new work") {
  const auto t0 = clock_type::now();
  router<int> rt(config(), {1}, t0);
  open(rt, 5);
  CHECK(rt.expire(t0 + 30s).empty());
  CHECK(rt.expire(t0 + 2min) == std::vector<int>{5});
  auto text = rt.metrics().render({}, {});
  CHECK(text.find("imap_mcp_sessions_expired_total 1\n") != std::string::npos);
  auto busy = rt.route(parse("POST", "/mcp", json_headers, init_body), clock_type::now(), true);
  CHECK(busy.answer.status == 503);
  auto health = rt.route(parse("GET", "/healthz", local), clock_type::now(), true);
  CHECK(health.answer.status == 503);
  CHECK(health.answer.body == R"({"status":"draining"})");
}
