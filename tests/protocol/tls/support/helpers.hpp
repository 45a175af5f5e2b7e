#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "protocol/tls/tls.hpp"
#include "tests/protocol/tls/support/test_pki.hpp"

namespace imap_mcp::tls::test {

/// Short limits keep the suite fast; a real deployment uses seconds.
inline connect_options options_for(const std::string& host, std::uint16_t port,
                                   int connect_ms = 1000, int greeting_ms = 1000,
                                   int io_ms = 1000) {
  connect_options o;
  o.host = host;
  o.port = port;
  o.connect_timeout_ms = connect_ms;
  o.greeting_timeout_ms = greeting_ms;
  o.io_timeout_ms = io_ms;
  return o;
}

/// A fresh context trusting the system roots and the test CA.
inline std::shared_ptr<client_context> context_with_test_ca() {
  auto ctx = client_context::create(pki().ca_cert);
  if (!ctx)
    throw std::runtime_error("test CA did not load: " + ctx.error().message);
  return *ctx;
}

/// Milliseconds since `start`.
inline long long elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

/// Reads exactly `len` bytes (or fails the caller's check with what read_some reported).
inline result<std::string> read_exactly(tls_stream& s, std::size_t len) {
  std::string out;
  out.reserve(len);
  char buf[65536];
  while (out.size() < len) {
    auto n = s.read_some(buf, std::min(sizeof buf, len - out.size()));
    if (!n)
      return n.error();
    out.append(buf, *n);
  }
  return out;
}

} // namespace imap_mcp::tls::test
