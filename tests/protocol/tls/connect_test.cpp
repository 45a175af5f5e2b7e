// Connecting: verification outcomes, non-TLS peers and the connect/handshake deadlines.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "protocol/tls/tls.hpp"
#include "tests/protocol/tls/support/helpers.hpp"
#include "tests/protocol/tls/support/test_server.hpp"

using namespace imap_mcp;
using namespace imap_mcp::tls;
using namespace imap_mcp::tls::test;

namespace {

/// Tolerance above a configured limit for a timeout to be reported (the contract's "small margin").
constexpr long long timeout_margin_ms = 300;

server_options tls_server(server_mode mode, const std::string& cert) {
  server_options o;
  o.mode = mode;
  o.cert_file = cert;
  o.key_file = pki().server_key;
  return o;
}

} // namespace

TEST_CASE(
    "a server certified by the test CA is verified by name and by IP, with SNI only for names",
    "[tls][connect]") {
  test_server server{tls_server(server_mode::echo, pki().localhost_cert)};
  auto ctx = context_with_test_ca();
  struct row {
    const char* host;
    const char* expected_sni;
  };
  for (const row& r :
       {row{"localhost", "localhost"}, row{"127.0.0.1", ""}, row{"[127.0.0.1]", ""}}) {
    CAPTURE(r.host);
    auto stream = connect(ctx, options_for(r.host, server.port()));
    REQUIRE(stream.ok());
    CHECK((*stream)->protocol_version() == "TLSv1.3");
    REQUIRE((*stream)->write_all("a001 NOOP\r\n").ok());
    auto echoed = read_exactly(**stream, 11);
    REQUIRE(echoed.ok());
    CHECK(*echoed == "a001 NOOP\r\n");
    auto seen = server.sni_seen();
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.back() == r.expected_sni);
  }
}

TEST_CASE("certificate problems reject the connection with OpenSSL's reason, not retryable",
          "[tls][connect]") {
  const auto& p = pki();
  struct row {
    const char* label;
    bool trust_test_ca;
    std::string cert;
    const char* host;
    const char* reason;
  };
  const row rows[] = {
      {"unknown issuer", false, p.localhost_cert, "localhost",
       "unable to get local issuer certificate"},
      {"other host name", true, p.other_host_cert, "localhost", "hostname mismatch"},
      {"other IP address", true, p.other_host_cert, "127.0.0.1", "IP address mismatch"},
      {"expired", true, p.expired_cert, "localhost", "certificate has expired"},
  };
  for (const auto& r : rows) {
    SECTION(r.label) {
      test_server server{tls_server(server_mode::echo, r.cert)};
      auto ctx = r.trust_test_ca ? context_with_test_ca() : *client_context::create("");
      auto stream = connect(ctx, options_for(r.host, server.port()));
      REQUIRE_FALSE(stream.ok());
      const auto& f = stream.error();
      CHECK(f.code == error_code::internal);
      CHECK(f.stage == "tls");
      CHECK_FALSE(f.retryable);
      CHECK_THAT(f.message, Catch::Contains("certificate verification failed"));
      CHECK_THAT(f.message, Catch::Contains(r.reason));
      CHECK_THAT(f.message, Catch::Contains(":" + std::to_string(server.port())));
      CHECK(server.handshakes() == 0);
    }
  }
}

TEST_CASE("a server speaking plaintext IMAP is rejected at once with a clear error",
          "[tls][connect]") {
  test_server server{{server_mode::plaintext_greeting, "", "", 0, 0}};
  auto ctx = context_with_test_ca(); // loading the system roots is not part of the timing
  auto start = std::chrono::steady_clock::now();
  auto stream = connect(ctx, options_for("127.0.0.1", server.port(), 1000, 2000));
  auto took = elapsed_ms(start);
  REQUIRE_FALSE(stream.ok());
  const auto& f = stream.error();
  CHECK(f.code == error_code::internal);
  CHECK(f.stage == "tls");
  CHECK_FALSE(f.retryable);
  CHECK_THAT(f.message, Catch::Contains("did not answer with TLS"));
  CHECK_THAT(f.message, Catch::Contains("* OK IMAP4rev1"));
  CHECK(took < 1000); // recognised from the first bytes, not by waiting for the deadline
}

TEST_CASE("a server that only speaks TLS 1.0/1.1 is rejected; TLS 1.2 is accepted",
          "[tls][connect]") {
  auto ctx = context_with_test_ca();
  SECTION("TLS 1.1") {
    auto opts = tls_server(server_mode::echo, pki().localhost_cert);
    opts.min_version = TLS1_VERSION;
    opts.max_version = TLS1_1_VERSION;
    test_server server{opts};
    auto stream = connect(ctx, options_for("localhost", server.port()));
    REQUIRE_FALSE(stream.ok());
    CHECK(stream.error().code == error_code::internal);
    CHECK(stream.error().stage == "tls");
    CHECK_FALSE(stream.error().retryable);
    CHECK_THAT(stream.error().message, Catch::Contains("TLS handshake with localhost:"));
    CHECK(server.handshakes() == 0);
  }
  SECTION("TLS 1.2") {
    auto opts = tls_server(server_mode::echo, pki().localhost_cert);
    opts.max_version = TLS1_2_VERSION;
    test_server server{opts};
    auto stream = connect(ctx, options_for("localhost", server.port()));
    REQUIRE(stream.ok());
    CHECK((*stream)->protocol_version() == "TLSv1.2");
    CHECK_THAT((*stream)->cipher(), Catch::StartsWith("ECDHE-"));
    REQUIRE((*stream)->write_all("x").ok());
    CHECK(read_exactly(**stream, 1).ok());
  }
}

TEST_CASE("a peer that accepts TCP but never speaks TLS times out within the greeting timeout",
          "[tls][connect][timeout]") {
  test_server server{{server_mode::silent_tcp, "", "", 0, 0}};
  const int greeting_ms = 200;
  auto ctx = context_with_test_ca(); // loading the system roots is not part of the timing
  auto start = std::chrono::steady_clock::now();
  auto stream = connect(ctx, options_for("127.0.0.1", server.port(), 1000, greeting_ms));
  auto took = elapsed_ms(start);
  REQUIRE_FALSE(stream.ok());
  const auto& f = stream.error();
  CHECK(f.code == error_code::timeout);
  CHECK(f.stage == "tls handshake");
  CHECK(f.retryable);
  CHECK_THAT(f.message, Catch::Contains("200 ms"));
  CHECK(took >= greeting_ms);
  CHECK(took < greeting_ms + timeout_margin_ms);
}

TEST_CASE("a TCP connect that never completes times out within the connect timeout",
          "[tls][connect][timeout]") {
  stalled_listener stalled;
  const int connect_ms = 200;
  auto ctx = context_with_test_ca(); // loading the system roots is not part of the timing
  auto start = std::chrono::steady_clock::now();
  auto stream = connect(ctx, options_for("127.0.0.1", stalled.port(), connect_ms, 1000));
  auto took = elapsed_ms(start);
  REQUIRE_FALSE(stream.ok());
  const auto& f = stream.error();
  CHECK(f.code == error_code::timeout);
  CHECK(f.stage == "connect");
  CHECK(f.retryable);
  CHECK(f.message ==
        "connect to 127.0.0.1:" + std::to_string(stalled.port()) + " timed out after 200 ms");
  CHECK(took >= connect_ms);
  CHECK(took < connect_ms + timeout_margin_ms);
}

TEST_CASE("a closed port is refused fast with a retryable connect error", "[tls][connect]") {
  closed_port port;
  for (const char* host : {"127.0.0.1", "localhost"}) {
    CAPTURE(host);
    auto ctx = context_with_test_ca(); // loading the system roots is not part of the timing
    auto start = std::chrono::steady_clock::now();
    auto stream = connect(ctx, options_for(host, port.port(), 2000, 2000));
    REQUIRE_FALSE(stream.ok());
    const auto& f = stream.error();
    CHECK(f.code == error_code::internal);
    CHECK(f.stage == "connect");
    CHECK(f.retryable);
    CHECK(f.message == "connect to " + std::string{host} + ":" + std::to_string(port.port()) +
                           " failed: Connection refused");
    CHECK(elapsed_ms(start) < 500);
  }
}

TEST_CASE("an unresolvable host name is a retryable connect error naming the host",
          "[tls][connect]") {
  auto stream =
      connect(context_with_test_ca(), options_for("no-such-host.invalid", 993, 3000, 1000));
  REQUIRE_FALSE(stream.ok());
  const auto& f = stream.error();
  CHECK(f.stage == "connect");
  CHECK(f.retryable);
  CHECK_THAT(f.message, Catch::Contains("no-such-host.invalid:993"));
  // A resolver that does not answer in time yields a timeout instead; both are honest.
  if (f.code == error_code::internal)
    CHECK_THAT(f.message, Catch::Contains("cannot resolve host name"));
  else
    CHECK(f.code == error_code::timeout);
}

TEST_CASE("invalid connection settings are refused before any network traffic", "[tls][connect]") {
  auto ctx = context_with_test_ca();
  auto bad_port = options_for("localhost", 0);
  auto bad_timeout = options_for("localhost", 993, 0);
  auto bad_io_timeout = options_for("localhost", 993, 1000, 1000, 0);
  auto no_host = options_for("", 993);
  for (const auto& o : {bad_port, bad_timeout, bad_io_timeout, no_host}) {
    auto stream = connect(ctx, o);
    REQUIRE_FALSE(stream.ok());
    CHECK(stream.error().stage == "connect");
    CHECK_FALSE(stream.error().retryable);
  }
  auto no_context = connect(nullptr, options_for("localhost", 993));
  CHECK_FALSE(no_context.ok());
}

TEST_CASE("a second connection to the same server resumes the TLS session", "[tls][connect]") {
  test_server server{tls_server(server_mode::echo, pki().localhost_cert)};
  auto ctx = context_with_test_ca();
  {
    auto first = connect(ctx, options_for("localhost", server.port()));
    REQUIRE(first.ok());
    CHECK_FALSE((*first)->session_reused());
    // TLS 1.3 tickets arrive after the handshake: a round trip lets the client see them.
    REQUIRE((*first)->write_all("hi").ok());
    REQUIRE(read_exactly(**first, 2).ok());
  }
  CHECK(ctx->cached_sessions() == 1);
  auto second = connect(ctx, options_for("localhost", server.port()));
  REQUIRE(second.ok());
  CHECK((*second)->session_reused());
  // The cache is per host name: the IP literal gets a full, freshly verified handshake.
  auto by_ip = connect(ctx, options_for("127.0.0.1", server.port()));
  REQUIRE(by_ip.ok());
  CHECK_FALSE((*by_ip)->session_reused());
}
