#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/util/error.hpp"

/// Socket helpers of the TLS transport (internal to protocol/tls).
namespace imap_mcp::tls::detail {

/// The clock of every deadline in this module.
using clock = std::chrono::steady_clock;

/// Owns a file descriptor and closes it exactly once.
class unique_fd {
public:
  unique_fd() = default;
  /// Takes ownership of fd (-1 for none).
  explicit unique_fd(int fd) : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept;
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  /// The descriptor, still owned.
  int get() const { return fd_; }
  /// Gives up ownership.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  /// Closes the owned descriptor, if any.
  void reset();

private:
  int fd_ = -1;
};

/// Outcome of waiting for a socket.
enum class wait_result { ready, timeout };

/// Waits until fd reports one of `events` (or an error/hang-up, which the next I/O call
/// will surface) or the deadline passes. EINTR is retried against the same deadline.
wait_result wait_fd(int fd, short events, clock::time_point deadline);

/// Milliseconds left until deadline, rounded up, never negative.
int remaining_ms(clock::time_point deadline);

/// "host:port", with IPv6 literals in brackets: used in every message.
std::string endpoint_label(std::string_view host, std::uint16_t port);

/// The host without the brackets of an "[IPv6]" literal.
std::string strip_brackets(std::string_view host);

/// Whether host (without brackets) is an IPv4 or IPv6 address literal.
bool is_ip_literal(const std::string& host);

/// Resolves host (bounded by the deadline even when DNS hangs) and connects a non-blocking,
/// close-on-exec TCP socket, trying every address in turn; the whole step takes at most
/// timeout_ms. Failures: error_code::timeout or internal, stage "connect", retryable.
result<unique_fd> tcp_connect(const std::string& host, std::uint16_t port, int timeout_ms);

} // namespace imap_mcp::tls::detail
