#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocol/http/guard.hpp"

using namespace imap_mcp::http;

TEST_CASE("Host headers parse into host and port") {
  struct row {
    std::string value;
    bool ok;
    std::string host;
    int port; // 0: none
  };
  auto r = GENERATE(
      row{"localhost", true, "localhost", 0}, row{"LocalHost:8000", true, "localhost", 8000},
      row{"127.0.0.1:1", true, "127.0.0.1", 1}, row{"[::1]:8000", true, "::1", 8000},
      row{"[::1]", true, "::1", 0}, row{"", false, "", 0}, row{"host:", false, "", 0},
      row{"host:0", false, "", 0}, row{"host:65536", false, "", 0}, row{"host:80x", false, "", 0},
      row{"[::1", false, "", 0}, row{"[nothex]:80", false, "", 0}, row{"a b", false, "", 0},
      row{"evil.com/x", false, "", 0}, row{"user@host", false, "", 0});
  auto hp = parse_host_header(r.value);
  REQUIRE(hp.has_value() == r.ok);
  if (r.ok) {
    CHECK(hp->host == r.host);
    CHECK(hp->port.value_or(0) == r.port);
  }
}

TEST_CASE("Host is checked against where the server listens (DNS rebinding)") {
  struct row {
    std::string listen;
    std::string host;
    bool allowed;
  };
  auto r = GENERATE(
      row{"127.0.0.1", "127.0.0.1:8000", true}, row{"127.0.0.1", "localhost:8000", true},
      row{"127.0.0.1", "[::1]:8000", true}, row{"127.0.0.1", "127.1.2.3", true},
      row{"127.0.0.1", "evil.example.com", false}, row{"127.0.0.1", "evil.example.com:8000", false},
      row{"127.0.0.1", "192.168.1.10:8000", false}, row{"127.0.0.1", "", false},
      row{"::1", "localhost", true}, row{"localhost", "127.0.0.1", true},
      row{"192.168.1.10", "192.168.1.10:8000", true}, row{"192.168.1.10", "localhost", false},
      row{"mcp.internal", "MCP.internal:443", true}, row{"mcp.internal", "evil.example.com", false},
      row{"0.0.0.0", "anything.example", true}, row{"::", "[2001:db8::1]:80", true},
      row{"2001:db8::1", "[2001:DB8:0::1]", true});
  listen_info l{r.listen, 8000};
  CHECK(host_allowed(r.host, l) == r.allowed);
}

TEST_CASE("Origin must be allowed; loopback listeners also accept local origins") {
  const std::vector<std::string> allowed{"https://app.example.com", "http://localhost:3000"};
  struct row {
    std::string listen;
    std::string origin;
    bool ok;
  };
  auto r = GENERATE(
      row{"127.0.0.1", "https://app.example.com", true},
      row{"127.0.0.1", "HTTPS://APP.example.com", true}, row{"127.0.0.1", "http://localhost", true},
      row{"127.0.0.1", "http://localhost:5173", true},
      row{"127.0.0.1", "http://127.0.0.1:8000", true}, row{"127.0.0.1", "http://[::1]:8000", true},
      row{"127.0.0.1", "https://localhost", true},
      row{"127.0.0.1", "http://evil.example.com", false},
      row{"127.0.0.1", "http://localhost.evil.com", false}, row{"127.0.0.1", "null", false},
      row{"127.0.0.1", "file://", false}, row{"127.0.0.1", "http://127.0.0.1.evil.com", false},
      row{"0.0.0.0", "http://localhost:3000", true}, row{"0.0.0.0", "http://localhost", false},
      row{"0.0.0.0", "https://app.example.com", true},
      row{"0.0.0.0", "https://app.example.com.evil", false});
  listen_info l{r.listen, 8000};
  CHECK(origin_allowed(r.origin, allowed, l) == r.ok);
}

TEST_CASE("bearer credentials are taken only from the Bearer scheme") {
  struct row {
    std::string header;
    std::string token; // empty: none
  };
  auto r = GENERATE(row{"Bearer abc123", "abc123"}, row{"bearer abc123", "abc123"},
                    row{"BEARER   abc123  ", "abc123"}, row{"Basic YWxhZGRpbjpvcGVu", ""},
                    row{"Bearer", ""}, row{"Bearer ", ""}, row{"Bearerabc", ""},
                    row{"Bearer a b", ""}, row{"", ""});
  auto t = bearer_credential(r.header);
  CHECK(std::string(t.value_or("")) == r.token);
}

TEST_CASE("token matching finds the right token and nothing else") {
  const std::vector<std::string_view> tokens{"alpha-token", "beta-token", "alpha"};
  CHECK(match_token("alpha-token", tokens) == std::optional<std::size_t>(0));
  CHECK(match_token("beta-token", tokens) == std::optional<std::size_t>(1));
  CHECK(match_token("alpha", tokens) == std::optional<std::size_t>(2));
  CHECK_FALSE(match_token("alpha-toke", tokens));
  CHECK_FALSE(match_token("alpha-token2", tokens));
  CHECK_FALSE(match_token("", tokens));
  CHECK_FALSE(match_token("ALPHA-TOKEN", tokens));
  CHECK_FALSE(match_token("alpha-token", {}));
}
