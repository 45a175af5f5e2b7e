#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

struct ssl_ctx_st;

namespace imap_mcp::tls::test {

/// What the server does with each accepted connection.
enum class server_mode {
  echo,       ///< TLS; sends back every byte it receives
  bulk_echo,  ///< TLS; reads an 8-byte big-endian length and that many bytes, then sends them back
  hold,       ///< TLS; reads and discards until the client closes, never writes
  never_read, ///< TLS; then neither reads nor writes until the server stops
  close_after_handshake, ///< TLS; sends close_notify and closes right after the handshake
  plaintext_greeting,    ///< no TLS; sends "* OK IMAP4rev1 ready\r\n" in clear, then waits
  silent_tcp,            ///< no TLS; accepts and never sends anything
};

/// Settings of a test server.
struct server_options {
  server_mode mode = server_mode::echo;
  std::string cert_file; ///< PEM certificate (TLS modes)
  std::string key_file;  ///< PEM key (TLS modes)
  int min_version = 0;   ///< e.g. TLS1_VERSION; 0 keeps OpenSSL's default
  int max_version = 0;   ///< e.g. TLS1_2_VERSION; 0 keeps OpenSSL's default
};

/// An OpenSSL server on 127.0.0.1 with an ephemeral port, one thread per connection.
/// The destructor stops it, wakes and joins every thread and closes every descriptor.
class test_server {
public:
  explicit test_server(server_options options);
  ~test_server();
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  /// The listening port.
  std::uint16_t port() const { return port_; }
  /// SNI names of the completed handshakes, in order ("" when the client sent none).
  std::vector<std::string> sni_seen() const;
  /// Number of completed TLS handshakes.
  int handshakes() const;

private:
  void accept_loop();
  void serve(int fd);
  void serve_tls(int fd);
  void remember_fd(int fd);

  server_options options_;
  ssl_ctx_st* ctx_ = nullptr;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  std::vector<std::thread> workers_;
  std::vector<int> open_fds_;
  std::vector<std::string> sni_;
};

/// Binds 127.0.0.1 on an ephemeral port without listening: connects to it are refused.
/// Owns the socket; the port stays reserved while the object lives.
class closed_port {
public:
  closed_port();
  ~closed_port();
  closed_port(const closed_port&) = delete;
  closed_port& operator=(const closed_port&) = delete;
  /// The refused port.
  std::uint16_t port() const { return port_; }

private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// A listener whose accept queue is full (backlog 0, never accepting, already filled):
/// the kernel drops further SYNs, so a TCP connect to it hangs until the caller's timeout.
class stalled_listener {
public:
  stalled_listener();
  ~stalled_listener();
  stalled_listener(const stalled_listener&) = delete;
  stalled_listener& operator=(const stalled_listener&) = delete;
  /// The stalled port.
  std::uint16_t port() const { return port_; }

private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::vector<int> fillers_;
};

/// Number of open descriptors of this process (entries of /proc/self/fd).
int open_fd_count();

} // namespace imap_mcp::tls::test
