#include <catch2/catch.hpp>

#include "protocol/tools/ids.hpp"
#include "protocol/tools/search.hpp"

using namespace imap_mcp;
using json = nlohmann::json;

namespace {

tools::search_args args_of(const json& arguments) {
  auto parsed = tools::parse_search_args(arguments);
  REQUIRE(parsed);
  return *parsed;
}

} // namespace

TEST_CASE("a cursor is checked completely before any IMAP traffic") {
  tools::search_context ctx;
  ctx.cursor_key = "k-0123456789abcdef";
  ctx.now = 1'800'000'000;
  const auto first = args_of({{"mailbox", "INBOX"}, {"query", "invoice"}});
  tools::cursor_state state;
  state.account_id = "default";
  state.mailbox = "INBOX";
  state.uidvalidity = 7;
  state.criteria = tools::canonical_criteria(first);
  state.before_uid = 500;
  state.total = 900;
  state.expires_at = ctx.now + 600;
  const std::string cursor = tools::encode_cursor(state, ctx.cursor_key);

  SECTION("no cursor: nothing to check") {
    auto r = tools::check_cursor(first, ctx);
    REQUIRE(r);
    CHECK_FALSE(r->has_value());
  }
  SECTION("alone or with the same criteria: accepted, position kept") {
    for (const json& a : {json{{"mailbox", "INBOX"}, {"cursor", cursor}},
                          json{{"mailbox", "INBOX"}, {"query", "invoice"}, {"cursor", cursor}}}) {
      auto r = tools::check_cursor(args_of(a), ctx);
      REQUIRE(r);
      REQUIRE(r->has_value());
      CHECK((*r)->before_uid == 500);
      CHECK((*r)->uidvalidity == 7);
    }
  }
  SECTION("refused: forged, expired, other mailbox, other criteria, other key") {
    std::string forged = cursor;
    forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
    tools::search_context later = ctx;
    later.now = state.expires_at + 1;
    tools::search_context other_key = ctx;
    other_key.cursor_key = "another-key";
    struct row {
      json arguments;
      const tools::search_context* context;
      const char* message;
    } rows[] = {
      {{{"mailbox", "INBOX"}, {"cursor", forged}}, &ctx, "cursor is invalid or expired"},
      {{{"mailbox", "INBOX"}, {"cursor", cursor}}, &later, "cursor is invalid or expired"},
      {{{"mailbox", "INBOX"}, {"cursor", cursor}}, &other_key, "cursor is invalid or expired"},
      {{{"mailbox", "Archive"}, {"cursor", cursor}}, &ctx, "another account or mailbox"},
      {{{"mailbox", "INBOX"}, {"query", "receipt"}, {"cursor", cursor}}, &ctx, "different search criteria"},
    };
    for (const auto& r : rows) {
      INFO(r.arguments.dump());
      auto checked = tools::check_cursor(args_of(r.arguments), *r.context);
      REQUIRE_FALSE(checked);
      CHECK(checked.error().code == error_code::invalid_input);
      CHECK_THAT(checked.error().message, Catch::Contains(r.message));
    }
  }
}
