#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/net/stream.hpp"
#include "protocol/tls/client_context.hpp"
#include "protocol/util/error.hpp"

// OpenSSL's connection type, declared here so that users of this header do not pull in OpenSSL.
struct ssl_st;

namespace imap_mcp::tls {

/// Where to connect and how long each phase may take.
struct connect_options {
  /// DNS name or IP literal (IPv6 with or without brackets); also the name the server
  /// certificate must carry.
  std::string host;
  std::uint16_t port = 0;
  /// DNS resolution plus TCP connect over all addresses.
  int connect_timeout_ms = 0;
  /// The TLS handshake.
  int greeting_timeout_ms = 0;
  /// Initial per-call timeout of read_some()/write_all(); see tls_stream::set_io_timeout.
  int io_timeout_ms = 0;
};

class tls_stream;

/// Opens a verified TLS connection: resolves the host, connects (bounded by
/// connect_timeout_ms), then runs the handshake with SNI (DNS names only) and certificate
/// plus host name or IP verification (bounded by greeting_timeout_ms).
///
/// Failures of connect() and of the stream (error_code::internal unless noted):
/// - DNS failure, refused, unreachable: stage "connect", retryable,
///   "connect to imap.example.com:993 failed: Connection refused".
/// - any timeout: error_code::timeout, retryable, stage "connect", "tls handshake", "read" or
///   "write", with the limit, e.g. "read from h:993 timed out after 300000 ms".
/// - certificate verification: stage "tls", not retryable, with OpenSSL's reason
///   ("certificate has expired", "hostname mismatch", "unable to get local issuer certificate").
/// - a server that does not speak TLS, or no common protocol version/cipher: stage "tls",
///   not retryable.
/// - the peer closed or reset the connection: retryable, "connection closed by server (h:993)".
/// - after abort(): retryable, "connection to h:993 was aborted".
/// - invalid options (no context, empty host, port 0, a timeout < 1): stage "connect", not
/// retryable.
result<std::unique_ptr<tls_stream>> connect(std::shared_ptr<client_context> context,
                                            const connect_options& options);

/// A verified TLS connection over a non-blocking TCP socket. read_some() and write_all()
/// must be called from one thread at a time; abort() may be called from any thread while
/// the stream lives (never concurrently with its destruction). After any failure other
/// than a read timeout the stream is unusable and every call repeats that failure.
class tls_stream final : public net::byte_stream {
public:
  ~tls_stream() override;
  tls_stream(const tls_stream&) = delete;
  tls_stream& operator=(const tls_stream&) = delete;

  /// Returns what is available (at least one byte, up to len), waiting at most the io
  /// timeout for the first byte.
  result<std::size_t> read_some(char* buf, std::size_t len) override;

  /// Sends every byte; fails when no progress is possible for one io timeout.
  status write_all(std::string_view bytes) override;

  /// Wakes a blocked read/write at once and makes every later call fail; thread-safe.
  void abort() override;

  /// Sets the timeout of later read_some()/write_all() calls (values < 1 count as 1 ms).
  void set_io_timeout(int ms);

  /// The current io timeout in milliseconds.
  int io_timeout() const { return io_timeout_ms_.load(std::memory_order_relaxed); }

  /// "host:port" of the server, as used in messages.
  const std::string& peer() const { return peer_; }

  /// The negotiated protocol, e.g. "TLSv1.3".
  std::string protocol_version() const;

  /// The negotiated cipher suite, e.g. "TLS_AES_256_GCM_SHA384".
  std::string cipher() const;

  /// Whether the handshake resumed a cached session (no certificate exchange).
  bool session_reused() const;

  /// State shared with the socket BIO (implementation detail, public for the BIO callbacks).
  struct socket_state {
    int fd = -1;
    /// errno of the last failed send/recv, 0 when none.
    int last_errno = 0;
    /// The peer closed its side (recv returned 0).
    bool eof = false;
    /// The first bytes received, to recognise a server that is not speaking TLS.
    char first_bytes[32] = {};
    std::size_t first_len = 0;
  };

private:
  friend result<std::unique_ptr<tls_stream>> connect(std::shared_ptr<client_context> context,
                                                     const connect_options& options);
  using clock = std::chrono::steady_clock;

  tls_stream(std::shared_ptr<client_context> context, int fd, std::string peer, int io_timeout_ms);
  status start(const std::string& host);
  status handshake(clock::time_point deadline, int limit_ms);
  failure handshake_failure(int ssl_error);
  failure io_failure(int ssl_error, const char* stage);
  failure aborted_failure(const char* stage) const;
  /// Waits for what OpenSSL asked for; a failure is a timeout or an abort.
  std::optional<failure> wait_for(int ssl_error, clock::time_point deadline, const char* stage,
                                  int limit_ms);

  std::shared_ptr<client_context> context_;
  socket_state socket_;
  ssl_st* ssl_ = nullptr;
  std::string peer_;
  std::atomic<int> io_timeout_ms_;
  std::atomic<bool> aborted_{false};
  bool established_ = false;
  /// Set by the first unrecoverable error and returned by every later call.
  std::optional<failure> fatal_;
};

} // namespace imap_mcp::tls
