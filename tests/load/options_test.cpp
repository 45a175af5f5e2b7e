#include <catch2/catch.hpp>

#include "load/options.hpp"

using namespace imap_mcp::load;

namespace {

imap_mcp::result<load_options> parse(std::vector<std::string> args) {
  return parse_options(args);
}

std::string error_of(std::vector<std::string> args) {
  auto r = parse(std::move(args));
  REQUIRE_FALSE(r);
  return r.error().message;
}

} // namespace

TEST_CASE("defaults: HTTP on loopback, a read-only mix, bounded by duration", "[load][options]") {
  auto o = parse({});
  REQUIRE(o);
  CHECK(o->mode == run_mode::http);
  CHECK(o->agents == 10);
  CHECK(o->duration_s == 10);
  CHECK(o->mix.at(op_kind::update_flags) == 0);
  CHECK(o->mix.at(op_kind::search) > 0);
  CHECK(o->request_timeout_ms > 0);
  CHECK(o->grace_ms == o->request_timeout_ms);
}

TEST_CASE("targets must be loopback unless --allow-remote", "[load][options]") {
  struct row {
    std::string url;
    bool loopback;
  };
  const std::vector<row> rows = {
      {"http://127.0.0.1:8000/mcp", true}, {"http://localhost:9/mcp", true},
      {"http://127.9.9.9/mcp", true},      {"http://[::1]:8000/mcp", true},
      {"http://10.0.0.1:8000/mcp", false}, {"http://example.com/mcp", false},
      {"http://0.0.0.0:8000/mcp", false},  {"http://[2001:db8::1]:80/mcp", false},
  };
  for (const auto& r : rows) {
    INFO(r.url);
    auto plain = parse({"--url", r.url});
    CHECK(static_cast<bool>(plain) == r.loopback);
    if (!r.loopback) {
      CHECK_THAT(plain.error().message, Catch::Contains("--allow-remote"));
      CHECK(parse({"--url", r.url, "--allow-remote"}));
    }
  }
}

TEST_CASE("numbers out of bounds are refused, naming the option", "[load][options]") {
  const std::vector<std::vector<std::string>> bad = {
      {"--agents", "0"},          {"--agents", "1001"},       {"--agents", "ten"},
      {"--duration", "0"},        {"--duration", "-1"},       {"--duration", "86401"},
      {"--search-limit", "0"},    {"--search-limit", "51"},   {"--page-fraction", "1.5"},
      {"--pdf-fraction", "-0.1"}, {"--raw-max-bytes", "100"}, {"--servers", "0"},
      {"--max-requests", "0"},    {"--think-ms", "x"},        {"--message-uid", "4294967296"},
  };
  for (const auto& args : bad) {
    INFO(args[0] << " " << args[1]);
    CHECK_THAT(error_of(args), Catch::Contains(args[0]));
  }
  CHECK(parse({"--agents", "1000", "--duration", "0.5", "--search-limit", "50"}));
}

TEST_CASE("option syntax errors", "[load][options]") {
  CHECK_THAT(error_of({"--agents"}), Catch::Contains("needs a value"));
  CHECK_THAT(error_of({"--frobnicate"}), Catch::Contains("unknown option"));
  CHECK_THAT(error_of({"--mode", "smtp"}), Catch::Contains("--mode"));
  CHECK_THAT(error_of({"--url", "https://127.0.0.1/mcp"}), Catch::Contains("http://"));
  CHECK_THAT(error_of({"--url", "http://127.0.0.1:0/mcp"}), Catch::Contains("port"));
  auto help = parse({"--help"});
  REQUIRE_FALSE(help);
  CHECK(help.error().stage == "help");
  CHECK_THAT(help.error().message, Catch::Contains("--agents"));
}

TEST_CASE("writes only with --allow-writes", "[load][options]") {
  CHECK_THAT(error_of({"--mix", "search=1,flags=1"}), Catch::Contains("--allow-writes"));
  auto o = parse({"--mix", "search=1,flags=1", "--allow-writes"});
  REQUIRE(o);
  CHECK(o->mix.at(op_kind::update_flags) == 1);
  auto d = parse({"--allow-writes"});
  REQUIRE(d);
  CHECK(d->mix.at(op_kind::update_flags) > 0);
  CHECK_THAT(error_of({"--allow-writes", "--flag-keyword", "bad keyword"}),
             Catch::Contains("--flag-keyword"));
}

TEST_CASE("the mix takes short and tool names; unknown names and empty mixes are refused",
          "[load][options]") {
  auto o = parse({"--mix", "imap_search_messages=2,get=1.5"});
  REQUIRE(o);
  CHECK(o->mix.at(op_kind::search) == 2);
  CHECK(o->mix.at(op_kind::get_message) == 1.5);
  CHECK(o->mix.at(op_kind::list_accounts) == 0);
  CHECK_THAT(error_of({"--mix", "searchh=1"}), Catch::Contains("unknown operation"));
  CHECK_THAT(error_of({"--mix", "search"}), Catch::Contains("name=weight"));
  CHECK_THAT(error_of({"--mix", "search=-1"}), Catch::Contains("weight"));
  CHECK_THAT(error_of({"--mix", "search=0"}), Catch::Contains("no operation"));
  // raw-imap has no IMAP traffic for list_accounts: a mix of only that is empty there.
  CHECK_THAT(error_of({"--mode", "raw-imap", "--mix", "accounts=1"}),
             Catch::Contains("no operation"));
  auto raw = parse({"--mode", "raw-imap"});
  REQUIRE(raw);
  CHECK(raw->mix.at(op_kind::list_accounts) == 0);
}

TEST_CASE("modes need what they measure", "[load][options]") {
  CHECK_THAT(error_of({"--mode", "stdio"}), Catch::Contains("--spawn-server"));
  CHECK(
      parse({"--mode", "stdio", "--spawn-server", "imap-mcp", "--servers", "2", "--agents", "4"}));
  CHECK_THAT(
      error_of({"--mode", "stdio", "--spawn-server", "x", "--servers", "5", "--agents", "4"}),
      Catch::Contains("--servers"));
  CHECK_THAT(error_of({"--mode", "idle-sessions"}), Catch::Contains("--server-pid"));
  CHECK(parse({"--mode", "idle-sessions", "--server-pid", "123"}));
}

TEST_CASE("http URLs", "[load][options]") {
  auto u = parse_http_url("http://[::1]:8123/x/mcp");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->port == 8123);
  CHECK(u->path == "/x/mcp");
  auto d = parse_http_url("http://localhost");
  REQUIRE(d);
  CHECK(d->port == 80);
  CHECK(d->path == "/");
  CHECK_FALSE(parse_http_url("http://:80/"));
  CHECK_FALSE(parse_http_url("http://h:99999/"));
}
