// Reading and writing over an established connection: bulk transfer, timeouts, abort,
// peer close and descriptor hygiene.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <random>
#include <thread>

#include "protocol/tls/tls.hpp"
#include "tests/protocol/tls/support/helpers.hpp"
#include "tests/protocol/tls/support/test_server.hpp"

using namespace imap_mcp;
using namespace imap_mcp::tls;
using namespace imap_mcp::tls::test;
using namespace std::chrono_literals;

namespace {

constexpr long long timeout_margin_ms = 300;

server_options tls_server(server_mode mode) {
  server_options o;
  o.mode = mode;
  o.cert_file = pki().localhost_cert;
  o.key_file = pki().server_key;
  return o;
}

std::unique_ptr<tls_stream> connect_to(const test_server& server, int io_ms = 2000) {
  auto stream =
      connect(context_with_test_ca(), options_for("localhost", server.port(), 1000, 1000, io_ms));
  if (!stream)
    throw std::runtime_error("connect failed: " + stream.error().message);
  return std::move(*stream);
}

std::string random_bytes(std::size_t n) {
  std::mt19937 gen{42};
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(gen());
  return s;
}

} // namespace

TEST_CASE("1 MB goes out in one write_all and comes back intact in large reads", "[tls][stream]") {
  test_server server{tls_server(server_mode::bulk_echo)};
  auto stream = connect_to(server);
  const std::string payload = random_bytes(1024 * 1024);
  std::string header(8, '\0');
  for (int i = 0; i < 8; ++i)
    header[7 - i] = static_cast<char>((payload.size() >> (8 * i)) & 0xff);
  REQUIRE(stream->write_all(header + payload).ok());

  std::string back;
  back.reserve(payload.size());
  std::vector<char> buf(256 * 1024);
  std::size_t largest = 0;
  while (back.size() < payload.size()) {
    auto n = stream->read_some(buf.data(), buf.size());
    REQUIRE(n.ok());
    REQUIRE(*n > 0);
    largest = std::max(largest, *n);
    back.append(buf.data(), *n);
  }
  CHECK(back.size() == payload.size());
  CHECK(back == payload);
  // Records already received are handed over together, not one 16 KB record per call.
  CHECK(largest > 16 * 1024);
}

TEST_CASE("abort() from another thread wakes a blocked read within 100 ms",
          "[tls][stream][abort]") {
  test_server server{tls_server(server_mode::echo)};
  auto stream = connect_to(server, 5000);
  std::atomic<long long> returned_at{0};
  auto reader = std::async(std::launch::async, [&] {
    char buf[1024];
    auto r = stream->read_some(buf, sizeof buf);
    returned_at = std::chrono::steady_clock::now().time_since_epoch().count();
    return r;
  });
  std::this_thread::sleep_for(100ms);
  REQUIRE(returned_at == 0); // still blocked: nothing was sent
  auto aborted_at = std::chrono::steady_clock::now();
  stream->abort();
  REQUIRE(reader.wait_for(2s) == std::future_status::ready);
  auto r = reader.get();
  auto woke_after = std::chrono::steady_clock::time_point(
                        std::chrono::steady_clock::duration(returned_at.load())) -
                    aborted_at;
  CHECK(woke_after < 100ms);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == error_code::internal);
  CHECK(r.error().retryable);
  CHECK_THAT(r.error().message, Catch::Contains("aborted"));

  // Every later call fails at once.
  auto start = std::chrono::steady_clock::now();
  char buf[16];
  CHECK_FALSE(stream->read_some(buf, sizeof buf).ok());
  CHECK_FALSE(stream->write_all("a1 NOOP\r\n").ok());
  CHECK(elapsed_ms(start) < 50);
  stream->abort(); // idempotent
}

TEST_CASE("abort() wakes a write blocked on a peer that does not read", "[tls][stream][abort]") {
  test_server server{tls_server(server_mode::never_read)};
  auto stream = connect_to(server, 10000);
  const std::string chunk(1024 * 1024, 'x');
  auto writer = std::async(std::launch::async, [&] {
    for (;;) {
      auto w = stream->write_all(chunk);
      if (!w)
        return w;
    }
  });
  // Socket buffers fill up within a few MB; then write_all waits for the peer.
  REQUIRE(writer.wait_for(500ms) == std::future_status::timeout);
  auto aborted_at = std::chrono::steady_clock::now();
  stream->abort();
  REQUIRE(writer.wait_for(2s) == std::future_status::ready);
  CHECK(elapsed_ms(aborted_at) < 100);
  auto w = writer.get();
  REQUIRE_FALSE(w.ok());
  CHECK_THAT(w.error().message, Catch::Contains("aborted"));
  CHECK(w.error().stage == "write");
}

TEST_CASE("a read times out after the io timeout and the stream stays usable",
          "[tls][stream][timeout]") {
  test_server server{tls_server(server_mode::echo)};
  auto stream = connect_to(server, 5000);
  stream->set_io_timeout(150);
  CHECK(stream->io_timeout() == 150);
  char buf[64];
  auto start = std::chrono::steady_clock::now();
  auto r = stream->read_some(buf, sizeof buf);
  auto took = elapsed_ms(start);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == error_code::timeout);
  CHECK(r.error().stage == "read");
  CHECK(r.error().retryable);
  CHECK_THAT(r.error().message, Catch::Contains("150 ms"));
  CHECK(took >= 150);
  CHECK(took < 150 + timeout_margin_ms);

  // The caller decides whether to go on after a read timeout: the session still works.
  REQUIRE(stream->write_all("a2 NOOP\r\n").ok());
  auto echoed = read_exactly(*stream, 9);
  REQUIRE(echoed.ok());
  CHECK(*echoed == "a2 NOOP\r\n");
}

TEST_CASE("a write to a peer that stops reading times out after the io timeout",
          "[tls][stream][timeout]") {
  test_server server{tls_server(server_mode::never_read)};
  auto stream = connect_to(server, 200);
  const std::string chunk(1024 * 1024, 'y');
  status w = ok_status();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 256 && w.ok(); ++i)
    w = stream->write_all(chunk);
  REQUIRE_FALSE(w.ok());
  CHECK(w.error().code == error_code::timeout);
  CHECK(w.error().stage == "write");
  CHECK(w.error().retryable);
  CHECK_THAT(w.error().message, Catch::Contains("200 ms"));
  CHECK(elapsed_ms(start) < 5000);
  // A half-written record leaves the stream unusable: later calls fail at once.
  CHECK_FALSE(stream->write_all("z").ok());
}

TEST_CASE("a server that closes is reported as 'connection closed by server', without SIGPIPE",
          "[tls][stream]") {
  test_server server{tls_server(server_mode::close_after_handshake)};
  auto stream = connect_to(server);
  char buf[64];
  auto r = stream->read_some(buf, sizeof buf);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == error_code::internal);
  CHECK(r.error().stage == "read");
  CHECK(r.error().retryable);
  CHECK_THAT(r.error().message, Catch::Contains("connection closed by server"));
  // The same failure is repeated, not a different or hanging one.
  auto again = stream->read_some(buf, sizeof buf);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message == r.error().message);
}

TEST_CASE("writing into a connection the server has dropped fails without killing the process",
          "[tls][stream]") {
  test_server server{tls_server(server_mode::close_after_handshake)};
  auto stream = connect_to(server);
  std::this_thread::sleep_for(50ms); // let the server close its side
  const std::string chunk(64 * 1024, 'w');
  status w = ok_status();
  // The first writes may still be accepted by the kernel; the reset then fails a later one
  // (with SIGPIPE raised, the test process would die here).
  for (int i = 0; i < 200 && w.ok(); ++i)
    w = stream->write_all(chunk);
  REQUIRE_FALSE(w.ok());
  CHECK(w.error().code == error_code::internal);
  CHECK(w.error().retryable);
  CHECK_THAT(w.error().message, Catch::Contains("connection closed by server"));
}

TEST_CASE("no descriptor leaks after 200 connections, failed ones included", "[tls][stream][fd]") {
  const int before = open_fd_count();
  {
    test_server server{tls_server(server_mode::echo)};
    server_options other = tls_server(server_mode::echo);
    other.cert_file = pki().other_host_cert;
    test_server wrong_name{other};
    closed_port refused;
    auto ctx = context_with_test_ca();
    auto fresh_ctx = context_with_test_ca();
    for (int i = 0; i < 200; ++i) {
      // Mostly resumed handshakes, some full ones on a fresh context (loading the system
      // roots costs tens of ms, so not every time).
      auto stream = connect(i % 2 == 0 ? ctx : fresh_ctx, options_for("localhost", server.port()));
      REQUIRE(stream.ok());
      REQUIRE((*stream)->write_all("ping").ok());
      REQUIRE(read_exactly(**stream, 4).ok());
      if (i % 40 == 1)
        fresh_ctx = context_with_test_ca();
    }
    for (int i = 0; i < 20; ++i) {
      CHECK_FALSE(connect(ctx, options_for("localhost", wrong_name.port())).ok());
      CHECK_FALSE(connect(ctx, options_for("127.0.0.1", refused.port())).ok());
    }
    test_server silent{{server_mode::silent_tcp, "", "", 0, 0}};
    CHECK_FALSE(connect(ctx, options_for("127.0.0.1", silent.port(), 1000, 50)).ok());
  }
  CHECK(open_fd_count() == before);
}
