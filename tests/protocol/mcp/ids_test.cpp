#include <catch2/catch.hpp>

#include "protocol/tools/ids.hpp"
#include "protocol/tools/search.hpp"
#include "protocol/util/base64.hpp"
#include "protocol/util/dates.hpp"

using namespace imap_mcp;
using namespace imap_mcp::tools;
using json = nlohmann::json;

TEST_CASE("message ids parse from the right, so mailboxes may contain ':'") {
  auto r = parse_message_id("imap:work:Projects:2024:Q1:1795638338:42");
  REQUIRE(r);
  CHECK(r->account_id == "work");
  CHECK(r->mailbox == "Projects:2024:Q1");
  CHECK(r->uidvalidity == 1795638338u);
  CHECK(r->uid == 42u);
  CHECK(format_message_id(*r) == "imap:work:Projects:2024:Q1:1795638338:42");
  auto umlaut = parse_message_id("imap:default:Entwürfe:7:1");
  REQUIRE(umlaut);
  CHECK(umlaut->mailbox == "Entwürfe");
}

TEST_CASE("malformed message ids are invalid_input") {
  auto bad = GENERATE(as<std::string>{}, "", "imap", "imap:default:INBOX:1", "pop:default:INBOX:1:2",
                      "imap:default:INBOX:x:2", "imap:default:INBOX:1:0", "imap:default:INBOX:1:-2",
                      "imap:default:INBOX:4294967296:1", "imap:default:INBOX:1:4294967296",
                      "imap:bad account:INBOX:1:2", "imap:default::1:2", "imap::INBOX:1:2",
                      "imap:default:INBOX:1:2 ");
  CAPTURE(bad);
  auto r = parse_message_id(bad);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == error_code::invalid_input);
  CHECK(r.error().message.rfind("message_id", 0) == 0);
}

TEST_CASE("cursors are signed, immutable and expire") {
  cursor_state s;
  s.account_id = "default";
  s.mailbox = "INBOX";
  s.uidvalidity = 99;
  s.criteria = {{"from", "alice"}};
  s.before_uid = 500;
  s.total = 1234;
  s.expires_at = 2000;
  const std::string key(32, 'k');
  auto token = encode_cursor(s, key);
  auto back = decode_cursor(token, key, 1000);
  REQUIRE(back);
  CHECK(back->mailbox == "INBOX");
  CHECK(back->before_uid == 500u);
  CHECK(back->criteria == s.criteria);
  CHECK(back->total == 1234u);
  // Same input, same cursor: replay-safe and deterministic.
  CHECK(encode_cursor(s, key) == token);

  auto expect_invalid = [&](const std::string& t, std::string_view k, long long now) {
    auto r = decode_cursor(t, k, now);
    REQUIRE_FALSE(r);
    CHECK(r.error().full_message() == "invalid input: cursor is invalid or expired");
  };
  expect_invalid(token, key, 2000);                      // expired
  expect_invalid(token, std::string(32, 'x'), 1000);     // other key (another server)
  std::string tampered = token;
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  expect_invalid(tampered, key, 1000);                   // forged payload
  expect_invalid("not-a-cursor", key, 1000);
  expect_invalid("", key, 1000);
  expect_invalid(std::string(10000, 'a') + "." + "b", key, 1000);
}

// Found by tests/fuzz/ids.cpp: a payload under a valid signature (a leaked or reused key) with a
// string version escaped decode_cursor as nlohmann::type_error, a float number was converted
// with undefined behaviour, and negative numbers wrapped into huge UIDs.
TEST_CASE("signed cursors with wrongly typed fields are invalid, never an exception") {
  const std::string key(32, 'k');
  auto sign = [&](const std::string& payload) {
    const auto body = codec::base64url_encode(payload);
    return body + "." + codec::base64url_encode(codec::hmac_sha256(key, body));
  };
  const std::string good = R"("a":"default","m":"INBOX","c":{},"b":5,"t":9,"x":2000)";
  REQUIRE(decode_cursor(sign(R"({"v":1,"uv":7,)" + good + "}"), key, 1000));
  auto payload = GENERATE_COPY(
      std::string(R"({"v":"1","uv":7,)") + good + "}",     // version of the wrong type
      std::string(R"({"v":1.0,"uv":7,)") + good + "}",     // version as a float
      std::string(R"({"v":1,"uv":1e300,)") + good + "}",   // float out of range
      std::string(R"({"v":1,"uv":-1,)") + good + "}",      // negative: would wrap
      std::string(R"({"v":1,"uv":4294967296,)") + good + "}", // over 32 bits
      std::string(R"({"v":1,"uv":7,"a":"default","m":"INBOX","c":{},"b":5,"t":-9,"x":2000})"),
      std::string(R"({"v":1,"uv":7,"a":"default","m":"INBOX","c":{},"b":5,"t":9,"x":1e300})"),
      std::string(R"({"v":1,"uv":7,"a":"default","m":"INBOX","c":{},"b":5,"t":9,)"
                  R"("x":18446744073709551615})"),
      std::string(R"({"v":1,"uv":7,"a":1,"m":"INBOX","c":{},"b":5,"t":9,"x":2000})"));
  CAPTURE(payload);
  auto r = decode_cursor(sign(payload), key, 1000);
  REQUIRE_FALSE(r);
  CHECK(r.error().full_message() == "invalid input: cursor is invalid or expired");
}

TEST_CASE("search arguments: run-time rules") {
  struct row {
    const char* args;
    const char* problem; // empty: valid
  };
  auto r = GENERATE(row{R"({"mailbox":"INBOX"})", ""},
                    row{R"({"mailbox":"INBOX","last_days":7,"start_date":"2024-01-01"})", "last_days cannot be combined"},
                    row{R"({"mailbox":"INBOX","start_date":"2024-02-30"})", "start_date must be a calendar date"},
                    row{R"({"mailbox":"INBOX","start_date":"2024-03-02","end_date":"2024-03-01"})", "start_date must not be after end_date"},
                    row{R"({"mailbox":"INBOX","start_date":"2024-03-01","end_date":"2024-03-01"})", ""},
                    row{R"({"mailbox":"INBOX","snippet_max_chars":100})", "snippet_max_chars requires include_snippet=true"},
                    row{R"({"mailbox":"INBOX","snippet_max_chars":100,"include_snippet":true})", ""});
  CAPTURE(r.args);
  auto parsed = parse_search_args(json::parse(r.args));
  if (std::string(r.problem).empty()) {
    CHECK(parsed);
  } else {
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message.find(r.problem) != std::string::npos);
  }
}

TEST_CASE("search criteria: inclusive dates, UTF-8 literals, nothing injectable") {
  auto args = parse_search_args(json::parse(
    R"({"mailbox":"INBOX","from":"Grüße","subject":"x\" OR ALL","start_date":"2024-01-31","end_date":"2024-02-29","unread_only":true})"));
  REQUIRE(args);
  bool utf8 = false;
  auto b = build_criteria(*args, dates::ymd{2024, 6, 1}, utf8);
  CHECK(utf8);
  auto cmd = b.build(imap::literal_mode::synchronizing);
  REQUIRE(cmd);
  std::string wire;
  for (const auto& seg : cmd->segments) wire += seg;
  CHECK(wire.find("SINCE 31-Jan-2024") != std::string::npos);
  CHECK(wire.find("BEFORE 1-Mar-2024") != std::string::npos); // end date inclusive
  CHECK(wire.find("UNSEEN") != std::string::npos);
  CHECK(wire.find("SUBJECT \"x\\\" OR ALL\"") != std::string::npos);
  CHECK(wire.find("FROM {7}\r\n") != std::string::npos); // non-ASCII as a literal

  auto none = parse_search_args(json::parse(R"({"mailbox":"INBOX"})"));
  auto all = build_criteria(*none, dates::ymd{2024, 6, 1}, utf8);
  CHECK_FALSE(utf8);
  auto all_cmd = all.build(imap::literal_mode::synchronizing);
  REQUIRE(all_cmd);
  CHECK(all_cmd->segments.front().find("ALL") != std::string::npos);
}

TEST_CASE("dates") {
  CHECK(dates::parse_rfc5322("Tue, 1 Jul 2003 10:52:37 +0200") == 1057049557LL);
  CHECK(dates::parse_rfc5322("1 Jul 2003 10:52:37 GMT") == 1057056757LL);
  CHECK(dates::parse_rfc5322("Tue, 01 Oct 2024 09:20:00 +0200 (CEST)") == 1727767200LL);
  CHECK_FALSE(dates::parse_rfc5322("yesterday"));
  CHECK(dates::parse_internaldate("17-Jul-1996 02:44:25 -0700") == 837596665LL);
  CHECK(dates::parse_internaldate(" 1-Feb-2024 00:00:00 +0000") == 1706745600LL);
  CHECK(dates::imap_date({2024, 2, 1}) == "1-Feb-2024");
  CHECK(dates::civil_from_days(dates::days_from_civil({2024, 2, 29}) + 1).month == 3);
  CHECK_FALSE(dates::parse_iso_date("2023-02-29"));
  CHECK(dates::parse_iso_date("2024-02-29"));
}
