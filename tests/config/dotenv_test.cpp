#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/settings.hpp"
#include "tests/config/support.hpp"

using namespace imap_mcp;
using imap_mcp::test::temp_dir;

namespace {

/// A NULL-terminated envp array over owned strings.
class fake_envp {
public:
  explicit fake_envp(std::vector<std::string> entries) : entries_(std::move(entries)) {
    for (auto& e : entries_)
      ptrs_.push_back(e.data());
    ptrs_.push_back(nullptr);
  }
  char** get() { return ptrs_.data(); }

private:
  std::vector<std::string> entries_;
  std::vector<char*> ptrs_;
};

} // namespace

TEST_CASE(".env lines parse to names and values", "[dotenv]") {
  struct row {
    const char* text;
    const char* name;
    std::string value;
  };
  const row rows[] = {
      {"KEY=value", "KEY", "value"},
      {"export KEY=value", "KEY", "value"},
      {"export\tKEY=value", "KEY", "value"},
      {"  KEY = value  ", "KEY", "value"},     // blanks around name and unquoted value
      {"KEY=a b c", "KEY", "a b c"},           // inner blanks stay
      {"KEY=value # comment", "KEY", "value"}, // inline comment after blank
      {"KEY=value#not-a-comment", "KEY", "value#not-a-comment"},
      {"KEY=#hash-first", "KEY", "#hash-first"},
      {"KEY= # only a comment", "KEY", ""},
      {"KEY=", "KEY", ""},
      {"KEY=a=b=c", "KEY", "a=b=c"},
      {"KEY='single # quoted  '", "KEY", "single # quoted  "},
      {"KEY='no \\n escapes'", "KEY", "no \\n escapes"},
      {"KEY=\"double # quoted\"", "KEY", "double # quoted"},
      {"KEY=\"line1\\nline2\"", "KEY", "line1\nline2"},
      {"KEY=\"say \\\"hi\\\"\"", "KEY", "say \"hi\""},
      {"KEY=\"back\\\\slash\"", "KEY", "back\\slash"},
      {"KEY=\"C:\\dir\"", "KEY", "C:\\dir"}, // unknown escape kept as written
      {"KEY=\"quoted\" # trailing comment", "KEY", "quoted"},
      {"KEY=''", "KEY", ""},
      {"KEY=\"\"", "KEY", ""},
      {"KEY=value\r", "KEY", "value"},           // CRLF file
      {"\xEF\xBB\xBFKEY=value", "KEY", "value"}, // UTF-8 BOM
      {"lower_case_1=x", "lower_case_1", "x"},
      {"KEY=caf\xC3\xA9", "KEY", "caf\xC3\xA9"},
  };
  for (const auto& r : rows) {
    INFO("line: " << r.text);
    auto parsed = parse_dotenv(r.text);
    REQUIRE(parsed);
    REQUIRE(parsed->size() == 1);
    CHECK(parsed->begin()->first == r.name);
    CHECK(parsed->begin()->second == r.value);
  }
}

TEST_CASE(".env comments, blank lines and repeated names", "[dotenv]") {
  auto parsed = parse_dotenv("# a comment\n"
                             "\n"
                             "   \t\n"
                             "   # indented comment\n"
                             "A=1\n"
                             "B=2\n"
                             "A=3\n");
  REQUIRE(parsed);
  CHECK(*parsed == env_map{{"A", "3"}, {"B", "2"}});
  auto empty = parse_dotenv("");
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("malformed .env lines name the file and line, never the value", "[dotenv]") {
  const std::string distinct = "Qx7-dotenv-distinct-9981";
  struct row {
    std::string line;
    const char* expected;
  };
  const row rows[] = {
      {"just-a-" + distinct, "expected NAME=VALUE"},
      {distinct, "expected NAME=VALUE"},
      {"=" + distinct, "expected NAME=VALUE"},
      {"1KEY=" + distinct, "expected NAME=VALUE"},
      {"KEY-NAME=" + distinct, "expected NAME=VALUE"},
      {"KEY NAME=" + distinct, "expected NAME=VALUE"},
      {"MAIL_IMAP_DEFAULT_PASS=\"" + distinct,
       "unterminated double-quoted value for MAIL_IMAP_DEFAULT_PASS"},
      {"MAIL_IMAP_DEFAULT_PASS='" + distinct,
       "unterminated single-quoted value for MAIL_IMAP_DEFAULT_PASS"},
      {"MAIL_IMAP_DEFAULT_PASS=\"" + distinct + "\\\"", "unterminated double-quoted value"},
      {"MAIL_IMAP_DEFAULT_PASS=\"a\"" + distinct, "unexpected text after the closing quote"},
      {"MAIL_IMAP_DEFAULT_PASS='a'" + distinct, "unexpected text after the closing quote"},
  };
  for (const auto& r : rows) {
    INFO("line: " << r.line);
    auto parsed = parse_dotenv("# header\nOK=1\n" + r.line + "\nLATER=2\n", "/some/dir/.env");
    REQUIRE_FALSE(parsed);
    const auto message = parsed.error().full_message();
    CHECK(parsed.error().code == error_code::invalid_input);
    CHECK_THAT(message, Catch::StartsWith("invalid input: /some/dir/.env: line 3: "));
    CHECK_THAT(message, Catch::Contains(r.expected));
    CHECK_THAT(message, !Catch::Contains(distinct));
    CHECK_THAT(message, !Catch::Contains("9981"));
  }
}

TEST_CASE("read_environment: real environment wins over .env", "[dotenv]") {
  temp_dir dir;
  auto path = dir.write(".env", "export ONLY_IN_FILE=from-file\n"
                                "IN_BOTH=from-file\n"
                                "EMPTY_IN_ENV=from-file\n");
  fake_envp envp{{"IN_BOTH=from-env", "EMPTY_IN_ENV=", "ONLY_IN_ENV=a=b", "NO_EQUALS_SIGN"}};
  auto env = read_environment(envp.get(), path);
  REQUIRE(env);
  CHECK(env->at("ONLY_IN_FILE") == "from-file");
  CHECK(env->at("IN_BOTH") == "from-env");
  CHECK(env->at("EMPTY_IN_ENV") == ""); // set but empty still counts as set
  CHECK(env->at("ONLY_IN_ENV") == "a=b");
  CHECK(env->count("NO_EQUALS_SIGN") == 0);
}

TEST_CASE("read_environment: missing .env is fine, a broken one is not", "[dotenv]") {
  temp_dir dir;
  fake_envp envp{{"A=1"}};

  auto missing = read_environment(envp.get(), dir.path("no-such.env"));
  REQUIRE(missing);
  CHECK(*missing == env_map{{"A", "1"}});

  auto skipped = read_environment(envp.get(), "");
  REQUIRE(skipped);
  CHECK(*skipped == env_map{{"A", "1"}});

  auto none = read_environment(nullptr, dir.path("no-such.env"));
  REQUIRE(none);
  CHECK(none->empty());

  auto bad_path = dir.write("bad.env", "A=2\nMAIL_IMAP_X_PASS=\"secret-value-77\n");
  auto bad = read_environment(envp.get(), bad_path);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::StartsWith(bad_path + ": line 2: "));
  CHECK_THAT(bad.error().message, !Catch::Contains("secret-value-77"));

  // A directory where the file should be is reported, not silently skipped.
  std::filesystem::create_directory(dir.path("dir.env"));
  auto dir_env = read_environment(envp.get(), dir.path("dir.env"));
  REQUIRE_FALSE(dir_env);
  CHECK_THAT(dir_env.error().message, Catch::Contains(dir.path("dir.env")));
}

TEST_CASE(".env values feed load_settings", "[dotenv]") {
  temp_dir dir;
  auto path = dir.write(".env", "MAIL_IMAP_DEFAULT_HOST=imap.example.com\n"
                                "MAIL_IMAP_DEFAULT_USER=alice\n"
                                "MAIL_IMAP_DEFAULT_PASS=\"pa ss#word\"\n"
                                "MAIL_IMAP_DEFAULT_PORT=1993\n");
  fake_envp envp{{"MAIL_IMAP_DEFAULT_PORT=2993"}};
  auto env = read_environment(envp.get(), path);
  REQUIRE(env);
  auto s = load_settings(*env);
  REQUIRE(s);
  REQUIRE(s->accounts.size() == 1);
  CHECK(s->accounts[0].pass.reveal() == "pa ss#word");
  CHECK(s->accounts[0].port == 2993);
}
