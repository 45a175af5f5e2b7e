#include "tests/protocol/tls/support/test_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace imap_mcp::tls::test {

namespace {

/// Safety net so that a broken test cannot hang a server thread forever.
constexpr int server_io_timeout_seconds = 10;

std::uint16_t bound_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("getsockname failed");
  return ntohs(addr.sin_port);
}

int bind_loopback() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error("socket failed");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  return fd;
}

bool read_exact(SSL* ssl, char* buf, std::size_t len) {
  while (len > 0) {
    std::size_t n = 0;
    if (SSL_read_ex(ssl, buf, len, &n) != 1)
      return false;
    buf += n;
    len -= n;
  }
  return true;
}

bool write_exact(SSL* ssl, const char* buf, std::size_t len) {
  while (len > 0) {
    std::size_t n = 0;
    if (SSL_write_ex(ssl, buf, len, &n) != 1)
      return false;
    buf += n;
    len -= n;
  }
  return true;
}

} // namespace

test_server::test_server(server_options options) : options_(std::move(options)) {
  bool tls =
      options_.mode != server_mode::plaintext_greeting && options_.mode != server_mode::silent_tcp;
  if (tls) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (ctx_ == nullptr)
      throw std::runtime_error("SSL_CTX_new failed");
    if (options_.max_version != 0 && options_.max_version < TLS1_2_VERSION) {
      // Old protocol versions are disabled by the default security level.
      SSL_CTX_set_security_level(ctx_, 0);
      SSL_CTX_set_cipher_list(ctx_, "DEFAULT:@SECLEVEL=0");
    }
    if (options_.min_version != 0)
      SSL_CTX_set_min_proto_version(ctx_, options_.min_version);
    if (options_.max_version != 0)
      SSL_CTX_set_max_proto_version(ctx_, options_.max_version);
    if (SSL_CTX_use_certificate_chain_file(ctx_, options_.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_, options_.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      SSL_CTX_free(ctx_);
      throw std::runtime_error("cannot load server certificate " + options_.cert_file);
    }
  }
  listen_fd_ = bind_loopback();
  if (::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    if (ctx_ != nullptr)
      SSL_CTX_free(ctx_);
    throw std::runtime_error("listen failed");
  }
  port_ = bound_port(listen_fd_);
  acceptor_ = std::thread{[this] { accept_loop(); }};
}

test_server::~test_server() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
    // Wake every connection thread blocked in a read.
    for (int fd : open_fds_)
      ::shutdown(fd, SHUT_RDWR);
  }
  stop_cv_.notify_all();
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    workers.swap(workers_);
  }
  for (auto& t : workers)
    t.join();
  ::close(listen_fd_);
  if (ctx_ != nullptr)
    SSL_CTX_free(ctx_);
}

std::vector<std::string> test_server::sni_seen() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return sni_;
}

int test_server::handshakes() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return static_cast<int>(sni_.size());
}

void test_server::remember_fd(int fd) {
  std::lock_guard<std::mutex> guard{mutex_};
  open_fds_.push_back(fd);
  if (stopping_)
    ::shutdown(fd, SHUT_RDWR);
}

void test_server::accept_loop() {
  // The server's OpenSSL writes with write() and may hit a client that already left.
  // Only the server threads (this one and the workers it starts, which inherit the mask)
  // block SIGPIPE: the client under test runs with the default disposition, so a SIGPIPE
  // raised by the client code still kills the test run.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0)
      continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    // Like real IMAP servers: without it, Nagle plus delayed ACKs add 40 ms to small echoes.
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{server_io_timeout_seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    remember_fd(fd);
    std::lock_guard<std::mutex> guard{mutex_};
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void test_server::serve(int fd) {
  switch (options_.mode) {
  case server_mode::plaintext_greeting: {
    const char greeting[] = "* OK IMAP4rev1 ready\r\n";
    ::send(fd, greeting, sizeof greeting - 1, MSG_NOSIGNAL);
    [[fallthrough]];
  }
  case server_mode::silent_tcp: {
    char buf[4096];
    while (::recv(fd, buf, sizeof buf, 0) > 0) {
    }
    break;
  }
  default:
    serve_tls(fd);
    break;
  }
  std::lock_guard<std::mutex> guard{mutex_};
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  ::close(fd);
}

void test_server::serve_tls(int fd) {
  SSL* ssl = SSL_new(ctx_);
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) {
    SSL_free(ssl);
    ERR_clear_error();
    return;
  }
  {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    std::lock_guard<std::mutex> guard{mutex_};
    sni_.push_back(name != nullptr ? name : "");
  }
  switch (options_.mode) {
  case server_mode::echo: {
    char buf[16384];
    std::size_t n = 0;
    while (SSL_read_ex(ssl, buf, sizeof buf, &n) == 1)
      if (!write_exact(ssl, buf, n))
        break;
    break;
  }
  case server_mode::bulk_echo: {
    unsigned char header[8];
    if (!read_exact(ssl, reinterpret_cast<char*>(header), sizeof header))
      break;
    std::uint64_t len = 0;
    for (unsigned char b : header)
      len = (len << 8) | b;
    std::string data(len, '\0');
    if (read_exact(ssl, data.data(), data.size()))
      write_exact(ssl, data.data(), data.size());
    char rest[256];
    std::size_t n = 0;
    while (SSL_read_ex(ssl, rest, sizeof rest, &n) == 1) {
    }
    break;
  }
  case server_mode::hold: {
    char buf[16384];
    std::size_t n = 0;
    while (SSL_read_ex(ssl, buf, sizeof buf, &n) == 1) {
    }
    break;
  }
  case server_mode::never_read: {
    std::unique_lock<std::mutex> lock{mutex_};
    stop_cv_.wait(lock, [this] { return stopping_.load(); });
    break;
  }
  case server_mode::close_after_handshake:
    SSL_shutdown(ssl);
    break;
  default:
    break;
  }
  SSL_free(ssl);
  ERR_clear_error();
}

closed_port::closed_port() : fd_(bind_loopback()), port_(bound_port(fd_)) {}

closed_port::~closed_port() {
  ::close(fd_);
}

stalled_listener::stalled_listener() : fd_(bind_loopback()), port_(bound_port(fd_)) {
  if (::listen(fd_, 0) != 0)
    throw std::runtime_error("listen failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port_);
  // Connect until one attempt does not complete: from then on the queue is full.
  for (int i = 0; i < 16; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    fillers_.push_back(c);
    if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
      continue;
    pollfd p{c, POLLOUT, 0};
    if (::poll(&p, 1, 50) == 0)
      return;
  }
  throw std::runtime_error("could not fill the accept queue");
}

stalled_listener::~stalled_listener() {
  for (int c : fillers_)
    ::close(c);
  ::close(fd_);
}

int open_fd_count() {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++count;
  return count;
}

} // namespace imap_mcp::tls::test
