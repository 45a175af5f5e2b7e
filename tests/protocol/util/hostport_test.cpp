#include <catch2/catch.hpp>

#include <string>

#include "protocol/util/hostport.hpp"

using imap_mcp::error_code;
using imap_mcp::net_address::split_host_port;
namespace net_address = imap_mcp::net_address;

TEST_CASE("hostport: split_host_port takes host, host:port and bracketed IPv6", "[hostport]") {
  struct row {
    std::string text;
    bool ok;
    std::string host;
    int port; // 0: none
    bool bracketed;
  };
  const row rows[] = {
      {"localhost", true, "localhost", 0, false},
      {"Example.COM:8080", true, "Example.COM", 8080, false}, // case is the caller's business
      {"127.0.0.1:1", true, "127.0.0.1", 1, false},
      {"mail_host-1.example:65535", true, "mail_host-1.example", 65535, false},
      {"host:08080", true, "host", 8080, false}, // leading zero, five digits
      {"[::1]", true, "::1", 0, true},
      {"[::1]:8080", true, "::1", 8080, true},
      {"[2001:DB8::1]:443", true, "2001:DB8::1", 443, true},
      {"[::ffff:127.0.0.1]:80", true, "::ffff:127.0.0.1", 80, true},
      // refused
      {"", false, "", 0, false},
      {"::1", false, "", 0, false},      // IPv6 needs brackets
      {"::1:8000", false, "", 0, false}, // ...and so does IPv6 with a port
      {":8000", false, "", 0, false},
      {"host:", false, "", 0, false},  // trailing colon
      {"[::1]:", false, "", 0, false}, // trailing colon after brackets
      {"host:0", false, "", 0, false},
      {"host:65536", false, "", 0, false},
      {"host:99999", false, "", 0, false},
      {"host:000080", false, "", 0, false}, // more than five digits
      {"host:80x", false, "", 0, false},
      {"host:+80", false, "", 0, false},
      {"host:-1", false, "", 0, false},
      {"host: 80", false, "", 0, false},
      {"host:80:90", false, "", 0, false},
      {"[::1", false, "", 0, false},
      {"[]", false, "", 0, false},
      {"[]:80", false, "", 0, false},
      {"[nothex]:80", false, "", 0, false},
      {"[127.0.0.1]", false, "", 0, false}, // brackets are for IPv6 only
      {"[::1]8000", false, "", 0, false},
      {"[::1]]", false, "", 0, false},
      {"[fe80::1%eth0]:80", false, "", 0, false}, // zone ids are not accepted
      {"a b", false, "", 0, false},
      {"evil.com/x", false, "", 0, false},
      {"user@host", false, "", 0, false},
      {"host\r\n:80", false, "", 0, false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    const auto hp = split_host_port(r.text);
    REQUIRE(hp.ok() == r.ok);
    if (r.ok) {
      CHECK(hp->host == r.host);
      CHECK(hp->port.value_or(0) == r.port);
      CHECK(hp->bracketed == r.bracketed);
    } else {
      CHECK(hp.error().code == error_code::invalid_input);
    }
  }
}

TEST_CASE("hostport: failures say what is wrong without echoing the text", "[hostport]") {
  struct row {
    std::string text;
    std::string says;
  };
  const row rows[] = {
      {"", "empty"},
      {"secret-name:99999", "port"},
      {"secret-name:", "port"},
      {"[secret", "]"},
      {"[secret]:80", "IPv6"},
      {"::1", "brackets"},
      {"secret name", "letters, digits"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    const auto hp = split_host_port(r.text);
    REQUIRE_FALSE(hp.ok());
    CHECK_THAT(hp.error().message, Catch::Contains(r.says));
    CHECK_THAT(hp.error().message, !Catch::Contains("secret"));
  }
}

TEST_CASE("hostport: is_loopback takes localhost, 127.0.0.0/8 and ::1 only", "[hostport]") {
  for (const char* host : {"127.0.0.1", "127.255.255.254", "127.0.0.53", "::1", "0:0:0:0:0:0:0:1",
                           "::ffff:127.0.0.1", "localhost", "LOCALHOST", "LocalHost"}) {
    INFO(host);
    CHECK(net_address::is_loopback(host));
  }
  for (const char* host :
       {"0.0.0.0", "::", "128.0.0.1", "10.0.0.1", "192.168.1.1", "::2", "::ffff:10.0.0.1",
        "example.com", "localhost.example.com", "127.0.0.1.nip.io", "[::1]", "127.1", "", " localhost"}) {
    INFO(host);
    CHECK_FALSE(net_address::is_loopback(host));
  }
}
