// HTTP transport variables: listen address, origins, bearer tokens, exposure rule.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/settings.hpp"
#include "tests/config/support.hpp"

using namespace imap_mcp;
using namespace imap_mcp::test;

namespace {

std::vector<std::string> revealed(const std::vector<secret>& tokens) {
  std::vector<std::string> out;
  for (const auto& t : tokens)
    out.push_back(t.reveal());
  return out;
}

const std::string listen_expectation =
    "invalid input: MAIL_IMAP_HTTP_LISTEN must be host:port or [v6]:port with a port in 1..65535, "
    "e.g. 127.0.0.1:8000";

} // namespace

TEST_CASE("MAIL_IMAP_HTTP_LISTEN", "[http]") {
  struct row {
    const char* value;
    const char* host;
    std::uint16_t port;
  };
  const row good[] = {
      {"127.0.0.1:8000", "127.0.0.1", 8000},
      {"localhost:1", "localhost", 1},
      {"[::1]:65535", "::1", 65535},
      {"127.1.2.3:80", "127.1.2.3", 80},
  };
  for (const auto& r : good) {
    INFO(r.value);
    auto s = load_settings({{"MAIL_IMAP_HTTP_LISTEN", r.value}});
    REQUIRE(s);
    CHECK(s->http.host == r.host);
    CHECK(s->http.port == r.port);
  }
  for (const char* bad : {"", "8000", "127.0.0.1", "127.0.0.1:", ":8000", "127.0.0.1:0",
                          "127.0.0.1:65536", "127.0.0.1:80x", "::1:8000", "[::1]", "[::1]8000",
                          "[nothost]:80", "[::1:80", "local host:80", "host/path:80"}) {
    INFO(bad);
    CHECK(load_error({{"MAIL_IMAP_HTTP_LISTEN", bad}}) ==
          listen_expectation + " (got '" + bad + "')");
  }
}

TEST_CASE("parse_listen_address", "[http]") {
  auto v6 = parse_listen_address("[2001:db8::1]:443");
  REQUIRE(v6);
  CHECK(v6->host == "2001:db8::1");
  CHECK(v6->port == 443);
  CHECK_FALSE(parse_listen_address("example.com"));
}

TEST_CASE("binding beyond loopback needs a token", "[http]") {
  for (const char* listen :
       {"0.0.0.0:8000", "[::]:8000", "192.168.1.10:8000", "mcp.example.com:443"}) {
    INFO(listen);
    CHECK(load_error({{"MAIL_IMAP_HTTP_LISTEN", listen}}) ==
          "invalid input: MAIL_IMAP_HTTP_TOKENS (or MAIL_IMAP_HTTP_TOKEN_FILE) is required when "
          "MAIL_IMAP_HTTP_LISTEN is not a loopback address (got '" +
              parse_listen_address(listen)->host + "')");
    // The rule holds whichever transport is chosen (main may switch to http later).
    CHECK_THAT(load_error({{"MAIL_IMAP_HTTP_LISTEN", listen}, {"MAIL_IMAP_TRANSPORT", "http"}}),
               Catch::Contains("MAIL_IMAP_HTTP_TOKENS"));
    auto with_token =
        load_settings({{"MAIL_IMAP_HTTP_LISTEN", listen}, {"MAIL_IMAP_HTTP_TOKENS", "t0ken"}});
    REQUIRE(with_token);
    CHECK(revealed(with_token->http.tokens) == std::vector<std::string>{"t0ken"});
  }
  temp_dir dir;
  auto file = dir.write("tokens", "file-token\n");
  auto via_file = load_settings(
      {{"MAIL_IMAP_HTTP_LISTEN", "0.0.0.0:8000"}, {"MAIL_IMAP_HTTP_TOKEN_FILE", file}});
  REQUIRE(via_file);
  CHECK(revealed(via_file->http.tokens) == std::vector<std::string>{"file-token"});
}

TEST_CASE("MAIL_IMAP_HTTP_TOKENS", "[http]") {
  auto s = load_settings({{"MAIL_IMAP_HTTP_TOKENS", " one , two,,three ,"}});
  REQUIRE(s);
  CHECK(revealed(s->http.tokens) == std::vector<std::string>{"one", "two", "three"});

  CHECK(load_error({{"MAIL_IMAP_HTTP_TOKENS", ""}}) ==
        "invalid input: MAIL_IMAP_HTTP_TOKENS is set but holds no token");
  CHECK(load_error({{"MAIL_IMAP_HTTP_TOKENS", " , ,"}}) ==
        "invalid input: MAIL_IMAP_HTTP_TOKENS is set but holds no token");
  CHECK(load_error({{"MAIL_IMAP_HTTP_TOKENS", "good,bad token-Tq55"}}) ==
        "invalid input: MAIL_IMAP_HTTP_TOKENS: token 2 must be printable ASCII without spaces");
  CHECK(load_error({{"MAIL_IMAP_HTTP_TOKENS", "caf\xC3\xA9-Tq55"}}) ==
        "invalid input: MAIL_IMAP_HTTP_TOKENS: token 1 must be printable ASCII without spaces");
}

TEST_CASE("MAIL_IMAP_HTTP_TOKEN_FILE", "[http]") {
  temp_dir dir;
  auto file = dir.write("tokens", "# deploy tokens\n"
                                  "alpha\n"
                                  "\n"
                                  "  beta  \r\n"
                                  "   # indented comment\n"
                                  "gamma");
  auto s =
      load_settings({{"MAIL_IMAP_HTTP_TOKEN_FILE", file}, {"MAIL_IMAP_HTTP_TOKENS", "env-token"}});
  REQUIRE(s);
  CHECK(revealed(s->http.tokens) ==
        std::vector<std::string>{"env-token", "alpha", "beta", "gamma"});

  auto missing = dir.path("missing");
  CHECK(load_error({{"MAIL_IMAP_HTTP_TOKEN_FILE", missing}}) ==
        "invalid input: MAIL_IMAP_HTTP_TOKEN_FILE must name a readable file of at most 1048576 "
        "bytes (got '" +
            missing + "')");
  auto only_comments = dir.write("comments", "# nothing here\n\n");
  CHECK(load_error({{"MAIL_IMAP_HTTP_TOKEN_FILE", only_comments}}) ==
        "invalid input: MAIL_IMAP_HTTP_TOKEN_FILE names a file without tokens (got '" +
            only_comments + "')");
  auto spaced = dir.write("spaced", "ok\ntwo words-Wr31\n");
  CHECK(load_error({{"MAIL_IMAP_HTTP_TOKEN_FILE", spaced}}) ==
        "invalid input: MAIL_IMAP_HTTP_TOKEN_FILE: line 2 must be one token of printable ASCII "
        "without spaces");
}

TEST_CASE("MAIL_IMAP_HTTP_ALLOWED_ORIGINS", "[http]") {
  auto s =
      load_settings({{"MAIL_IMAP_HTTP_ALLOWED_ORIGINS",
                      "https://app.example.com, http://localhost:3000,HTTPS://UPPER.Example.COM,"
                      "http://[::1]:8080,https://[2001:db8::1]"}});
  REQUIRE(s);
  CHECK(s->http.allowed_origins ==
        std::vector<std::string>{"https://app.example.com", "http://localhost:3000",
                                 "https://upper.example.com", "http://[::1]:8080",
                                 "https://[2001:db8::1]"});
  auto empty = load_settings({{"MAIL_IMAP_HTTP_ALLOWED_ORIGINS", ""}});
  REQUIRE(empty);
  CHECK(empty->http.allowed_origins.empty());

  for (const char* bad : {"app.example.com", "ftp://app.example.com", "https://app.example.com/",
                          "https://app.example.com/path", "https://", "https://app.example.com:0",
                          "https://app.example.com:99999", "https://app.example.com:", "*", "null",
                          "https://[::1", "https://[zz]:80", "https://a b.com"}) {
    INFO(bad);
    CHECK(load_error(
              {{"MAIL_IMAP_HTTP_ALLOWED_ORIGINS", std::string("https://ok.example.com,") + bad}}) ==
          "invalid input: MAIL_IMAP_HTTP_ALLOWED_ORIGINS must be a comma list of origins like "
          "https://app.example.com or http://localhost:3000 (scheme, host and optional port only) "
          "(got '" +
              std::string(bad) + "')");
  }
}
