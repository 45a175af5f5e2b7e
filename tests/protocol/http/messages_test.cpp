#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocol/http/messages.hpp"

using namespace imap_mcp::http;

namespace {

body_info classify(const std::string& body, bool batches = false) {
  return classify_body(body, 4 * 1024 * 1024, 64, batches);
}

} // namespace

TEST_CASE("POST bodies are classified as the session will treat them") {
  struct row {
    std::string body;
    bool batches;
    body_kind kind;
    int error_code;
    std::size_t requests;
  };
  auto r = GENERATE(
      row{R"({"jsonrpc":"2.0","id":1,"method":"ping"})", false, body_kind::requests, 0, 1},
      row{R"({"jsonrpc":"1.0","id":1,"method":"ping"})", false, body_kind::requests, 0, 1},
      row{R"({"jsonrpc":"2.0","method":"notifications/initialized"})", false,
          body_kind::notifications, 0, 0},
      row{R"({"jsonrpc":"2.0","id":1,"result":{}})", false, body_kind::notifications, 0, 0},
      row{R"({"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}})", false,
          body_kind::notifications, 0, 0},
      row{R"({"method":"notifications/initialized"})", false, body_kind::invalid, -32600, 0},
      row{R"({"jsonrpc":"2.0","method":7})", false, body_kind::invalid, -32600, 0},
      row{R"({"jsonrpc":"2.0","id":3})", false, body_kind::invalid, -32600, 0},
      row{"42", false, body_kind::invalid, -32600, 0},
      row{"not json", false, body_kind::invalid, -32700, 0},
      row{"", false, body_kind::invalid, -32700, 0},
      row{std::string(100, '[') + std::string(100, ']'), false, body_kind::invalid, -32700, 0},
      row{R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", false, body_kind::invalid, -32600, 0},
      row{"[]", true, body_kind::invalid, -32600, 0},
      row{R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}])",
          true, body_kind::requests, 0, 2},
      row{R"([{"jsonrpc":"2.0","method":"notifications/initialized"}])", true,
          body_kind::notifications, 0, 0},
      row{R"([{"jsonrpc":"2.0","method":"notifications/initialized"},5])", true,
          body_kind::requests, 0, 0});
  auto info = classify(r.body, r.batches);
  CHECK(info.kind == r.kind);
  CHECK(info.error_code == r.error_code);
  CHECK(info.requests.size() == r.requests);
  if (r.kind == body_kind::invalid)
    CHECK_FALSE(info.error_message.empty());
}

TEST_CASE("initialize, tools/call and cancellations are recognised") {
  auto init = classify(
      R"({"jsonrpc":"2.0","id":"i-1","method":"initialize","params":{"protocolVersion":"2025-06-18"}})");
  CHECK(init.initialize);
  CHECK(init.requested_version == "2025-06-18");
  REQUIRE(init.requests.size() == 1);
  CHECK(init.requests[0].id == R"("i-1")");

  auto call = classify(
      R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"imap_list_accounts"}})");
  CHECK_FALSE(call.initialize);
  REQUIRE(call.requests.size() == 1);
  CHECK(call.requests[0].id == "7");
  CHECK(call.requests[0].method == "tools/call");
  CHECK(call.requests[0].tool == "imap_list_accounts");

  auto cancel =
      classify(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}})");
  CHECK(cancel.kind == body_kind::notifications);
  CHECK(cancel.cancelled == std::vector<std::string>{"7"});

  auto batch_init =
      classify(R"([{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}])", true);
  CHECK_FALSE(batch_init.initialize);
}

TEST_CASE("outbound messages are told apart and tool outcomes read") {
  struct row {
    std::string message;
    bool response;
    std::vector<outbound_response> responses;
  };
  auto r = GENERATE(
      row{R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1,"progressToken":"t"}})",
          false,
          {}},
      row{R"({"id":1,"jsonrpc":"2.0","result":{}})", true, {{"1", "ok"}}},
      row{R"({"id":"a\"b","jsonrpc":"2.0","result":{"content":[],"isError":true}})",
          true,
          {{R"("a\"b")", "error"}}},
      row{R"({"id":2,"jsonrpc":"2.0","result":{"content":[{"text":"{\"data\":{\"status\":\"failed\"}}"}],"structuredContent":{"data":{"status":"partial","x":{"status":"failed"}},"meta":{}}}})",
          true,
          {{"2", "partial"}}},
      row{R"({"error":{"code":-32602,"message":"Unknown tool"},"id":3,"jsonrpc":"2.0"})",
          true,
          {{"3", "rpc_error"}}},
      row{R"({"error":{"code":-32700,"message":"Parse error"},"id":null,"jsonrpc":"2.0"})",
          true,
          {{"null", "rpc_error"}}},
      row{R"([{"id":1,"jsonrpc":"2.0","result":{"structuredContent":{"data":{"status":"failed"}}}},{"id":2,"jsonrpc":"2.0","result":{}}])",
          true,
          {{"1", "failed"}, {"2", "ok"}}},
      row{"garbage", true, {}});
  auto info = classify_outbound(r.message);
  CHECK(info.response == r.response);
  REQUIRE(info.responses.size() == r.responses.size());
  for (std::size_t i = 0; i < r.responses.size(); ++i) {
    CHECK(info.responses[i].id == r.responses[i].id);
    CHECK(info.responses[i].status == r.responses[i].status);
  }
}

TEST_CASE("Accept is read leniently") {
  struct row {
    const char* header; // nullptr: absent
    bool json;
    bool sse;
  };
  auto r = GENERATE(
      row{nullptr, true, true}, row{"", true, true},
      row{"application/json, text/event-stream", true, true},
      row{"text/event-stream, application/json", true, true}, row{"application/json", true, false},
      row{"text/event-stream", false, true}, row{"*/*", true, true},
      row{"application/*", true, false}, row{"text/html", false, false},
      row{"application/json;q=0.9, text/event-stream;q=0", true, false},
      row{"application/json; q=0.0", false, false}, row{"TEXT/EVENT-STREAM", false, true});
  std::string value = r.header ? r.header : "";
  auto a = parse_accept(r.header ? &value : nullptr);
  CHECK(a.json == r.json);
  CHECK(a.sse == r.sse);
}

TEST_CASE("protocol versions follow the contract") {
  CHECK(protocol_version_supported("2025-11-25"));
  CHECK(protocol_version_supported("2025-06-18"));
  CHECK(protocol_version_supported("2025-03-26"));
  CHECK_FALSE(protocol_version_supported("2024-11-05"));
  CHECK_FALSE(protocol_version_supported(""));
  CHECK(negotiated_version("2025-03-26") == "2025-03-26");
  CHECK(negotiated_version("1999-01-01") == "2025-11-25");
}
