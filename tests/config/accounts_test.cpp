// Per-account variables and account discovery.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/settings.hpp"
#include "tests/config/support.hpp"

using namespace imap_mcp;
using namespace imap_mcp::test;

namespace {

env_map account(const std::string& segment, const std::string& host = "imap.example.com") {
  return {{"MAIL_IMAP_" + segment + "_HOST", host},
          {"MAIL_IMAP_" + segment + "_USER", "user-" + segment},
          {"MAIL_IMAP_" + segment + "_PASS", "pass-" + segment}};
}

env_map merge(std::initializer_list<env_map> parts) {
  env_map out;
  for (const auto& p : parts)
    out.insert(p.begin(), p.end());
  return out;
}

} // namespace

TEST_CASE("a complete account loads with its values and defaults", "[accounts]") {
  auto s = load_settings(default_account());
  REQUIRE(s);
  REQUIRE(s->accounts.size() == 1);
  const auto& a = s->accounts[0];
  CHECK(a.id == "default");
  CHECK(a.segment == "DEFAULT");
  CHECK(a.host == "imap.example.com");
  CHECK(a.port == 993);
  CHECK(a.secure);
  CHECK(a.user == "alice@example.com");
  CHECK(a.pass.reveal() == "hunter2-hunter2");
  CHECK(a.max_connections == 4);
  CHECK(s->find_account("default") == &a);
  CHECK(s->find_account("DEFAULT") == nullptr);
  CHECK(s->find_account("other") == nullptr);
}

TEST_CASE("several accounts are discovered and sorted by id", "[accounts]") {
  // By segment, "AB" < "A_B" ('B' < '_'); by id, "a_b" < "ab" ('_' < 'b').
  auto env = merge({account("WORK"), account("AB"), account("A_B"), account("DEFAULT"),
                    account("WORK_2"), account("2024"), account("_X_")});
  auto s = load_settings(env);
  REQUIRE(s);
  std::vector<std::string> ids;
  for (const auto& a : s->accounts)
    ids.push_back(a.id);
  CHECK(ids == std::vector<std::string>{"2024", "_x_", "a_b", "ab", "default", "work", "work_2"});
  REQUIRE(s->find_account("work_2") != nullptr);
  CHECK(s->find_account("work_2")->user == "user-WORK_2");
  CHECK(s->find_account("work_2")->pass.reveal() == "pass-WORK_2");
  CHECK(s->find_account("work_2")->segment == "WORK_2");
  CHECK(account_segments(env) ==
        std::vector<std::string>{"2024", "_X_", "A_B", "AB", "DEFAULT", "WORK", "WORK_2"});
}

TEST_CASE("segments that look like suffixes are still split from the right", "[accounts]") {
  auto env = merge({account("MY_PASS"), account("HOST")});
  auto s = load_settings(env);
  REQUIRE(s);
  REQUIRE(s->accounts.size() == 2);
  CHECK(s->accounts[0].id == "host");
  CHECK(s->accounts[1].id == "my_pass");
  CHECK(s->accounts[1].pass.reveal() == "pass-MY_PASS");
}

TEST_CASE("server-wide names are not accounts", "[accounts]") {
  auto env = merge({default_account(),
                    {{"MAIL_IMAP_HTTP_HOST", "0.0.0.0"},
                     {"MAIL_IMAP_HTTP_PORT", "9000"},
                     {"MAIL_IMAP_CURSOR_USER", "x"},
                     {"MAIL_IMAP_CA_CERT_PASS", "x"},
                     {"MAIL_IMAP_TRANSPORT_HOST", "x"}}});
  auto s = load_settings(env);
  REQUIRE(s);
  REQUIRE(s->accounts.size() == 1);
  CHECK(s->accounts[0].id == "default");
  CHECK(s->warnings.size() == 5);
  CHECK_THAT(s->warnings[0],
             Catch::Equals("MAIL_IMAP_CA_CERT_PASS is not a known variable and is ignored "
                           "(CA_CERT is reserved for server-wide settings)"));
  CHECK(account_segments(env) == std::vector<std::string>{"DEFAULT"});
  // A segment that merely starts like a server-wide word is an ordinary account.
  auto https = load_settings(account("HTTPS"));
  REQUIRE(https);
  REQUIRE(https->accounts.size() == 1);
  CHECK(https->accounts[0].id == "https");
}

TEST_CASE("an account variable without its _HOST names the missing _HOST", "[accounts]") {
  for (const char* suffix :
       {"_PORT", "_SECURE", "_USER", "_PASS", "_PASS_FILE", "_MAX_CONNECTIONS"}) {
    auto name = "MAIL_IMAP_WORK" + std::string(suffix);
    INFO(name);
    CHECK(load_error(with(default_account(), name, "x")) ==
          "invalid input: MAIL_IMAP_WORK_HOST is required because " + name + " is set");
  }
}

TEST_CASE("malformed account segments are refused", "[accounts]") {
  for (const std::string& name : std::vector<std::string>{
           "MAIL_IMAP_work_HOST", "MAIL_IMAP_Work_USER", "MAIL_IMAP__HOST", "MAIL_IMAP_WORK-2_HOST",
           "MAIL_IMAP_" + std::string(65, 'A') + "_HOST"}) {
    INFO(name);
    CHECK_THAT(load_error(with(default_account(), name, "imap.example.com")),
               Catch::StartsWith("invalid input: " + name +
                                 ": the account name must be 1..64 characters of A-Z, 0-9 and _"));
  }
  auto longest = load_settings(account(std::string(64, 'A')));
  REQUIRE(longest);
  CHECK(longest->accounts.at(0).id == std::string(64, 'a'));
}

TEST_CASE("required account variables", "[accounts]") {
  CHECK(load_error(without(default_account(), "MAIL_IMAP_DEFAULT_USER")) ==
        "invalid input: MAIL_IMAP_DEFAULT_USER is required for account 'default'");
  CHECK(load_error(without(default_account(), "MAIL_IMAP_DEFAULT_PASS")) ==
        "invalid input: MAIL_IMAP_DEFAULT_PASS or MAIL_IMAP_DEFAULT_PASS_FILE is required for "
        "account 'default'");
  CHECK(load_error(with(default_account(), "MAIL_IMAP_DEFAULT_USER", "")) ==
        "invalid input: MAIL_IMAP_DEFAULT_USER must be a non-empty user name without control "
        "characters (got '')");
  CHECK(load_error(with(default_account(), "MAIL_IMAP_DEFAULT_USER", "al\r\nice")) ==
        "invalid input: MAIL_IMAP_DEFAULT_USER must be a non-empty user name without control "
        "characters "
        "(got 'al\\x0d\\x0aice')");
  CHECK(load_error(with(default_account(), "MAIL_IMAP_DEFAULT_PASS", "")) ==
        "invalid input: MAIL_IMAP_DEFAULT_PASS must not be empty");
}

TEST_CASE("MAIL_IMAP_<ACCOUNT>_HOST values", "[accounts]") {
  for (const char* good :
       {"imap.example.com", "127.0.0.1", "::1", "2001:db8::1", "localhost", "mail-1.example"}) {
    INFO(good);
    auto s = load_settings(with(default_account(), "MAIL_IMAP_DEFAULT_HOST", good));
    REQUIRE(s);
    CHECK(s->accounts.at(0).host == good);
  }
  const std::string spaces_message = "invalid input: MAIL_IMAP_DEFAULT_HOST must be a host name or "
                                     "IP address without spaces or control characters";
  struct row {
    std::string value, expected;
  };
  const row rows[] = {
      {"", spaces_message + " (got '')"},
      {"imap example.com", spaces_message + " (got 'imap example.com')"},
      {" imap.example.com", spaces_message + " (got ' imap.example.com')"},
      {"imap.example.com\n", spaces_message + " (got 'imap.example.com\\x0a')"},
      {"imap\t.example.com", spaces_message + " (got 'imap\\x09.example.com')"},
      {"imap.example.com:993",
       "invalid input: MAIL_IMAP_DEFAULT_HOST must be a host name or IP address without a port "
       "(set MAIL_IMAP_DEFAULT_PORT) (got 'imap.example.com:993')"},
      {"[::1]",
       "invalid input: MAIL_IMAP_DEFAULT_HOST must be a host name or IP address without a port "
       "(set MAIL_IMAP_DEFAULT_PORT) (got '[::1]')"},
  };
  for (const auto& r : rows) {
    INFO(r.value);
    CHECK(load_error(with(default_account(), "MAIL_IMAP_DEFAULT_HOST", r.value)) == r.expected);
  }
}

TEST_CASE("_SECURE=false still loads (the connection layer refuses it)", "[accounts]") {
  auto s = load_settings(merge({account("WORK"), {{"MAIL_IMAP_WORK_SECURE", "false"}}}));
  REQUIRE(s);
  CHECK_FALSE(s->accounts.at(0).secure);
}

TEST_CASE("_PASS_FILE", "[accounts]") {
  temp_dir dir;
  auto base = without(default_account(), "MAIL_IMAP_DEFAULT_PASS");
  struct row {
    std::string content, expected;
  };
  const row rows[] = {
      {"file-password\n", "file-password"},         // one trailing newline stripped
      {"file-password\r\n", "file-password"},       // also a CRLF one
      {"file-password", "file-password"},           // none to strip
      {"file-password\n\n", "file-password\n"},     // only one
      {" spaced password \n", " spaced password "}, // blanks are part of a password
  };
  for (const auto& r : rows) {
    INFO(r.expected);
    auto path = dir.write("pass", r.content);
    auto s = load_settings(with(base, "MAIL_IMAP_DEFAULT_PASS_FILE", path));
    REQUIRE(s);
    CHECK(s->accounts.at(0).pass.reveal() == r.expected);
  }

  auto missing = dir.path("missing");
  CHECK(load_error(with(base, "MAIL_IMAP_DEFAULT_PASS_FILE", missing)) ==
        "invalid input: MAIL_IMAP_DEFAULT_PASS_FILE must name a readable file of at most 65536 "
        "bytes (got '" +
            missing + "')");
  CHECK_THAT(
      load_error(with(base, "MAIL_IMAP_DEFAULT_PASS_FILE", dir.path())),
      Catch::StartsWith("invalid input: MAIL_IMAP_DEFAULT_PASS_FILE must name a readable file"));
  auto empty = dir.write("empty", "\n");
  CHECK(load_error(with(base, "MAIL_IMAP_DEFAULT_PASS_FILE", empty)) ==
        "invalid input: MAIL_IMAP_DEFAULT_PASS_FILE names an empty password file (got '" + empty +
            "')");

  auto both = with(default_account(), "MAIL_IMAP_DEFAULT_PASS_FILE", dir.write("p", "x\n"));
  CHECK(load_error(both) ==
        "invalid input: set only one of MAIL_IMAP_DEFAULT_PASS and MAIL_IMAP_DEFAULT_PASS_FILE");
}

TEST_CASE("the first bad account stops start-up even if others are fine", "[accounts]") {
  auto env = merge({account("AAA"), account("BBB"), {{"MAIL_IMAP_BBB_PORT", "0"}}});
  CHECK(load_error(env) ==
        "invalid input: MAIL_IMAP_BBB_PORT must be an integer in 1..65535 (got '0')");
}
