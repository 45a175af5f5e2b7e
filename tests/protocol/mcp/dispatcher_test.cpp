#include <catch2/catch.hpp>

#include "protocol/mcp/dispatcher.hpp"
#include "protocol/tools/registry.hpp"

using imap_mcp::mcp::dispatcher;
using imap_mcp::mcp::server_options;
using json = nlohmann::json;

namespace {

server_options options(bool write_enabled = false) {
  server_options o;
  o.version = "9.9.9";
  o.write_enabled = write_enabled;
  o.limits = {4 * 1024 * 1024, 64};
  return o;
}

dispatcher make(bool write_enabled = false) {
  return dispatcher(imap_mcp::tools::builtin_registry(), options(write_enabled));
}

json only_reply(const imap_mcp::mcp::effects& fx) {
  REQUIRE(fx.replies.size() == 1);
  return json::parse(fx.replies[0]);
}

std::string init_line(const std::string& version, int id = 1) {
  return json{{"jsonrpc", "2.0"},
              {"id", id},
              {"method", "initialize"},
              {"params",
               {{"protocolVersion", version},
                {"capabilities", json::object()},
                {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}}
    .dump();
}

} // namespace

TEST_CASE("initialize negotiates the protocol version") {
  struct row {
    std::string requested;
    std::string answered;
  };
  auto r = GENERATE(row{"2025-11-25", "2025-11-25"}, row{"2025-06-18", "2025-06-18"},
                    row{"2025-03-26", "2025-03-26"}, row{"2024-11-05", "2025-11-25"},
                    row{"1999-01-01", "2025-11-25"});
  auto d = make();
  auto reply = only_reply(d.handle(init_line(r.requested)));
  CHECK(reply["id"] == 1);
  CHECK(reply["result"]["protocolVersion"] == r.answered);
  CHECK(reply["result"]["serverInfo"]["name"] == "imap-mcp");
  CHECK(reply["result"]["serverInfo"]["version"] == "9.9.9");
  CHECK(reply["result"]["capabilities"].contains("tools"));
  auto instructions = reply["result"]["instructions"].get<std::string>();
  CHECK(instructions.find("MAIL_IMAP_WRITE_ENABLED=true") != std::string::npos);
  CHECK(instructions.find("untrusted") != std::string::npos);
  CHECK(d.protocol_version() == r.answered);
}

TEST_CASE("raw request lines get the right JSON-RPC answers") {
  struct row {
    std::string line;
    int code; // 0: success result expected
    json id;
  };
  auto r = GENERATE(
    row{"this is not json", -32700, nullptr},
    row{"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"", -32700, nullptr},
    row{"[]", -32600, nullptr},
    row{"42", -32600, nullptr},
    row{R"({"jsonrpc":"1.0","id":2,"method":"ping"})", -32600, 2},
    row{R"({"jsonrpc":"2.0","id":3})", -32600, 3},
    row{R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})", -32600, nullptr},
    row{R"({"jsonrpc":"2.0","id":true,"method":"ping"})", -32600, nullptr},
    row{R"({"jsonrpc":"2.0","id":4,"method":7})", -32600, 4},
    row{R"({"jsonrpc":"2.0","id":5,"method":"ping","params":"x"})", -32600, 5},
    row{R"({"jsonrpc":"2.0","id":6,"method":"resources/list"})", -32601, 6},
    row{R"({"jsonrpc":"2.0","id":"s7","method":"no/such"})", -32601, "s7"},
    row{R"({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"nope"}})", -32602, 8},
    row{R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{}})", -32602, 9},
    row{R"({"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"imap_list_accounts","arguments":[1]}})",
        -32602, 10},
    row{R"({"jsonrpc":"2.0","id":11,"method":"initialize","params":{}})", -32602, 11},
    row{R"({"jsonrpc":"2.0","id":12,"method":"ping"})", 0, 12},
    row{R"({"jsonrpc":"2.0","id":"p","method":"ping","params":null})", 0, "p"},
    row{R"({"jsonrpc":"2.0","id":13,"method":"logging/setLevel","params":{"level":"warning"}})", 0, 13},
    row{R"({"jsonrpc":"2.0","id":14,"method":"logging/setLevel","params":{"level":"loud"}})", -32602, 14});
  auto d = make();
  auto reply = only_reply(d.handle(r.line));
  CAPTURE(r.line);
  CHECK(reply["jsonrpc"] == "2.0");
  CHECK(reply["id"] == r.id);
  if (r.code == 0) {
    CHECK(reply.contains("result"));
  } else {
    REQUIRE(reply.contains("error"));
    CHECK(reply["error"]["code"] == r.code);
    CHECK_FALSE(reply["error"]["message"].get<std::string>().empty());
  }
}

TEST_CASE("notifications get no response") {
  auto d = make();
  auto fx = d.handle(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  CHECK(fx.replies.empty());
  CHECK(fx.initialized);
  CHECK(d.initialized());
  fx = d.handle(R"({"jsonrpc":"2.0","method":"notifications/whatever","params":{}})");
  CHECK(fx.replies.empty());
  // A response from the client (we never send requests) is ignored too.
  fx = d.handle(R"({"jsonrpc":"2.0","id":3,"result":{}})");
  CHECK(fx.replies.empty());
}

TEST_CASE("cancellation names the request to stop") {
  auto d = make();
  auto fx = d.handle(
    R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"abc","reason":"user"}})");
  CHECK(fx.replies.empty());
  REQUIRE(fx.cancelled.size() == 1);
  CHECK(fx.cancelled[0] == "abc");
}

TEST_CASE("tools/list describes every tool completely") {
  auto d = make();
  auto reply = only_reply(d.handle(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})"));
  const auto& tools = reply["result"]["tools"];
  REQUIRE(tools.is_array());
  REQUIRE(tools.size() >= 1);
  bool has_list_accounts = false;
  for (const auto& t : tools) {
    CAPTURE(t["name"]);
    for (const char* key : {"name", "title", "description", "inputSchema", "outputSchema", "annotations"})
      CHECK(t.contains(key));
    CHECK(t["inputSchema"]["type"] == "object");
    CHECK(t["inputSchema"]["additionalProperties"] == false);
    CHECK(t["inputSchema"].contains("properties"));
    for (const char* banned : {"oneOf", "anyOf", "allOf", "not", "if", "then", "else"})
      CHECK(t["inputSchema"].dump().find(std::string("\"") + banned + "\"") == std::string::npos);
    CHECK(t["outputSchema"]["properties"].contains("data"));
    for (const char* hint : {"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"})
      CHECK(t["annotations"][hint].is_boolean());
    if (t["name"] == "imap_list_accounts") {
      has_list_accounts = true;
      CHECK(t["annotations"]["readOnlyHint"] == true);
      CHECK(t["annotations"]["destructiveHint"] == false);
    }
  }
  CHECK(has_list_accounts);
}

TEST_CASE("a valid tools/call becomes a call to run, with its progress token") {
  auto d = make();
  auto fx = d.handle(
    R"({"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name":"imap_list_accounts","arguments":{},"_meta":{"progressToken":7}}})");
  CHECK(fx.replies.empty());
  REQUIRE(fx.calls.size() == 1);
  CHECK(fx.calls[0].id == "c1");
  CHECK(fx.calls[0].tool == "imap_list_accounts");
  REQUIRE(fx.calls[0].progress_token);
  CHECK(*fx.calls[0].progress_token == 7);
  // Missing arguments count as an empty object.
  fx = d.handle(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"imap_list_accounts"}})");
  CHECK(fx.calls.size() == 1);
}

TEST_CASE("bad tool arguments are a hard invalid_input result naming the argument") {
  struct row {
    std::string arguments;
    std::string expected;
  };
  auto r = GENERATE(row{R"({"bogus":1})", "unknown argument 'bogus'"},
                    row{R"({"account_id":""})", "account_id must be at least 1"},
                    row{R"({"account_id":"a b"})", "account_id must match"},
                    row{R"({"account_id":7})", "account_id must be a string"},
                    row{R"({"account_id":"x\r\nA LOGOUT"})", "account_id must not contain control"});
  auto d = make();
  const std::string tool = r.arguments.find("bogus") != std::string::npos ? "imap_list_accounts"
                                                                          : "imap_verify_account";
  auto reply = only_reply(d.handle(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":")" +
                                   tool + R"(","arguments":)" + r.arguments + "}}"));
  CAPTURE(r.arguments);
  REQUIRE(reply.contains("result"));
  CHECK(reply["result"]["isError"] == true);
  CHECK_FALSE(reply["result"].contains("structuredContent"));
  auto body = json::parse(reply["result"]["content"][0]["text"].get<std::string>());
  CHECK(body["error"]["code"] == "invalid_input");
  auto message = body["error"]["message"].get<std::string>();
  CHECK(message.rfind("invalid input: ", 0) == 0);
  CHECK(message.find(r.expected) != std::string::npos);
  CHECK(body["meta"].contains("now_utc"));
}

TEST_CASE("oversized and too deeply nested input is refused and the session keeps serving") {
  server_options o = options();
  o.limits = {1024, 64};
  dispatcher d(imap_mcp::tools::builtin_registry(), o);
  std::string big = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":")" + std::string(2000, 'x') + "\"}}";
  auto reply = only_reply(d.handle(big));
  CHECK(reply["error"]["code"] == -32700);
  CHECK(reply["error"]["message"].get<std::string>().find("1024 bytes") != std::string::npos);

  std::string deep = std::string(65, '[') + std::string(65, ']');
  reply = only_reply(d.handle(deep));
  CHECK(reply["error"]["code"] == -32700);
  CHECK(reply["error"]["message"].get<std::string>().find("64 levels") != std::string::npos);

  std::string very_deep(100000, '[');
  reply = only_reply(d.handle(very_deep.substr(0, 1000)));
  CHECK(reply["error"]["code"] == -32700);

  // Brackets inside strings do not count as nesting.
  std::string in_string = R"({"jsonrpc":"2.0","id":2,"method":"ping","params":{"s":")" + std::string(100, '[') + "\"}}";
  reply = only_reply(d.handle(in_string));
  CHECK(reply.contains("result"));

  reply = only_reply(d.handle(R"({"jsonrpc":"2.0","id":3,"method":"ping"})"));
  CHECK(reply["id"] == 3);
  CHECK(reply.contains("result"));
}

TEST_CASE("batches only in a 2025-03-26 session") {
  auto d = make();
  only_reply(d.handle(init_line("2025-06-18")));
  auto reply = only_reply(d.handle(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])"));
  CHECK(reply["error"]["code"] == -32600);

  auto old = make();
  only_reply(old.handle(init_line("2025-03-26")));
  reply = only_reply(old.handle(
    R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"method":"nope"}])"));
  REQUIRE(reply.is_array());
  REQUIRE(reply.size() == 2);
  CHECK(reply[0]["id"] == 1);
  CHECK(reply[1]["error"]["code"] == -32601);

  auto fx = old.handle(
    R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"imap_list_accounts"}}])");
  CHECK(fx.replies.empty());
  REQUIRE(fx.batch);
  CHECK(fx.batch_responses.size() == 1);
  REQUIRE(fx.calls.size() == 1);
  CHECK(fx.calls[0].batch == fx.batch);
}

TEST_CASE("client-chosen method and tool names are echoed boundedly, on a UTF-8 boundary") {
  // Regression (hostile input): a 2 MB method name came back whole in the -32601 error.
  auto d = make();
  d.handle(init_line("2025-11-25"));
  struct row {
    std::string method;
    std::string tool;
    int code;
  };
  std::string umlauts;
  for (int i = 0; i < 40; ++i) umlauts += "\xC3\xBC"; // 'ü' straddles the cut
  auto r = GENERATE_COPY(row{std::string(2 * 1024 * 1024, 'x'), "", -32601},
                         row{"x" + umlauts, "", -32601},
                         row{"tools/call", std::string(1024 * 1024, 'y'), -32602},
                         row{"tools/call", "y" + umlauts, -32602});
  json request = {{"jsonrpc", "2.0"}, {"id", 5}, {"method", r.method}};
  if (!r.tool.empty()) request["params"] = {{"name", r.tool}, {"arguments", json::object()}};
  const auto fx = d.handle(request.dump());
  REQUIRE(fx.replies.size() == 1);
  CHECK(fx.replies[0].size() < 300);
  CHECK(fx.replies[0].find("\xEF\xBF\xBD") == std::string::npos); // no U+FFFD from a split character
  auto reply = json::parse(fx.replies[0]);
  CHECK(reply["error"]["code"] == r.code);
  CHECK(reply["error"]["message"].get<std::string>().find("...") != std::string::npos);
}
