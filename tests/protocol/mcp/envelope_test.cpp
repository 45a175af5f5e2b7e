#include <catch2/catch.hpp>

#include <regex>

#include "protocol/mcp/jsonrpc.hpp"
#include "protocol/tools/envelope.hpp"
#include "protocol/tools/list_accounts.hpp"

using namespace imap_mcp;
using json = nlohmann::json;

TEST_CASE("a success result carries the envelope as structured content and as text") {
  auto r = tools::success_result("2 thing(s)", json{{"x", 1}}, std::chrono::milliseconds(12));
  REQUIRE(r.contains("structuredContent"));
  CHECK_FALSE(r.contains("isError"));
  const auto& env = r["structuredContent"];
  CHECK(env["summary"] == "2 thing(s)");
  CHECK(env["data"]["x"] == 1);
  CHECK(env["meta"]["duration_ms"] == 12);
  std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  CHECK(std::regex_match(env["meta"]["now_utc"].get<std::string>(), rfc3339));
  REQUIRE(r["content"].size() == 1);
  CHECK(r["content"][0]["type"] == "text");
  CHECK(json::parse(r["content"][0]["text"].get<std::string>()) == env);
}

TEST_CASE("hard errors use the code names and readable prefixes") {
  struct row {
    error_code code;
    const char* name;
    const char* prefix;
  };
  auto r = GENERATE(row{error_code::invalid_input, "invalid_input", "invalid input: "},
                    row{error_code::auth_failed, "auth_failed", "authentication failed: "},
                    row{error_code::not_found, "not_found", "not found: "},
                    row{error_code::timeout, "timeout", "operation timed out: "},
                    row{error_code::conflict, "conflict", "conflict: "},
                    row{error_code::internal, "internal", "internal error: "});
  auto result = tools::error_result(make_failure(r.code, "details here"), std::chrono::milliseconds(1));
  CHECK(result["isError"] == true);
  CHECK_FALSE(result.contains("structuredContent"));
  auto body = json::parse(result["content"][0]["text"].get<std::string>());
  CHECK(body["error"]["code"] == r.name);
  CHECK(body["error"]["message"] == std::string(r.prefix) + "details here");
  CHECK(body["error"]["details"].is_object());
  if (r.code == error_code::timeout) CHECK(body["error"]["details"]["retryable"] == true);
  CHECK(body["meta"]["duration_ms"] == 1);
}

TEST_CASE("imap_list_accounts lists accounts sorted without secrets") {
  auto out = tools::list_accounts({{"work", "imap.work.example", 993, true},
                                   {"default", "imap.example.com", 10993, true}});
  REQUIRE(out.data["accounts"].size() == 2);
  CHECK(out.data["accounts"][0] == json{{"account_id", "default"}, {"host", "imap.example.com"},
                                        {"port", 10993}, {"secure", true}});
  CHECK(out.data["accounts"][1]["account_id"] == "work");
  CHECK(out.data["next_action"]["tool"] == "imap_list_mailboxes");
  CHECK(out.summary == "2 account(s) configured");
  auto none = tools::list_accounts({});
  CHECK(none.data["accounts"].empty());
}

TEST_CASE("a result response is the JSON-RPC object around the result, byte for byte") {
  // result_response writes the frame around the result without copying it; it must stay
  // exactly what serializing the whole object gives (clients see these bytes).
  const json results[] = {
    json::object(),
    json{{"content", json::array({{{"type", "text"}, {"text", "Grüße \"quoted\"\n"}}})},
         {"structuredContent", {{"data", {{"n", 3}, {"list", {1, 2, 3}}}}, {"summary", "ok"}}}},
    json(std::string("bad utf-8: \xff\xfe")),
  };
  const json ids[] = {json(1), json("req-7"), json(nullptr), json(9007199254740991LL)};
  for (const auto& id : ids)
    for (const auto& result : results) {
      const std::string framed = jsonrpc::result_response(id, result);
      CHECK(framed == jsonrpc::dump(jsonrpc::result_object(id, result)));
      CHECK(json::parse(framed)["result"] == json::parse(jsonrpc::dump(result)));
    }
}
