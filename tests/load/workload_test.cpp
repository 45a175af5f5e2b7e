#include <catch2/catch.hpp>

#include "load/workload.hpp"

using namespace imap_mcp::load;
using json = nlohmann::json;

namespace {

json tool_result(json result) {
  return {{"jsonrpc", "2.0"}, {"id", 1}, {"result", std::move(result)}};
}

json hard_error(const std::string& code) {
  json body = {{"error", {{"code", code}, {"message", code + ": x"}}}};
  return tool_result({{"isError", true}, {"content", {{{"type", "text"}, {"text", body.dump()}}}}});
}

json soft(const std::string& status, const std::string& issue = "") {
  json data = {{"status", status}, {"issues", json::array()}};
  if (!issue.empty())
    data["issues"].push_back({{"code", issue}, {"message", "m"}});
  return tool_result(
      {{"structuredContent", {{"summary", "s"}, {"data", data}}}, {"content", json::array()}});
}

load_options default_options() {
  return *parse_options({});
}

} // namespace

TEST_CASE("tool answers are classified by the contract's error codes", "[load][workload]") {
  struct row {
    const char* name;
    json response;
    std::string error;
    bool partial;
  };
  const std::vector<row> rows = {
      {"ok", soft("ok"), "", false},
      {"no data (list_accounts shape)",
       tool_result({{"structuredContent", {{"data", {{"accounts", json::array()}}}}}}), "", false},
      {"partial", soft("partial", "timeout"), "", true},
      {"soft failure", soft("failed", "timeout"), "failed:timeout", false},
      {"soft failure without issues", soft("failed"), "failed:unknown", false},
      {"hard invalid_input", hard_error("invalid_input"), "invalid_input", false},
      {"hard conflict", hard_error("conflict"), "conflict", false},
      {"isError with junk text",
       tool_result({{"isError", true}, {"content", {{{"type", "text"}, {"text", "nope"}}}}}),
       "error:unparsable", false},
      {"JSON-RPC error",
       json{{"jsonrpc", "2.0"}, {"id", 1}, {"error", {{"code", -32602}, {"message", "x"}}}},
       "rpc:-32602", false},
      {"no result", json{{"jsonrpc", "2.0"}, {"id", 1}}, "rpc:malformed", false},
      {"not an object", json::array(), "rpc:malformed", false},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto c = classify_tool_response(r.response);
    CHECK(c.error == r.error);
    CHECK(c.partial == r.partial);
  }
}

TEST_CASE("a weight of 0 is never picked; the others in proportion", "[load][workload]") {
  std::map<op_kind, double> mix = {
      {op_kind::list_accounts, 0}, {op_kind::search, 3}, {op_kind::get_message, 1}};
  std::mt19937_64 rng(5);
  std::map<op_kind, int> seen;
  for (int i = 0; i < 4000; ++i)
    ++seen[pick_op(mix, rng)];
  CHECK(seen[op_kind::list_accounts] == 0);
  CHECK(seen[op_kind::search] > 2700);
  CHECK(seen[op_kind::search] < 3300);
  CHECK(seen[op_kind::get_message] > 700);
}

TEST_CASE("an agent that knows no message searches first", "[load][workload]") {
  auto o = default_options();
  agent_state st(1);
  for (auto op : {op_kind::get_message, op_kind::get_message_raw}) {
    auto call = plan_call(op, st, o);
    CHECK(call.op == op_kind::search);
    CHECK(call.operation == "imap_search_messages");
    CHECK_FALSE(call.target);
  }
}

TEST_CASE("search answers teach message ids and the cursor", "[load][workload]") {
  agent_state st(1);
  json page = {{"data",
                {{"status", "ok"},
                 {"messages",
                  {{{"message_id", "imap:default:INBOX:7:10"},
                    {"uid", 10},
                    {"uidvalidity", 7},
                    {"has_attachments", false}},
                   {{"message_id", "imap:default:INBOX:7:9"},
                    {"uid", 9},
                    {"uidvalidity", 7},
                    {"has_attachments", true}}}},
                 {"next_cursor", "CUR"},
                 {"has_more", true}}}};
  learn_from_search(st, page);
  REQUIRE(st.messages.size() == 2);
  CHECK(st.uidvalidity == 7);
  CHECK(st.cursor == std::optional<std::string>("CUR"));

  auto o = default_options();
  o.page_fraction = 1;
  auto call = plan_call(op_kind::search, st, o);
  CHECK(call.cursor_page);
  CHECK(call.operation == "imap_search_messages+cursor");
  auto params = tool_call_params(call, st, o);
  CHECK(params["name"] == "imap_search_messages");
  CHECK(params["arguments"]["cursor"] == "CUR");
  CHECK(params["arguments"]["limit"] == 20);

  // PDF extraction prefers the message with attachments.
  o.pdf_fraction = 1;
  for (int i = 0; i < 20; ++i) {
    auto get = plan_call(op_kind::get_message, st, o);
    CHECK(get.operation == "imap_get_message+pdf");
    REQUIRE(get.target);
    CHECK(get.target->uid == 9);
    CHECK(tool_call_params(get, st, o)["arguments"]["extract_attachment_text"] == true);
  }

  // The last page clears the cursor.
  learn_from_search(
      st,
      json{{"data", {{"messages", json::array()}, {"next_cursor", nullptr}, {"has_more", false}}}});
  CHECK_FALSE(st.cursor);
  CHECK(st.messages.size() == 2); // an empty page keeps what the agent knew
  CHECK_FALSE(plan_call(op_kind::search, st, o).cursor_page);
}

TEST_CASE("a pinned --message-uid is read once the UIDVALIDITY is known", "[load][workload]") {
  auto o = *parse_options({"--message-uid", "1001", "--pdf-fraction", "0"});
  agent_state st(1);
  CHECK(plan_call(op_kind::get_message, st, o).op == op_kind::search);
  st.uidvalidity = 55;
  auto call = plan_call(op_kind::get_message_raw, st, o);
  REQUIRE(call.target);
  CHECK(call.target->message_id == "imap:default:INBOX:55:1001");
  auto params = tool_call_params(call, st, o);
  CHECK(params["arguments"]["max_bytes"] == 200000);
  CHECK(params["arguments"]["message_id"] == "imap:default:INBOX:55:1001");
}

TEST_CASE("the write mix toggles the keyword", "[load][workload]") {
  auto o = *parse_options({"--allow-writes", "--mix", "flags=1"});
  agent_state st(1);
  st.messages.push_back({"imap:default:INBOX:7:3", 7, 3, false});
  st.uidvalidity = 7;
  auto first = plan_call(op_kind::update_flags, st, o);
  CHECK(first.add_keyword);
  CHECK(tool_call_params(first, st, o)["arguments"]["add_flags"] == json::array({"$LoadTest"}));
  st.keyword_set[3] = true;
  auto second = plan_call(op_kind::update_flags, st, o);
  CHECK_FALSE(second.add_keyword);
  CHECK(tool_call_params(second, st, o)["arguments"]["remove_flags"] == json::array({"$LoadTest"}));
}

TEST_CASE("an error is retryable only when the answer says so", "[load][workload]") {
  auto hard = [](json details) {
    json body = {{"error", {{"code", "timeout"}, {"message", "m"}, {"details", details}}}};
    return tool_result({{"isError", true}, {"content", {{{"type", "text"}, {"text", body.dump()}}}}});
  };
  auto failed = [](json issues) {
    return tool_result(
        {{"structuredContent", {{"data", {{"status", "failed"}, {"issues", issues}}}}}});
  };
  json retry = {{"code", "timeout"}, {"retryable", true}};
  json final = {{"code", "not_found"}, {"retryable", false}};
  struct row {
    const char* name;
    json response;
    bool retryable;
  };
  const std::vector<row> rows = {
      {"hard, details.retryable true", hard({{"retryable", true}}), true},
      {"hard, details.retryable false", hard({{"retryable", false}}), false},
      {"hard, no retryable", hard(json::object()), false},
      {"hard, retryable as a string", hard({{"retryable", "true"}}), false},
      {"soft, every issue retryable", failed(json::array({retry, retry})), true},
      {"soft, one issue not retryable", failed(json::array({retry, final})), false},
      {"soft, issue without retryable", failed(json::array({{{"code", "timeout"}}})), false},
      {"soft, no issues", failed(json::array()), false},
      {"JSON-RPC error",
       json{{"jsonrpc", "2.0"}, {"id", 1}, {"error", {{"code", -32603}, {"message", "x"}}}},
       false},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto c = classify_tool_response(r.response);
    CHECK_FALSE(c.error.empty());
    CHECK(c.retryable == r.retryable);
  }
}
