#include <catch2/catch.hpp>

#include "protocol/http/responder.hpp"
#include "tests/protocol/http/support.hpp"

using namespace imap_mcp::http;
using http_test::split_response;

namespace {

const std::string progress =
    R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}})";
const std::string response = R"({"id":1,"jsonrpc":"2.0","result":{}})";
const connection_mode keep{true, 30};

post_responder make(bool sse_only = false) {
  return post_responder({{"Mcp-Session-Id", "abc"}}, sse_only);
}

} // namespace

TEST_CASE("a response that comes first is sent as application/json") {
  auto r = make();
  std::string out;
  CHECK(r.on_message(response, true, keep, out));
  CHECK(r.done());
  auto w = split_response(out);
  CHECK(w.status == 200);
  CHECK(w.headers["content-type"] == "application/json");
  CHECK(w.headers["mcp-session-id"] == "abc");
  CHECK(w.body == response);
  CHECK(r.body_bytes() == response.size());
}

TEST_CASE("a notification first switches to SSE until the response ends the stream") {
  auto r = make();
  std::string out;
  CHECK_FALSE(r.on_message(progress, false, keep, out));
  CHECK(r.streaming());
  auto head = split_response(out);
  CHECK(head.headers["content-type"] == "text/event-stream");
  CHECK(head.headers["transfer-encoding"] == "chunked");
  CHECK(head.headers["mcp-session-id"] == "abc");
  CHECK_FALSE(r.on_message(progress, false, keep, out));
  CHECK(r.on_message(response, true, keep, out));
  bool complete = false;
  auto messages = http_test::sse_messages(http_test::dechunk(split_response(out).body, complete));
  CHECK(complete);
  REQUIRE(messages.size() == 3);
  CHECK(messages[2] == response);
  // Nothing is written after the end.
  auto size = out.size();
  CHECK(r.on_message(progress, false, keep, out));
  CHECK(out.size() == size);
}

TEST_CASE("a client that accepts only SSE gets a stream even for a lone response") {
  auto r = make(true);
  std::string out;
  CHECK(r.on_message(response, true, keep, out));
  auto w = split_response(out);
  CHECK(w.headers["content-type"] == "text/event-stream");
  bool complete = false;
  auto messages = http_test::sse_messages(http_test::dechunk(w.body, complete));
  CHECK(complete);
  CHECK(messages == std::vector<std::string>{response});
}

TEST_CASE("finishing early: 202, a JSON error, or the end of the stream") {
  {
    auto r = make();
    std::string out;
    r.finish("", keep, out);
    CHECK(split_response(out).status == 202);
    CHECK(r.done());
  }
  {
    auto r = make();
    std::string out;
    r.finish(R"({"error":{}})", keep, out);
    auto w = split_response(out);
    CHECK(w.status == 200);
    CHECK(w.body == R"({"error":{}})");
  }
  {
    auto r = make();
    std::string out;
    r.on_message(progress, false, keep, out);
    r.finish(R"({"error":{}})", {false, 0}, out);
    bool complete = false;
    auto messages = http_test::sse_messages(http_test::dechunk(split_response(out).body, complete));
    CHECK(complete);
    CHECK(messages.back() == R"({"error":{}})");
  }
}
