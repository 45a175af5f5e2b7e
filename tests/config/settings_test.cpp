// Server-wide variables: defaults, good values, every kind of bad value.

#include <catch2/catch.hpp>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "config/defaults.hpp"
#include "config/settings.hpp"
#include "tests/config/support.hpp"

using namespace imap_mcp;
using namespace imap_mcp::test;

namespace {

struct int_variable {
  const char* name;
  long long def, min, max;
  std::function<long long(const settings&)> get;
};

const std::vector<int_variable>& int_variables() {
  static const std::vector<int_variable> vars = {
      {"MAIL_IMAP_CONNECT_TIMEOUT_MS", 30000, 100, 3600000,
       [](const settings& s) { return s.connect_timeout_ms; }},
      {"MAIL_IMAP_GREETING_TIMEOUT_MS", 15000, 100, 3600000,
       [](const settings& s) { return s.greeting_timeout_ms; }},
      {"MAIL_IMAP_SOCKET_TIMEOUT_MS", 300000, 100, 3600000,
       [](const settings& s) { return s.socket_timeout_ms; }},
      {"MAIL_IMAP_TOOL_TIMEOUT_MS", 60000, 100, 3600000,
       [](const settings& s) { return s.tool_timeout_ms; }},
      {"MAIL_IMAP_CURSOR_TTL_SECONDS", 600, 10, 86400,
       [](const settings& s) { return s.cursor_ttl_seconds; }},
      {"MAIL_IMAP_MIME_POOL_SIZE", 0, 0, 64, [](const settings& s) { return s.mime_pool_size; }},
      {"MAIL_IMAP_PDF_POOL_SIZE", 0, 0, 64, [](const settings& s) { return s.pdf_pool_size; }},
      {"MAIL_IMAP_HTTP_SESSION_IDLE_SECONDS", 1800, 10, 86400,
       [](const settings& s) { return s.http.session_idle_seconds; }},
      {"MAIL_IMAP_HTTP_MAX_SESSIONS", 1000, 1, 100000,
       [](const settings& s) { return s.http.max_sessions; }},
      {"MAIL_IMAP_HTTP_RATE_LIMIT", 200, 1, 100000,
       [](const settings& s) { return s.http.rate_limit_per_second; }},
      {"MAIL_IMAP_HTTP_SESSION_CONCURRENCY", 32, 1, 1024,
       [](const settings& s) { return s.http.session_concurrency; }},
      {"MAIL_IMAP_DEFAULT_PORT", 993, 1, 65535,
       [](const settings& s) { return s.accounts.at(0).port; }},
      {"MAIL_IMAP_DEFAULT_MAX_CONNECTIONS", 4, 1, 100,
       [](const settings& s) { return s.accounts.at(0).max_connections; }},
  };
  return vars;
}

} // namespace

TEST_CASE("an empty environment loads with every default", "[settings]") {
  auto s = load_settings({});
  REQUIRE(s);
  CHECK(s->accounts.empty());
  CHECK(s->find_account("default") == nullptr);
  CHECK_FALSE(s->write_enabled);
  CHECK(s->connect_timeout_ms == defaults::connect_timeout_ms);
  CHECK(s->greeting_timeout_ms == defaults::greeting_timeout_ms);
  CHECK(s->socket_timeout_ms == defaults::socket_timeout_ms);
  CHECK(s->tool_timeout_ms == defaults::tool_timeout_ms);
  CHECK(s->ca_cert_path.empty());
  CHECK(s->cursor_ttl_seconds == defaults::cursor_ttl_seconds);
  CHECK_FALSE(s->cursor_secret.has_value());
  CHECK(s->log_level == "info");
  CHECK(s->transport == transport_kind::stdio);
  CHECK(s->http.host == "127.0.0.1");
  CHECK(s->http.port == 8000);
  CHECK(s->http.allowed_origins.empty());
  CHECK(s->http.tokens.empty());
  CHECK(s->warnings.empty());
}

TEST_CASE("integer variables: default, bounds and bad values", "[settings]") {
  for (const auto& v : int_variables()) {
    INFO(v.name);
    auto base = default_account();

    auto def = load_settings(base);
    REQUIRE(def);
    CHECK(v.get(*def) == v.def);

    for (long long good : {v.min, v.max, (v.min + v.max) / 2}) {
      auto s = load_settings(with(base, v.name, std::to_string(good)));
      REQUIRE(s);
      CHECK(v.get(*s) == good);
    }
    auto leading_zero = load_settings(with(base, v.name, "0" + std::to_string(v.max)));
    REQUIRE(leading_zero);
    CHECK(v.get(*leading_zero) == v.max);

    const std::string expected = "invalid input: " + std::string(v.name) +
                                 " must be an integer in " + std::to_string(v.min) + ".." +
                                 std::to_string(v.max);
    const std::vector<std::string> bad_values = {
        std::to_string(v.max + 1), "-1",   "abc", "", " 100", "100 ", "1.5", "1e3", "+100", "0x10",
        "99999999999999999999999", "100ms"};
    std::vector<std::string> all_bad = bad_values;
    if (v.min > 0)
      all_bad.push_back(std::to_string(v.min - 1));
    for (const auto& bad : all_bad) {
      INFO("value '" << bad << "'");
      auto r = load_settings(with(base, v.name, bad));
      REQUIRE_FALSE(r);
      CHECK(r.error().code == error_code::invalid_input);
      CHECK(r.error().full_message() == expected + " (got '" + bad + "')");
    }
  }
}

TEST_CASE("boolean variables accept the documented spellings only", "[settings]") {
  struct bool_variable {
    const char* name;
    bool def;
    std::function<bool(const settings&)> get;
  };
  const bool_variable vars[] = {
      {"MAIL_IMAP_WRITE_ENABLED", false, [](const settings& s) { return s.write_enabled; }},
      {"MAIL_IMAP_DEFAULT_SECURE", true, [](const settings& s) { return s.accounts.at(0).secure; }},
  };
  for (const auto& v : vars) {
    INFO(v.name);
    auto base = default_account();
    auto def = load_settings(base);
    REQUIRE(def);
    CHECK(v.get(*def) == v.def);
    for (const char* t : {"1", "true", "TRUE", "True", "yes", "YES", "on", "On"}) {
      INFO(t);
      auto s = load_settings(with(base, v.name, t));
      REQUIRE(s);
      CHECK(v.get(*s));
    }
    for (const char* f : {"0", "false", "FALSE", "no", "No", "off", "OFF"}) {
      INFO(f);
      auto s = load_settings(with(base, v.name, f));
      REQUIRE(s);
      CHECK_FALSE(v.get(*s));
    }
    for (const char* bad : {"", "2", "y", "n", "enabled", "truee", " true", "true ", "-1"}) {
      INFO("value '" << bad << "'");
      CHECK(load_error(with(base, v.name, bad)) ==
            "invalid input: " + std::string(v.name) +
                " must be a boolean (1, true, yes, on or 0, false, no, off) (got '" + bad + "')");
    }
  }
}

TEST_CASE("MAIL_IMAP_LOG_LEVEL", "[settings]") {
  for (const char* level : {"error", "warn", "info", "debug", "trace", "off"}) {
    auto s = load_settings({{"MAIL_IMAP_LOG_LEVEL", level}});
    REQUIRE(s);
    CHECK(s->log_level == level);
  }
  auto upper = load_settings({{"MAIL_IMAP_LOG_LEVEL", "DEBUG"}});
  REQUIRE(upper);
  CHECK(upper->log_level == "debug");
  for (const char* bad : {"", "verbose", "warning", "none", "info,debug"}) {
    INFO(bad);
    CHECK(load_error({{"MAIL_IMAP_LOG_LEVEL", bad}}) ==
          "invalid input: MAIL_IMAP_LOG_LEVEL must be one of error, warn, info, debug, trace, off "
          "(got '" +
              std::string(bad) + "')");
  }
}

TEST_CASE("MAIL_IMAP_TRANSPORT", "[settings]") {
  auto http = load_settings({{"MAIL_IMAP_TRANSPORT", "http"}});
  REQUIRE(http);
  CHECK(http->transport == transport_kind::http);
  auto stdio = load_settings({{"MAIL_IMAP_TRANSPORT", "STDIO"}});
  REQUIRE(stdio);
  CHECK(stdio->transport == transport_kind::stdio);
  for (const char* bad : {"", "https", "sse", "tcp"}) {
    INFO(bad);
    CHECK(load_error({{"MAIL_IMAP_TRANSPORT", bad}}) ==
          "invalid input: MAIL_IMAP_TRANSPORT must be stdio or http (got '" + std::string(bad) +
              "')");
  }
}

TEST_CASE("MAIL_IMAP_CA_CERT_PATH must be a readable file", "[settings]") {
  temp_dir dir;
  auto pem = dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  auto s = load_settings({{"MAIL_IMAP_CA_CERT_PATH", pem}});
  REQUIRE(s);
  CHECK(s->ca_cert_path == pem);

  for (const auto& bad : {dir.path("missing.pem"), dir.path(), std::string()}) {
    INFO(bad);
    CHECK(load_error({{"MAIL_IMAP_CA_CERT_PATH", bad}}) ==
          "invalid input: MAIL_IMAP_CA_CERT_PATH must name a readable file (PEM certificates) (got "
          "'" +
              bad + "')");
  }
}

TEST_CASE("MAIL_IMAP_CURSOR_SECRET: at least 16 bytes, never echoed", "[settings]") {
  auto s = load_settings({{"MAIL_IMAP_CURSOR_SECRET", "0123456789abcdef"}});
  REQUIRE(s);
  REQUIRE(s->cursor_secret.has_value());
  CHECK(s->cursor_secret->reveal() == "0123456789abcdef");

  for (const char* bad : {"", "short-Cz81", "0123456789abcde"}) {
    INFO(bad);
    auto message = load_error({{"MAIL_IMAP_CURSOR_SECRET", bad}});
    CHECK(message == "invalid input: MAIL_IMAP_CURSOR_SECRET must be at least 16 bytes long");
  }
}

TEST_CASE("non-secret bad values are echoed safely", "[settings]") {
  // Control characters are escaped so they cannot mess up a terminal or a log line.
  CHECK(load_error({{"MAIL_IMAP_TOOL_TIMEOUT_MS", "1\n2\x1b"}}) ==
        "invalid input: MAIL_IMAP_TOOL_TIMEOUT_MS must be an integer in 100..3600000 (got "
        "'1\\x0a2\\x1b')");
  // Long values are cut.
  auto message = load_error({{"MAIL_IMAP_TOOL_TIMEOUT_MS", std::string(500, '9')}});
  CHECK_THAT(message, Catch::EndsWith("...')"));
  CHECK(message.size() < 200);
}

TEST_CASE("unknown MAIL_IMAP_ names are warnings, not failures", "[settings]") {
  auto s = load_settings(
      with(with(with(default_account(), "MAIL_IMAP_WRITE_ENABLE", "true"), "MAIL_IMAP_HOST", "x"),
           "OTHER_VARIABLE", "y"));
  REQUIRE(s);
  CHECK_FALSE(s->write_enabled);
  REQUIRE(s->warnings.size() == 2);
  CHECK(s->warnings[0] == "MAIL_IMAP_HOST is not a known variable and is ignored "
                          "(did you mean MAIL_IMAP_DEFAULT_HOST?)");
  CHECK(s->warnings[1] == "MAIL_IMAP_WRITE_ENABLE is not a known variable and is ignored");
}

TEST_CASE("is_secret_name", "[settings]") {
  for (const char* name : {"MAIL_IMAP_DEFAULT_PASS", "MAIL_IMAP_WORK_PASS", "MAIL_IMAP_HTTP_TOKENS",
                           "SOME_TOKEN", "MAIL_IMAP_CURSOR_SECRET", "API_KEY", "DB_PASSWORD",
                           "mail_imap_x_pass", "PASSWORD", "GPG_PASSPHRASE"}) {
    INFO(name);
    CHECK(is_secret_name(name));
  }
  // File paths and ordinary settings are shown (the file contents never are).
  for (const char* name :
       {"MAIL_IMAP_DEFAULT_PASS_FILE", "MAIL_IMAP_HTTP_TOKEN_FILE", "MAIL_IMAP_DEFAULT_USER",
        "MAIL_IMAP_DEFAULT_HOST", "MAIL_IMAP_CA_CERT_PATH", "MAIL_IMAP_KEYWORDS", "PASSAGE",
        "TOKENIZER", "MAIL_IMAP_CURSOR_TTL_SECONDS", ""}) {
    INFO(name);
    CHECK_FALSE(is_secret_name(name));
  }
}

TEST_CASE("known_variables lists every variable once", "[settings]") {
  std::set<std::string> names;
  for (const auto& v : known_variables()) {
    CHECK(names.insert(v.name).second);
    CHECK_FALSE(v.meaning.empty());
    CHECK_FALSE(v.default_value.empty());
  }
  for (const auto& v : int_variables()) {
    std::string generic = v.name;
    auto pos = generic.find("DEFAULT_");
    if (pos != std::string::npos)
      generic.replace(pos, 7, "<ACCOUNT>");
    INFO(generic);
    CHECK(names.count(generic) == 1);
  }
}
