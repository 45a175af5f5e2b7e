#include <catch2/catch.hpp>

#include <string>

#include "protocol/http/parser.hpp"

using namespace imap_mcp::http;

namespace {

parser_limits limits(std::size_t header = 16 * 1024, std::size_t body = 1024) {
  return parser_limits{header, 100, body};
}

/// Feeds all of `wire` in pieces of `step` bytes; returns the final result and the bytes
/// consumed in total.
parse_result feed_all(request_parser& p, const std::string& wire, std::size_t step) {
  parse_result last;
  std::size_t pos = 0;
  std::size_t consumed = 0;
  while (pos < wire.size()) {
    auto n = std::min(step, wire.size() - pos);
    last = p.feed(std::string_view(wire).substr(pos, n));
    consumed += last.consumed;
    if (last.state != parse_state::need_more)
      break;
    pos += n;
  }
  last.consumed = consumed;
  return last;
}

} // namespace

TEST_CASE("well-formed requests parse the same whatever the read sizes") {
  struct row {
    std::string wire;
    std::string method;
    std::string path;
    std::string body;
    bool keep_alive;
  };
  auto r =
      GENERATE(row{"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", "GET", "/healthz", "", true},
               row{"POST /mcp?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", "POST",
                   "/mcp", "hello", true},
               row{"POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                   "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
                   "POST", "/mcp", "abcde", true},
               row{"GET / HTTP/1.0\r\n\r\n", "GET", "/", "", false},
               row{"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET", "/", "", true},
               row{"DELETE /mcp HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "DELETE", "/mcp",
                   "", false},
               row{"GET http://localhost:8000/metrics?a HTTP/1.1\r\nHost: a\r\n\r\n", "GET",
                   "/metrics", "", true});
  auto step = GENERATE(std::size_t{1}, std::size_t{7}, std::size_t{4096});
  request_parser p(limits());
  auto res = feed_all(p, r.wire, step);
  REQUIRE(res.state == parse_state::complete);
  CHECK(res.consumed == r.wire.size());
  auto& req = p.current();
  CHECK(req.method == r.method);
  CHECK(req.path == r.path);
  CHECK(req.body == r.body);
  CHECK(req.keep_alive == r.keep_alive);
}

TEST_CASE("header names are lower-cased and values trimmed") {
  request_parser p(limits());
  auto res = p.feed(
      "GET / HTTP/1.1\r\nHOST:  example \r\nMcp-Session-Id: abc\r\nX-A: 1\r\nx-a: 2\r\n\r\n");
  REQUIRE(res.state == parse_state::complete);
  auto& req = p.current();
  REQUIRE(req.header("host") != nullptr);
  CHECK(*req.header("host") == "example");
  CHECK(*req.header("mcp-session-id") == "abc");
  CHECK(req.header_count("x-a") == 2);
  CHECK(req.header("missing") == nullptr);
}

TEST_CASE("pipelined requests are handed out one at a time") {
  const std::string one = "POST /mcp HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}";
  const std::string two = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string wire = one + two;
  request_parser p(limits());
  auto first = p.feed(wire);
  REQUIRE(first.state == parse_state::complete);
  CHECK(first.consumed == one.size());
  CHECK(p.current().body == "{}");
  // Until reset, the parser holds the finished request and takes nothing more.
  CHECK(p.feed(std::string_view(wire).substr(first.consumed)).consumed == 0);
  p.reset();
  auto second = p.feed(std::string_view(wire).substr(first.consumed));
  REQUIRE(second.state == parse_state::complete);
  CHECK(second.consumed == two.size());
  CHECK(p.current().path == "/healthz");
  CHECK(p.current().body.empty());
}

TEST_CASE("malformed and oversized requests get the right status") {
  struct row {
    std::string wire;
    int status;
  };
  const std::string big_header =
      "GET / HTTP/1.1\r\nX-Big: " + std::string(17 * 1024, 'a') + "\r\n\r\n";
  std::string many_headers = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i)
    many_headers += "X-" + std::to_string(i) + ": v\r\n";
  many_headers += "\r\n";
  auto r = GENERATE_COPY(
      row{"this is not http\r\n\r\n", 400}, row{"GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400},
      row{"GET / HTTP/2.0\r\n\r\n", 505},
      row{"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400},
      row{"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400},
      row{"POST / HTTP/1.1\r\nContent-Length: 1025\r\n\r\n", 413},
      row{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n" + std::string(1025, 'x') +
              "\r\n0\r\n\r\n",
          413},
      row{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      row{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      row{"GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 400},
      row{"GET / HTTP/1.1\r\nExpect: something-else\r\n\r\n", 417}, row{big_header, 431},
      row{many_headers, 431});
  INFO(r.wire.substr(0, 80));
  request_parser p(limits());
  auto res = feed_all(p, r.wire, 512);
  REQUIRE(res.state == parse_state::error);
  CHECK(p.error_status() == r.status);
  CHECK_FALSE(p.error_reason().empty());
  // Once failed, the parser stays failed.
  CHECK(p.feed("GET / HTTP/1.1\r\n\r\n").state == parse_state::error);
}

TEST_CASE("the header limit stops reading before the whole header is buffered") {
  request_parser p(limits(1024));
  REQUIRE(p.feed("GET / HTTP/1.1\r\nX-Big: ").state == parse_state::need_more);
  CHECK(p.started());
  CHECK_FALSE(p.headers_complete());
  auto res = p.feed(std::string(2048, 'a'));
  CHECK(res.state == parse_state::error);
  CHECK(p.error_status() == 431);
}

TEST_CASE("a declared oversized body is refused before any of it arrives") {
  request_parser p(limits(16 * 1024, 100));
  auto res = p.feed("POST /mcp HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n");
  CHECK(res.state == parse_state::error);
  CHECK(p.error_status() == 413);
}

TEST_CASE("Expect: 100-continue is reported once the headers are in") {
  request_parser p(limits());
  auto res =
      p.feed("POST /mcp HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  CHECK(res.state == parse_state::need_more);
  CHECK(p.headers_complete());
  CHECK(p.take_continue());
  CHECK_FALSE(p.take_continue());
  CHECK(p.feed("{}").state == parse_state::complete);
}

TEST_CASE("reset starts a fresh request and drops large buffers") {
  request_parser p(limits(16 * 1024, 100 * 1024));
  std::string body(64 * 1024, 'x');
  auto wire =
      "POST / HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  REQUIRE(p.feed(wire).state == parse_state::complete);
  p.reset();
  CHECK_FALSE(p.started());
  CHECK(p.current().body.capacity() < body.size());
  REQUIRE(p.feed("GET /x HTTP/1.1\r\n\r\n").state == parse_state::complete);
  CHECK(p.current().path == "/x");
}

TEST_CASE("mutated requests never crash the parser and never yield a request over the limits") {
  const std::string seed =
      "POST /mcp HTTP/1.1\r\nHost: localhost:8000\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  std::uint32_t state = 12345;
  auto next = [&] {
    state = state * 1103515245u + 12345u;
    return (state >> 16) & 0x7fff;
  };
  int complete = 0, errors = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string wire = seed;
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      auto pos = next() % wire.size();
      switch (next() % 3) {
      case 0:
        wire[pos] = static_cast<char>(next() & 0xff);
        break;
      case 1:
        wire.erase(pos, 1 + next() % 8);
        break;
      default:
        wire.insert(pos, std::string(1 + next() % 8, static_cast<char>(next() & 0xff)));
        break;
      }
      if (wire.empty())
        wire = "x";
    }
    request_parser p({256, 8, 64});
    auto res = feed_all(p, wire, 1 + next() % 16);
    if (res.state == parse_state::complete) {
      ++complete;
      CHECK(p.current().body.size() <= 64);
      CHECK(p.current().headers.size() <= 8);
    } else if (res.state == parse_state::error) {
      ++errors;
      CHECK(p.error_status() >= 400);
    }
  }
  // Both outcomes occur: the mutations are neither all harmless nor all fatal.
  CHECK(complete > 0);
  CHECK(errors > 0);
}
