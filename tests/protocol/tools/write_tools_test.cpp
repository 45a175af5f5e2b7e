// Write tools: argument rules (before any IMAP traffic), the write gate and the confirm rule as
// a client sees them through the dispatcher, and the IMAP conversations against a scripted
// server (exact wire bytes: nothing else may be sent).
#include <catch2/catch.hpp>

#include <memory>

#include "protocol/imap/client.hpp"
#include "protocol/mcp/dispatcher.hpp"
#include "protocol/tools/catalog.hpp"
#include "protocol/tools/registry.hpp"
#include "protocol/tools/write_tools.hpp"
#include "tests/protocol/imap/scripted_stream.hpp"

using namespace imap_mcp;
using namespace imap_mcp::tools;
using imap_mcp::imap::testing::scripted_stream;
using step = scripted_stream::step;
using json = nlohmann::json;

namespace {

const char* id1 = "imap:default:INBOX:77:5";
const char* id2 = "imap:default:INBOX:77:9";

const std::vector<std::string> write_tools = {"imap_update_message_flags", "imap_copy_message",
                                              "imap_move_message", "imap_delete_message",
                                              "imap_manage_mailbox"};

std::string error_text(const failure& f) { return f.full_message(); }

// ---- dispatcher ---------------------------------------------------------------------------

mcp::dispatcher make_dispatcher(bool write_enabled) {
  mcp::server_options o;
  o.version = "0.0.0";
  o.write_enabled = write_enabled;
  o.limits = {4 * 1024 * 1024, 64};
  return mcp::dispatcher(builtin_registry(), o);
}

std::string call_line(const std::string& tool, const json& arguments, int id = 7) {
  return json{{"jsonrpc", "2.0"},
              {"id", id},
              {"method", "tools/call"},
              {"params", {{"name", tool}, {"arguments", arguments}}}}
    .dump();
}

/// The hard error message of a reply, or "" when the call was accepted for running.
std::string dispatcher_error(mcp::dispatcher& d, const std::string& tool, const json& arguments,
                             mcp::effects* out = nullptr) {
  auto fx = d.handle(call_line(tool, arguments));
  if (out) *out = fx;
  if (fx.replies.empty()) return "";
  auto reply = json::parse(fx.replies.front());
  REQUIRE(reply["result"]["isError"] == true);
  auto body = json::parse(reply["result"]["content"][0]["text"].get<std::string>());
  return body["error"]["message"].get<std::string>();
}

// ---- scripted IMAP ------------------------------------------------------------------------

const std::string caps_full = "IMAP4rev1 LITERAL+ UIDPLUS MOVE ESEARCH SPECIAL-USE";

struct harness {
  scripted_stream* server = nullptr;
  std::unique_ptr<imap::client> imap;
};

/// A logged-in client over a scripted server; `more` starts at tag A2.
harness logged_in(std::vector<step> more, const std::string& caps = caps_full) {
  std::vector<step> steps = {{"A1 LOGIN \"u\" \"p\"\r\n", "A1 OK [CAPABILITY " + caps + "] Logged in\r\n"}};
  for (auto& s : more) steps.push_back(std::move(s));
  auto s = std::make_unique<scripted_stream>("* OK ready\r\n", std::move(steps));
  harness h;
  h.server = s.get();
  h.imap = std::make_unique<imap::client>(std::move(s));
  REQUIRE(h.imap->read_greeting());
  REQUIRE(h.imap->login("u", "p"));
  return h;
}

std::string select_reply(const std::string& tag, std::uint32_t uidvalidity) {
  return "* 3 EXISTS\r\n* OK [UIDVALIDITY " + std::to_string(uidvalidity) + "] ok\r\n* OK [UIDNEXT 20] ok\r\n" +
         tag + " OK [READ-WRITE] Select completed\r\n";
}

flag_args flags_for(std::vector<std::string> ids, std::vector<std::string> add, std::vector<std::string> remove) {
  json a = {{"message_ids", ids}};
  if (!add.empty()) a["add_flags"] = add;
  if (!remove.empty()) a["remove_flags"] = remove;
  auto parsed = parse_flag_args(a);
  REQUIRE(parsed);
  return *parsed;
}

} // namespace

// ---- argument rules -------------------------------------------------------------------------

TEST_CASE("message_id or message_ids: exactly one, same account and mailbox, duplicates removed") {
  struct row {
    json args;
    std::string error; // empty: accepted
  };
  std::vector<std::string> too_many;
  for (int i = 1; i <= 251; ++i) too_many.push_back("imap:default:INBOX:77:" + std::to_string(i));
  auto r = GENERATE_COPY(
    row{json::object(), "invalid input: message_id or message_ids is required"},
    row{{{"message_id", id1}, {"message_ids", {id2}}}, "invalid input: send either message_id or message_ids, not both"},
    row{{{"message_ids", json::array()}}, "invalid input: message_ids must hold 1..250 ids"},
    row{{{"message_ids", too_many}}, "invalid input: message_ids must hold 1..250 ids"},
    row{{{"message_ids", {id1, "imap:default:Archive:77:9"}}},
        "invalid input: all message_ids must belong to the same account and mailbox (message_ids[1] differs from "
        "message_ids[0])"},
    row{{{"message_ids", {id1, "imap:work:INBOX:77:9"}}},
        "invalid input: all message_ids must belong to the same account and mailbox (message_ids[1] differs from "
        "message_ids[0])"},
    row{{{"message_ids", {id1, "imap:default:INBOX:77:0"}}},
        "invalid input: message_ids[1]: message_id has an invalid uid (an integer 1..4294967295 is expected)"},
    row{{{"message_id", id1}, {"account_id", "work"}},
        "invalid input: account_id 'work' does not match the account in the message ids ('default')"},
    row{{{"message_id", id1}, {"account_id", "default"}}, ""},
    row{{{"message_ids", {id1}}}, ""});
  CAPTURE(r.args.dump());
  auto b = parse_message_batch(r.args);
  if (r.error.empty()) {
    REQUIRE(b);
    REQUIRE(b->refs.size() == 1);
    CHECK(b->account_id == "default");
    CHECK(b->mailbox == "INBOX");
    CHECK(b->refs[0].uid == 5u);
  } else {
    REQUIRE_FALSE(b);
    CHECK(b.error().code == error_code::invalid_input);
    CHECK(error_text(b.error()) == r.error);
  }
}

TEST_CASE("duplicate message ids are removed, order kept - 250 is the limit") {
  auto b = parse_message_batch({{"message_ids", {id2, id1, id2, id1}}});
  REQUIRE(b);
  REQUIRE(b->refs.size() == 2);
  CHECK(b->refs[0].uid == 9u);
  CHECK(b->refs[1].uid == 5u);
  std::vector<std::string> ids;
  for (int i = 1; i <= 250; ++i) ids.push_back("imap:default:INBOX:77:" + std::to_string(i));
  auto full = parse_message_batch({{"message_ids", ids}});
  REQUIRE(full);
  CHECK(full->refs.size() == 250);
}

TEST_CASE("flags: the five system flags and keyword atoms only") {
  struct row {
    std::string flag;
    std::string canonical; // empty: rejected
  };
  auto r = GENERATE(row{"\\Seen", "\\Seen"}, row{"\\seen", "\\Seen"}, row{"\\ANSWERED", "\\Answered"},
                    row{"\\Flagged", "\\Flagged"}, row{"\\Deleted", "\\Deleted"}, row{"\\Draft", "\\Draft"},
                    row{"$Forwarded", "$Forwarded"}, row{"Important", "Important"},
                    row{"a.b-c_D9", "a.b-c_D9"}, row{"$" + std::string(64, 'k'), "$" + std::string(64, 'k')},
                    row{"\\Recent", ""}, row{"\\*", ""}, row{"\\Custom", ""},
                    row{"\\Seen) UID FETCH 1:* (BODY[]", ""}, row{"\\Seen\r\nA1 LOGOUT", ""},
                    row{"a\nb", ""}, row{"\"quoted\"", ""}, row{"{5}", ""}, row{"br{ce", ""},
                    row{"", ""}, row{"$", ""}, row{std::string(65, 'k'), ""}, row{"two words", ""},
                    row{"Entwürfe", ""}, row{"50%", ""}, row{"a*", ""}, row{"(x)", ""});
  CAPTURE(r.flag);
  auto f = validate_flag(r.flag);
  if (r.canonical.empty()) {
    REQUIRE_FALSE(f);
    CHECK(f.error().code == error_code::invalid_input);
    CHECK_THAT(error_text(f.error()),
               Catch::StartsWith("invalid input: flag '") &&
                 Catch::Contains("valid system flags are \\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft"));
    // The hostile text never reaches the message raw (no CR/LF in errors).
    CHECK(error_text(f.error()).find_first_of("\r\n") == std::string::npos);
  } else {
    REQUIRE(f);
    CHECK(*f == r.canonical);
  }
}

TEST_CASE("update flags needs at least one valid list, 1..20 flags each, no contradiction") {
  struct row {
    json args;
    std::string error;
  };
  std::vector<std::string> many;
  for (int i = 0; i < 21; ++i) many.push_back("k" + std::to_string(i));
  auto r = GENERATE_COPY(
    row{{{"message_id", id1}}, "invalid input: at least one of add_flags or remove_flags is required"},
    row{{{"message_id", id1}, {"add_flags", json::array()}}, "invalid input: add_flags must hold 1..20 flags"},
    row{{{"message_id", id1}, {"remove_flags", many}}, "invalid input: remove_flags must hold 1..20 flags"},
    row{{{"message_id", id1}, {"add_flags", {"\\Seen"}}, {"remove_flags", {"\\seen"}}},
        "invalid input: flag '\\Seen' is both in add_flags and remove_flags"},
    row{{{"message_id", id1}, {"add_flags", {"\\Recent"}}},
        "invalid input: add_flags[0]: flag '\\Recent' is not allowed; valid system flags are \\Seen, \\Answered, \\Flagged, "
        "\\Deleted, \\Draft; keywords must match ^\\$?[A-Za-z0-9_.-]{1,64}$"},
    // Flags are checked before the ids, and both before any IMAP traffic.
    row{{{"add_flags", {"\\Seen) UID FETCH 1:* (BODY[]"}}}, "invalid input: add_flags[0]: flag '\\Seen) UID FETCH 1:* (BODY[]' is "
                                                            "not allowed; valid system flags are \\Seen, \\Answered, "
                                                            "\\Flagged, \\Deleted, \\Draft; keywords must match "
                                                            "^\\$?[A-Za-z0-9_.-]{1,64}$"});
  CAPTURE(r.args.dump());
  auto a = parse_flag_args(r.args);
  REQUIRE_FALSE(a);
  CHECK(error_text(a.error()) == r.error);
}

TEST_CASE("update flags canonicalizes and de-duplicates") {
  auto a = parse_flag_args({{"message_id", id1}, {"add_flags", {"\\seen", "\\SEEN", "$Label"}}});
  REQUIRE(a);
  CHECK(a->add_flags == std::vector<std::string>{"\\Seen", "$Label"});
  CHECK(a->remove_flags.empty());
}

TEST_CASE("delete needs the JSON literal true in confirm") {
  auto confirm = GENERATE(json(false), json("true"), json(1), json(nullptr), json("yes"), json::array({true}),
                          json::object({{"confirm", true}}));
  CAPTURE(confirm.dump());
  auto a = parse_delete_args({{"message_id", id1}, {"confirm", confirm}});
  REQUIRE_FALSE(a);
  CHECK(error_text(a.error()) == "invalid input: delete requires confirm=true");
  auto missing = parse_delete_args({{"message_id", id1}});
  REQUIRE_FALSE(missing);
  CHECK(error_text(missing.error()) == "invalid input: delete requires confirm=true");
  auto ok = parse_delete_args({{"message_id", id1}, {"confirm", true}});
  REQUIRE(ok);
  CHECK(ok->refs.size() == 1);
}

TEST_CASE("copy and move destinations") {
  struct row {
    const char* tool;
    json extra;
    std::string error;
  };
  auto r = GENERATE(
    row{"move", {{"destination_mailbox", "INBOX"}}, "invalid input: destination_mailbox must differ from the source mailbox"},
    row{"move", {{"destination_mailbox", "inbox"}}, "invalid input: destination_mailbox must differ from the source mailbox"},
    row{"move", {{"destination_mailbox", "Archive"}, {"destination_account_id", "work"}},
        "invalid input: imap_move_message works within one account; use imap_copy_message with "
        "destination_account_id across accounts"},
    row{"copy", {{"destination_mailbox", "INBOX"}},
        "invalid input: destination_mailbox must differ from the source mailbox for a copy within one account"},
    row{"copy", json::object(), "invalid input: destination_mailbox is required"},
    row{"copy", {{"destination_mailbox", "A\r\nA2 DELETE INBOX"}},
        "invalid input: destination_mailbox must not contain control characters"},
    row{"copy", {{"destination_mailbox", "Evil\" DELETE \"INBOX"}},
        "invalid input: destination_mailbox must not contain quotes or braces"},
    row{"move", {{"destination_mailbox", "{12}"}}, "invalid input: destination_mailbox must not contain quotes or braces"},
    row{"copy", {{"destination_mailbox", "Archive"}, {"destination_account_id", "bad id"}},
        "invalid input: destination_account_id must be 1..64 characters of A-Z a-z 0-9 _ -"});
  json args = r.extra;
  args["message_id"] = id1;
  CAPTURE(args.dump());
  auto a = std::string(r.tool) == "move" ? parse_move_args(args) : parse_copy_args(args);
  REQUIRE_FALSE(a);
  CHECK(error_text(a.error()) == r.error);
}

TEST_CASE("copy to the same mailbox of another account is a cross-account copy") {
  auto a = parse_copy_args({{"message_id", id1}, {"destination_mailbox", "INBOX"}, {"destination_account_id", "work"}});
  REQUIRE(a);
  CHECK(a->cross_account());
  CHECK(a->destination_account_id == "work");
  auto same = parse_copy_args({{"message_id", id1}, {"destination_mailbox", "Archive"}});
  REQUIRE(same);
  CHECK_FALSE(same->cross_account());
  CHECK(same->destination_account_id == "default");
  auto named_same = parse_move_args({{"message_id", id1}, {"destination_mailbox", "Entwürfe/2024"}});
  REQUIRE(named_same);
  CHECK(named_same->destination_mailbox == "Entwürfe/2024");
}

TEST_CASE("manage_mailbox argument rules") {
  struct row {
    json args;
    std::string error;
  };
  auto r = GENERATE(
    row{{{"action", "rename"}, {"mailbox", "A"}}, "invalid input: destination_mailbox is required for action=rename"},
    row{{{"action", "create"}, {"mailbox", "A"}, {"destination_mailbox", "B"}},
        "invalid input: destination_mailbox is only used with action=rename"},
    row{{{"action", "rename"}, {"mailbox", "A"}, {"destination_mailbox", "A"}},
        "invalid input: destination_mailbox must differ from mailbox"},
    row{{{"action", "purge"}, {"mailbox", "A"}}, "invalid input: action must be one of: create, rename, delete"},
    row{{{"action", "create"}, {"mailbox", "x\ny"}}, "invalid input: mailbox must not contain control characters"},
    row{{{"action", "create"}, {"mailbox", "a\"b"}}, "invalid input: mailbox must not contain quotes or braces"},
    row{{{"action", "delete"}, {"mailbox", "}"}}, "invalid input: mailbox must not contain quotes or braces"},
    row{{{"action", "create"}, {"mailbox", std::string(257, 'm')}}, "invalid input: mailbox must be 1..256 characters"});
  CAPTURE(r.args.dump());
  auto a = parse_mailbox_args(r.args);
  REQUIRE_FALSE(a);
  CHECK(error_text(a.error()) == r.error);
  auto ok = parse_mailbox_args({{"action", "rename"}, {"mailbox", "A"}, {"destination_mailbox", "B"}, {"account_id", "w"}});
  REQUIRE(ok);
  CHECK(ok->action == mailbox_action::rename);
  CHECK(ok->account_id == "w");
}

// ---- the gate, the schema and the confirm rule through the dispatcher ------------------------

TEST_CASE("write gate closed: every write tool gives the exact error, whatever the arguments") {
  auto d = make_dispatcher(false);
  for (const auto& tool : write_tools) {
    for (const json& args : {json::object(), json{{"message_id", id1}, {"confirm", true}, {"add_flags", {"\\Seen"}}},
                             json{{"bogus", 1}}}) {
      CAPTURE(tool, args.dump());
      mcp::effects fx;
      CHECK(dispatcher_error(d, tool, args, &fx) ==
            "invalid input: write tools are disabled; set MAIL_IMAP_WRITE_ENABLED=true");
      CHECK(fx.calls.empty());
    }
  }
}

TEST_CASE("gate open: delete without confirm=true reaches the tool and gives the exact error") {
  auto d = make_dispatcher(true);
  for (const json& confirm : {json(false), json("true"), json(1), json(nullptr), json::array()}) {
    CAPTURE(confirm.dump());
    json args = {{"message_id", id1}, {"confirm", confirm}};
    mcp::effects fx;
    CHECK(dispatcher_error(d, "imap_delete_message", args, &fx).empty());
    REQUIRE(fx.calls.size() == 1);
    auto parsed = parse_delete_args(fx.calls[0].arguments);
    REQUIRE_FALSE(parsed);
    CHECK(error_text(parsed.error()) == "invalid input: delete requires confirm=true");
  }
  mcp::effects fx;
  CHECK(dispatcher_error(d, "imap_delete_message", {{"message_id", id1}}, &fx).empty());
  REQUIRE(fx.calls.size() == 1);
  CHECK(error_text(parse_delete_args(fx.calls[0].arguments).error()) == "invalid input: delete requires confirm=true");
}

TEST_CASE("gate open: CR/LF in flags or mailbox names never reaches a tool") {
  auto d = make_dispatcher(true);
  struct row {
    const char* tool;
    json args;
  };
  auto r = GENERATE(row{"imap_update_message_flags", {{"message_id", id1}, {"add_flags", {"\\Seen\r\nA9 LOGOUT"}}}},
                    row{"imap_copy_message", {{"message_id", id1}, {"destination_mailbox", "X\r\nA9 DELETE INBOX"}}},
                    row{"imap_manage_mailbox", {{"action", "create"}, {"mailbox", "X\nY"}}},
                    row{"imap_move_message", {{"message_id", id1}, {"destination_mailbox", "A"}, {"extra", 1}}});
  CAPTURE(r.tool, r.args.dump());
  mcp::effects fx;
  CHECK_THAT(dispatcher_error(d, r.tool, r.args, &fx), Catch::StartsWith("invalid input: "));
  CHECK(fx.calls.empty());
}

TEST_CASE("tools/list: write tools are gated, not read-only - delete destructive - flags idempotent") {
  const auto& reg = builtin_registry();
  for (const auto& name : write_tools) {
    const auto* def = reg.find(name);
    REQUIRE(def != nullptr);
    CAPTURE(name);
    CHECK(def->write);
    auto j = def->to_json();
    CHECK(j["annotations"]["readOnlyHint"] == false);
    CHECK(j["inputSchema"]["additionalProperties"] == false);
    CHECK(j["inputSchema"]["type"] == "object");
  }
  CHECK(reg.find("imap_delete_message")->to_json()["annotations"]["destructiveHint"] == true);
  CHECK(reg.find("imap_update_message_flags")->to_json()["annotations"]["idempotentHint"] == true);
  CHECK(reg.find("imap_copy_message")->to_json()["annotations"]["destructiveHint"] == false);
  auto desc = reg.find("imap_delete_message")->description;
  CHECK(desc.find("IRREVERSIBLE") != std::string::npos);
  CHECK_FALSE(reg.find("imap_delete_message")->input_schema["properties"]["confirm"].contains("type"));
}

// ---- IMAP conversations ------------------------------------------------------------------

TEST_CASE("flags: STORE .SILENT per message, then the resulting flags - progress per message") {
  auto h = logged_in({
    {"A2 SELECT INBOX\r\n", select_reply("A2", 77)},
    {"A3 UID STORE 5 +FLAGS.SILENT (\\Seen $Label)\r\n", "A3 OK Store completed\r\n"},
    {"A4 UID STORE 5 -FLAGS.SILENT (\\Flagged)\r\n", "A4 OK Store completed\r\n"},
    {"A5 UID FETCH 5 (UID FLAGS)\r\n", "* 1 FETCH (UID 5 FLAGS (\\Seen \\Recent $Label))\r\nA5 OK done\r\n"},
    {"A6 UID STORE 9 +FLAGS.SILENT (\\Seen $Label)\r\n", "A6 OK Store completed\r\n"},
    {"A7 UID STORE 9 -FLAGS.SILENT (\\Flagged)\r\n", "A7 OK Store completed\r\n"},
    // UID 9 is gone: STORE said OK, FETCH finds nothing.
    {"A8 UID FETCH 9 (UID FLAGS)\r\n", "A8 OK done\r\n"},
  });
  std::vector<std::pair<std::size_t, std::size_t>> progress;
  batch_hooks hooks;
  hooks.progress = [&](std::size_t done, std::size_t total, const std::string&) { progress.emplace_back(done, total); };
  auto out = update_message_flags(*h.imap, flags_for({id1, id2}, {"\\seen", "$Label"}, {"\\Flagged"}), hooks);
  INFO(h.server->mismatch());
  REQUIRE(out);
  CHECK(h.server->finished());
  const auto& data = out->data;
  CHECK(data["status"] == "partial");
  REQUIRE(data["results"].size() == 2);
  CHECK(data["results"][0]["message_id"] == id1);
  CHECK(data["results"][0]["status"] == "ok");
  CHECK(data["results"][0]["flags"] == json({"\\Seen", "$Label"}));
  CHECK(data["results"][1]["status"] == "failed");
  CHECK(data["results"][1]["issues"][0]["code"] == "not_found");
  CHECK(data["issues"].size() == 1);
  CHECK(data["issues"][0]["uid"] == 9);
  CHECK(data["succeeded"] == 1);
  CHECK(data["failed"] == 1);
  CHECK(out->summary == "updated flags on 1 of 2 message(s); 1 failed");
  CHECK(progress == std::vector<std::pair<std::size_t, std::size_t>>{{1, 2}, {2, 2}});
}

TEST_CASE("a stale uidvalidity is the exact conflict, before any change") {
  auto h = logged_in({{"A2 SELECT INBOX\r\n", select_reply("A2", 78)}});
  auto out = update_message_flags(*h.imap, flags_for({id1}, {"\\Seen"}, {}), {});
  REQUIRE_FALSE(out);
  CHECK(out.error().code == error_code::conflict);
  CHECK(error_text(out.error()) == "conflict: message uidvalidity no longer matches mailbox");
  CHECK(h.server->finished());
  CHECK(h.server->mismatch().empty());
}

TEST_CASE("a cached selection is refreshed so the uidvalidity check is live") {
  auto h = logged_in({
    {"A2 SELECT INBOX\r\n", select_reply("A2", 77)},
    // The second write on the same connection: EXAMINE then SELECT, never the cached state.
    {"A3 EXAMINE INBOX\r\n", "* OK [UIDVALIDITY 78] x\r\nA3 OK [READ-ONLY] done\r\n"},
    {"A4 SELECT INBOX\r\n", select_reply("A4", 78)},
  });
  message_batch batch{"default", "INBOX", {*parse_message_id(id1)}};
  REQUIRE(open_batch_mailbox(*h.imap, batch, false));
  auto again = open_batch_mailbox(*h.imap, batch, false);
  REQUIRE_FALSE(again);
  CHECK(error_text(again.error()) == "conflict: message uidvalidity no longer matches mailbox");
  CHECK(h.server->finished());
}

TEST_CASE("delete expunges exactly the requested UIDs") {
  auto h = logged_in({
    {"A2 SELECT INBOX\r\n", select_reply("A2", 77)},
    {"A3 UID FETCH 5,9 (UID FLAGS)\r\n", "* 2 FETCH (UID 5 FLAGS (\\Seen))\r\nA3 OK done\r\n"},
    {"A4 UID STORE 5 +FLAGS.SILENT (\\Deleted)\r\n", "A4 OK done\r\n"},
    {"A5 UID EXPUNGE 5\r\n", "* 2 EXPUNGE\r\nA5 OK done\r\n"},
  });
  auto batch = parse_delete_args({{"message_ids", {id1, id2}}, {"confirm", true}});
  REQUIRE(batch);
  auto out = delete_messages(*h.imap, *batch, {});
  INFO(h.server->mismatch());
  REQUIRE(out);
  CHECK(h.server->finished());
  CHECK(h.server->written().find(" EXPUNGE\r\n") == std::string::npos); // never a bare EXPUNGE
  CHECK(out->data["results"][0]["status"] == "ok");
  CHECK(out->data["results"][1]["status"] == "failed");
  CHECK(out->data["results"][1]["issues"][0]["code"] == "not_found");
  CHECK(out->summary == "deleted 1 of 2 message(s); 1 failed");
}

TEST_CASE("delete without UIDPLUS changes nothing and says why") {
  auto h = logged_in({{"A2 SELECT INBOX\r\n", select_reply("A2", 77)}}, "IMAP4rev1 LITERAL+ MOVE");
  auto batch = parse_delete_args({{"message_ids", {id1, id2}}, {"confirm", true}});
  REQUIRE(batch);
  auto out = delete_messages(*h.imap, *batch, {});
  REQUIRE(out);
  CHECK(h.server->finished());
  CHECK(h.server->mismatch().empty());
  CHECK(out->data["status"] == "failed");
  CHECK(out->data["succeeded"] == 0);
  CHECK_THAT(out->data["issues"][0]["message"].get<std::string>(), Catch::Contains("UIDPLUS"));
  CHECK(out->summary == "no message deleted: the server lacks UIDPLUS");
}

TEST_CASE("move: UID MOVE per message, COPYUID gives new_message_id, flags kept") {
  auto h = logged_in({
    {"A2 SELECT INBOX\r\n", select_reply("A2", 77)},
    {"A3 STATUS Archive (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)\r\n",
     "* STATUS Archive (MESSAGES 1 UIDNEXT 4 UIDVALIDITY 500 UNSEEN 0)\r\nA3 OK done\r\n"},
    {"A4 UID FETCH 5 (UID FLAGS)\r\n", "* 1 FETCH (UID 5 FLAGS (\\Flagged $Work))\r\nA4 OK done\r\n"},
    {"A5 UID MOVE 5 Archive\r\n", "* OK [COPYUID 500 5 4] Moved\r\n* 1 EXPUNGE\r\nA5 OK Move completed\r\n"},
  });
  auto args = parse_move_args({{"message_id", id1}, {"destination_mailbox", "Archive"}});
  REQUIRE(args);
  auto out = move_messages(*h.imap, *args, {});
  INFO(h.server->mismatch());
  REQUIRE(out);
  CHECK(h.server->finished());
  CHECK(out->data["status"] == "ok");
  CHECK(out->data["results"][0]["new_message_id"] == "imap:default:Archive:500:4");
  CHECK(out->data["results"][0]["flags"] == json({"\\Flagged", "$Work"}));
  CHECK(out->data["destination_mailbox"] == "Archive");
  CHECK(out->data["next_action"]["tool"] == "imap_search_messages");
  CHECK(out->summary == "moved 1 of 1 message(s) to 'Archive'");
}

TEST_CASE("a missing destination is a clear not_found before anything moves") {
  auto h = logged_in({
    {"A2 SELECT INBOX\r\n", select_reply("A2", 77)},
    {"A3 STATUS Nope (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)\r\n", "A3 NO Mailbox doesn't exist: Nope\r\n"},
  });
  auto args = parse_move_args({{"message_id", id1}, {"destination_mailbox", "Nope"}});
  REQUIRE(args);
  auto out = move_messages(*h.imap, *args, {});
  REQUIRE_FALSE(out);
  CHECK(error_text(out.error()) == "not found: destination mailbox 'Nope' does not exist");
  CHECK(h.server->finished());
}

TEST_CASE("cancellation stops before the next message") {
  auto h = logged_in({
    {"A2 SELECT INBOX\r\n", select_reply("A2", 77)},
    {"A3 UID STORE 5 +FLAGS.SILENT (\\Seen)\r\n", "A3 OK done\r\n"},
    {"A4 UID FETCH 5 (UID FLAGS)\r\n", "* 1 FETCH (UID 5 FLAGS (\\Seen))\r\nA4 OK done\r\n"},
  });
  int calls = 0;
  batch_hooks hooks;
  hooks.should_stop = [&]() -> std::optional<failure> {
    if (calls++ == 0) return std::nullopt;
    return make_failure(error_code::internal, "the call was cancelled before this message", "cancelled", true);
  };
  auto out = update_message_flags(*h.imap, flags_for({id1, id2}, {"\\Seen"}, {}), hooks);
  REQUIRE(out);
  CHECK(h.server->finished());
  CHECK(h.server->mismatch().empty());
  CHECK(out->data["results"][0]["status"] == "ok");
  CHECK(out->data["results"][1]["status"] == "skipped");
  CHECK(out->data["status"] == "partial");
  CHECK(out->data["skipped"] == 1);
}

TEST_CASE("create makes missing parents with the server's delimiter") {
  auto h = logged_in({
    {"A2 LIST \"\" \"%\" RETURN (SPECIAL-USE)\r\n",
     "* LIST (\\HasNoChildren) \".\" INBOX\r\n* LIST (\\HasChildren) \".\" A\r\nA2 OK done\r\n"},
    {"A3 LIST \"\" A RETURN (SPECIAL-USE)\r\n", "* LIST (\\HasChildren) \".\" A\r\nA3 OK done\r\n"},
    {"A4 LIST \"\" A.B RETURN (SPECIAL-USE)\r\n", "* LIST (\\NonExistent \\HasChildren) \".\" A.B\r\nA4 OK done\r\n"},
    {"A5 CREATE A.B\r\n", "A5 OK done\r\n"},
    {"A6 CREATE A.B.C\r\n", "A6 OK done\r\n"},
  });
  auto args = parse_mailbox_args({{"action", "create"}, {"mailbox", "A.B.C"}});
  REQUIRE(args);
  auto out = manage_mailbox(*h.imap, *args);
  INFO(h.server->mismatch());
  REQUIRE(out);
  CHECK(h.server->finished());
  CHECK(out->data["status"] == "ok");
  CHECK(out->data["created"] == json({"A.B", "A.B.C"}));
  CHECK(out->summary == "created mailbox 'A.B.C'");
}

TEST_CASE("deleting a mailbox surfaces the server's reason") {
  auto h = logged_in({{"A2 DELETE Parent\r\n", "A2 NO Mailbox has children, delete them first\r\n"}});
  auto args = parse_mailbox_args({{"action", "delete"}, {"mailbox", "Parent"}});
  REQUIRE(args);
  auto out = manage_mailbox(*h.imap, *args);
  REQUIRE(out);
  CHECK(out->data["status"] == "failed");
  CHECK_THAT(out->data["issues"][0]["message"].get<std::string>(),
             Catch::Contains("Mailbox has children, delete them first"));
  CHECK_THAT(out->summary, Catch::StartsWith("could not delete mailbox 'Parent'"));
}
