// --help text, and the rule that secrets never reach help or failure messages.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/settings.hpp"
#include "config/version.hpp"
#include "tests/config/support.hpp"

using namespace imap_mcp;
using namespace imap_mcp::test;

namespace {

const std::string distinct_pass = "Zebra-Quartz-Pw-40417";
const std::string distinct_token = "Tok-Walrus-83306";
const std::string distinct_cursor = "Cursor-Key-Heron-55120";

/// Fragments that must never show up: the values and telling pieces of them.
const std::vector<std::string> secret_fragments = {distinct_pass, distinct_token, distinct_cursor,
                                                   "40417",       "83306",        "55120",
                                                   "Zebra",       "Walrus",       "Heron"};

void check_no_secret(const std::string& text) {
  for (const auto& fragment : secret_fragments)
    CHECK_THAT(text, !Catch::Contains(fragment));
}

env_map secret_env() {
  return {{"MAIL_IMAP_DEFAULT_HOST", "imap.example.com"},
          {"MAIL_IMAP_DEFAULT_USER", "alice@example.com"},
          {"MAIL_IMAP_DEFAULT_PASS", distinct_pass},
          {"MAIL_IMAP_DEFAULT_PORT", "1993"},
          {"MAIL_IMAP_WORK_HOST", "mail.work.example"},
          {"MAIL_IMAP_WORK_USER", "bob"},
          {"MAIL_IMAP_WORK_PASS_FILE", "/run/secrets/work-pass"},
          {"MAIL_IMAP_HTTP_TOKENS", distinct_token},
          {"MAIL_IMAP_CURSOR_SECRET", distinct_cursor},
          {"MAIL_IMAP_WRITE_ENABLED", "true"}};
}

} // namespace

TEST_CASE("help_text: usage, every variable with its default, found accounts", "[help]") {
  const auto text = help_text(secret_env());
  CHECK_THAT(
      text,
      Catch::Contains(
          "Usage: imap-mcp [--transport stdio|http] [--listen HOST:PORT] [--help] [--version]"));
  CHECK_THAT(text, Catch::Contains(std::string("imap-mcp ") + version));
  for (const auto& v : known_variables()) {
    INFO(v.name);
    // One line per variable, naming the variable, its meaning and its default.
    auto pos = text.find("  " + v.name + " ");
    REQUIRE(pos != std::string::npos);
    auto line = text.substr(pos, text.find('\n', pos) - pos);
    CHECK_THAT(line, Catch::Contains(v.meaning));
    if (v.default_value == "(required)")
      CHECK_THAT(line, Catch::EndsWith("(required)"));
    else
      CHECK_THAT(line, Catch::EndsWith("(default: " + v.default_value + ")"));
  }
  CHECK_THAT(text,
             Catch::Contains("MAIL_IMAP_<ACCOUNT>_PORT") && Catch::Contains("(default: 993)"));
  CHECK_THAT(text, Catch::Contains("MAIL_IMAP_HTTP_LISTEN") &&
                       Catch::Contains("(default: 127.0.0.1:8000)"));

  const std::string accounts = text.substr(text.find("Accounts found in the environment:"));
  CHECK_THAT(accounts, Catch::Contains("  default:\n"
                                       "    MAIL_IMAP_DEFAULT_HOST=imap.example.com\n"
                                       "    MAIL_IMAP_DEFAULT_PORT=1993\n"
                                       "    MAIL_IMAP_DEFAULT_USER=alice@example.com\n"
                                       "    MAIL_IMAP_DEFAULT_PASS=<redacted>\n"
                                       "  work:\n"
                                       "    MAIL_IMAP_WORK_HOST=mail.work.example\n"
                                       "    MAIL_IMAP_WORK_USER=bob\n"
                                       "    MAIL_IMAP_WORK_PASS_FILE=/run/secrets/work-pass\n"));
  CHECK_THAT(text, Catch::Contains("MAIL_IMAP_HTTP_TOKENS=<redacted>"));
  CHECK_THAT(text, Catch::Contains("MAIL_IMAP_CURSOR_SECRET=<redacted>"));
  CHECK_THAT(text, Catch::Contains("MAIL_IMAP_WRITE_ENABLED=true"));
  check_no_secret(text);
}

TEST_CASE("help_text without accounts says (none)", "[help]") {
  const auto text = help_text({});
  CHECK_THAT(text, Catch::Contains("Accounts found in the environment:\n  (none)\n"));
}

TEST_CASE("help_text works on an invalid environment and escapes control characters", "[help]") {
  // --help must help exactly when the configuration is broken.
  auto env = secret_env();
  env["MAIL_IMAP_DEFAULT_PORT"] = "not-a-port\x1b[2J";
  const auto text = help_text(env);
  CHECK_THAT(text, Catch::Contains("MAIL_IMAP_DEFAULT_PORT=not-a-port\\x1b[2J"));
  check_no_secret(text);
}

TEST_CASE("secrets never appear in failure messages", "[help]") {
  temp_dir dir;
  auto token_file = dir.write("tokens", distinct_token + "\nsecond " + distinct_token + "\n");
  auto big_file = dir.write("big", std::string(70000, 'x') + distinct_pass);
  const std::vector<std::pair<std::string, std::string>> breakages = {
      {"MAIL_IMAP_DEFAULT_HOST", ""},
      {"MAIL_IMAP_DEFAULT_PORT", "x"},
      {"MAIL_IMAP_DEFAULT_USER", ""},
      {"MAIL_IMAP_DEFAULT_PASS", ""},
      {"MAIL_IMAP_DEFAULT_PASS_FILE", big_file},
      {"MAIL_IMAP_DEFAULT_PASS_FILE", "/nonexistent"},
      {"MAIL_IMAP_WORK_PASS", distinct_pass},
      {"MAIL_IMAP_OTHER_PASS", distinct_pass},
      {"MAIL_IMAP_HTTP_TOKENS", distinct_token + " " + distinct_token},
      {"MAIL_IMAP_HTTP_TOKENS", "caf\xC3\xA9" + distinct_token},
      {"MAIL_IMAP_HTTP_TOKEN_FILE", token_file},
      {"MAIL_IMAP_HTTP_LISTEN", "0.0.0.0:1"},
      {"MAIL_IMAP_CURSOR_SECRET", "Heron"},
      {"MAIL_IMAP_CURSOR_SECRET", "Heron\n40417"},
  };
  auto working = secret_env();
  working["MAIL_IMAP_WORK_PASS_FILE"] = dir.write("work-pass", distinct_pass + "\n");
  REQUIRE(load_settings(working));
  for (const auto& [name, value] : breakages) {
    INFO(name << "=" << value.substr(0, 40));
    auto env = working;
    env.erase("MAIL_IMAP_HTTP_TOKENS");
    env[name] = value;
    auto r = load_settings(env);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().full_message(), Catch::Contains(name));
    check_no_secret(r.error().full_message());
  }
}
