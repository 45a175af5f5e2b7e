#include <catch2/catch.hpp>

#include "load/http_client.hpp"

using namespace imap_mcp::load;
using state = response_parser::state;

namespace {

/// Feeds `wire` in pieces of `step` bytes; returns the final state.
state feed_in_steps(response_parser& p, const std::string& wire, std::size_t step) {
  state s = state::need_more;
  for (std::size_t i = 0; i < wire.size() && s == state::need_more; i += step)
    s = p.feed(wire.substr(i, step));
  return s;
}

} // namespace

TEST_CASE("responses parse the same whatever the read boundaries", "[load][http]") {
  struct row {
    const char* name;
    std::string wire;
    int status;
    std::string body;
  };
  const std::vector<row> rows = {
      {"content-length",
       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
       200, "{\"a\":1}"},
      {"empty 202", "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", 202, ""},
      {"204 without length", "HTTP/1.1 204 No Content\r\nMcp-Session-Id: x\r\n\r\n", 204, ""},
      {"chunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
       "chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n",
       200, "Wikipedia"},
      {"chunked with trailer",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\nX-T: "
       "1\r\n\r\n",
       200, "0123456789"},
      {"100 continue first",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno", 404,
       "no"},
  };
  for (const auto& r : rows) {
    for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{7}, r.wire.size()}) {
      INFO(r.name << ", " << step << " byte(s) at a time");
      response_parser p;
      REQUIRE(feed_in_steps(p, r.wire, step) == state::done);
      CHECK(p.response().status == r.status);
      CHECK(p.response().body == r.body);
    }
  }
}

TEST_CASE("headers are case-insensitive; Connection: close is seen", "[load][http]") {
  response_parser p;
  REQUIRE(p.feed("HTTP/1.1 200 OK\r\nMCP-SESSION-ID:  abc \r\nConnection: Close\r\nContent-Length: "
                 "0\r\n\r\n") == state::done);
  CHECK(p.response().header("mcp-session-id") == "abc");
  CHECK(p.response().closes());
}

TEST_CASE("bytes after a response are kept for the next one (pipelining)", "[load][http]") {
  response_parser p;
  REQUIRE(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 202 OK\r\n") ==
          state::done);
  CHECK(p.response().body == "a");
  const std::string rest = p.take_rest();
  CHECK(rest == "HTTP/1.1 202 OK\r\n");
  response_parser next;
  CHECK(next.feed(rest) == state::need_more);
  CHECK(next.feed("Content-Length: 0\r\n\r\n") == state::done);
  CHECK(next.response().status == 202);
}

TEST_CASE("a body without length ends with the connection", "[load][http]") {
  response_parser p;
  CHECK(p.feed("HTTP/1.1 200 OK\r\n\r\npart one, ") == state::need_more);
  CHECK(p.feed("part two") == state::need_more);
  CHECK(p.finish() == state::done);
  CHECK(p.response().body == "part one, part two");
}

TEST_CASE("malformed and truncated responses are errors", "[load][http]") {
  const std::vector<std::string> bad = {
      "HTTX/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
  };
  for (const auto& wire : bad) {
    INFO(wire);
    response_parser p;
    CHECK(p.feed(wire) == state::error);
    CHECK_FALSE(p.error_text().empty());
  }
  response_parser cut;
  CHECK(cut.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc") == state::need_more);
  CHECK(cut.finish() == state::error);
  response_parser huge(64, 1024);
  CHECK(huge.feed("HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n") == state::error);
  response_parser long_head(64, 1024);
  CHECK(long_head.feed("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a')) == state::error);
}

TEST_CASE("SSE: data of each event, multi-line data joined, comments skipped", "[load][http]") {
  const std::string body = ": comment\n"
                           "event: message\ndata: {\"method\":\"notifications/progress\"}\n\n"
                           "event: message\r\ndata: {\"id\":1,\r\ndata: \"result\":{}}\r\n\r\n"
                           "data:no-space\n";
  auto events = sse_data(body);
  REQUIRE(events.size() == 3);
  CHECK(events[0] == "{\"method\":\"notifications/progress\"}");
  CHECK(events[1] == "{\"id\":1,\n\"result\":{}}");
  CHECK(events[2] == "no-space");
  CHECK(sse_data("").empty());
  CHECK(sse_data("event: ping\n\n").empty());
}
