#include "protocol/tls/tls_stream.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "protocol/tls/tcp.hpp"
#include "protocol/util/log.hpp"

namespace imap_mcp::tls {

namespace {

using detail::clock;

// ---- A socket BIO that never raises SIGPIPE --------------------------------------------
// OpenSSL's own socket BIO writes with write(), which raises SIGPIPE on a connection the
// peer has reset. Ignoring the signal process-wide is not a library's call, so this BIO
// sends with MSG_NOSIGNAL instead. It also records errno and the first received bytes.

using socket_state = tls_stream::socket_state;

socket_state* state_of(BIO* bio) {
  return static_cast<socket_state*>(BIO_get_data(bio));
}

int bio_write(BIO* bio, const char* data, size_t len, size_t* written) {
  BIO_clear_retry_flags(bio);
  auto* st = state_of(bio);
  ssize_t n = ::send(st->fd, data, len, MSG_NOSIGNAL);
  if (n >= 0) {
    *written = static_cast<size_t>(n);
    return 1;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    BIO_set_retry_write(bio);
  else
    st->last_errno = errno;
  return 0;
}

int bio_read(BIO* bio, char* data, size_t len, size_t* read) {
  BIO_clear_retry_flags(bio);
  auto* st = state_of(bio);
  ssize_t n = ::recv(st->fd, data, len, 0);
  if (n > 0) {
    if (st->first_len < sizeof st->first_bytes) {
      size_t take = std::min(sizeof st->first_bytes - st->first_len, static_cast<size_t>(n));
      std::memcpy(st->first_bytes + st->first_len, data, take);
      st->first_len += take;
    }
    *read = static_cast<size_t>(n);
    return 1;
  }
  if (n == 0) {
    st->eof = true;
    return 0;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    BIO_set_retry_read(bio);
  else
    st->last_errno = errno;
  return 0;
}

long bio_ctrl(BIO* bio, int cmd, long, void*) {
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1; // nothing is buffered here
  case BIO_CTRL_EOF:
    return state_of(bio)->eof ? 1 : 0;
  default:
    return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 0);
  BIO_set_data(bio, nullptr);
  return 1;
}

int bio_destroy(BIO*) {
  return 1;
} // the fd and the state belong to tls_stream

const BIO_METHOD* socket_bio_method() {
  // Created once, kept for the life of the process (thread-safe static initialisation).
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "imap_mcp socket");
    if (m == nullptr)
      return m;
    BIO_meth_set_write_ex(m, bio_write);
    BIO_meth_set_read_ex(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    BIO_meth_set_destroy(m, bio_destroy);
    return m;
  }();
  return method;
}

// ---- Error helpers -----------------------------------------------------------------------

/// The first queued OpenSSL reason, e.g. "wrong version number"; clears the queue.
std::string take_openssl_reason() {
  unsigned long e = ERR_peek_error();
  const char* reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
  std::string text = reason != nullptr ? reason : (e != 0 ? "TLS protocol error" : "");
  ERR_clear_error();
  return text;
}

bool queued_unexpected_eof() {
  unsigned long e = ERR_peek_error();
  return e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
         ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

/// A TLS record starts with content type 20..24; anything else means the server is not
/// speaking TLS. Returns the printable start of what it sent, or nothing if it looks like TLS.
std::optional<std::string> plaintext_prefix(const socket_state& st) {
  if (st.first_len == 0)
    return std::nullopt;
  auto type = static_cast<unsigned char>(st.first_bytes[0]);
  if (type >= 20 && type <= 24)
    return std::nullopt;
  std::string text;
  for (std::size_t i = 0; i < st.first_len; ++i) {
    auto c = static_cast<unsigned char>(st.first_bytes[i]);
    if (c == '\r' || c == '\n')
      break;
    text += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  return text;
}

std::string ms_text(int ms) {
  return std::to_string(ms) + " ms";
}

} // namespace

// ---- connect -----------------------------------------------------------------------------

result<std::unique_ptr<tls_stream>> connect(std::shared_ptr<client_context> context,
                                            const connect_options& options) {
  const std::string host = detail::strip_brackets(options.host);
  if (!context || host.empty() || options.port == 0 || options.connect_timeout_ms <= 0 ||
      options.greeting_timeout_ms <= 0 || options.io_timeout_ms <= 0)
    return make_failure(error_code::internal,
                        "invalid connection settings for " +
                            detail::endpoint_label(host, options.port) +
                            " (missing TLS context, host, port or timeout)",
                        "connect", false);
  try {
    auto fd = detail::tcp_connect(host, options.port, options.connect_timeout_ms);
    if (!fd)
      return fd.error();
    std::unique_ptr<tls_stream> stream{new tls_stream(std::move(context), fd->release(),
                                                      detail::endpoint_label(host, options.port),
                                                      options.io_timeout_ms)};
    auto deadline = clock::now() + std::chrono::milliseconds(options.greeting_timeout_ms);
    if (auto started = stream->start(host); !started)
      return started.error();
    if (auto done = stream->handshake(deadline, options.greeting_timeout_ms); !done)
      return done.error();
    LOG_DEBUG("tls", "connected to " << stream->peer() << " (" << stream->protocol_version() << ", "
                                     << stream->cipher()
                                     << (stream->session_reused() ? ", resumed" : "") << ")");
    return stream;
  } catch (const std::exception& e) {
    return make_failure(error_code::internal,
                        "connect to " + detail::endpoint_label(host, options.port) +
                            " failed: " + e.what(),
                        "connect", true);
  }
}

// ---- tls_stream ----------------------------------------------------------------------------

tls_stream::tls_stream(std::shared_ptr<client_context> context, int fd, std::string peer,
                       int io_timeout_ms)
    : context_(std::move(context)), peer_(std::move(peer)),
      io_timeout_ms_(std::max(1, io_timeout_ms)) {
  socket_.fd = fd;
}

tls_stream::~tls_stream() {
  if (ssl_ != nullptr) {
    // A polite close_notify when the connection is healthy; one non-blocking attempt only.
    if (established_ && !fatal_ && !aborted_.load()) {
      ERR_clear_error();
      SSL_shutdown(ssl_);
    }
    SSL_free(ssl_); // also frees the BIO, which does not own the fd
    ERR_clear_error();
  }
  if (socket_.fd >= 0)
    ::close(socket_.fd);
}

status tls_stream::start(const std::string& host) {
  ERR_clear_error();
  ssl_ = SSL_new(context_->native());
  BIO* bio =
      ssl_ != nullptr && socket_bio_method() != nullptr ? BIO_new(socket_bio_method()) : nullptr;
  if (bio == nullptr)
    return make_failure(error_code::internal,
                        "cannot set up TLS for " + peer_ + ": " + take_openssl_reason(), "tls",
                        true);
  BIO_set_data(bio, &socket_);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);    // one reference, used for both directions
  SSL_set_app_data(ssl_, &peer_); // the session-cache key, read by the new-session callback

  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  bool ok = true;
  if (detail::is_ip_literal(host)) {
    // RFC 6066: no SNI for addresses; the certificate must list the IP (iPAddress SAN).
    ok = X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  } else {
    ok = SSL_set_tlsext_host_name(ssl_, host.c_str()) == 1 &&
         X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
  }
  if (!ok)
    return make_failure(error_code::internal,
                        "cannot set up TLS for " + peer_ + ": invalid host name", "tls", false);
  if (SSL_SESSION* session = context_->find_session(peer_)) {
    SSL_set_session(ssl_, session); // takes its own reference
    SSL_SESSION_free(session);
  }
  ERR_clear_error();
  return ok_status();
}

status tls_stream::handshake(clock::time_point deadline, int limit_ms) {
  for (;;) {
    ERR_clear_error();
    int rc = SSL_connect(ssl_);
    if (rc == 1)
      break;
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (auto f = wait_for(err, deadline, "tls handshake", limit_ms)) {
        fatal_ = *f;
        return *f;
      }
      continue;
    }
    fatal_ = handshake_failure(err);
    context_->forget_session(peer_);
    return *fatal_;
  }
  // Belt and braces: SSL_VERIFY_PEER already fails the handshake on a bad chain.
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK || SSL_get0_peer_certificate(ssl_) == nullptr) {
    context_->forget_session(peer_);
    fatal_ = make_failure(
        error_code::internal,
        "TLS certificate verification failed for " + peer_ + ": " +
            (verify != X509_V_OK ? X509_verify_cert_error_string(verify) : "no certificate"),
        "tls", false);
    return *fatal_;
  }
  established_ = true;
  return ok_status();
}

failure tls_stream::handshake_failure(int ssl_error) {
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    ERR_clear_error();
    return make_failure(error_code::internal,
                        "TLS certificate verification failed for " + peer_ + ": " +
                            X509_verify_cert_error_string(verify),
                        "tls", false);
  }
  if (auto text = plaintext_prefix(socket_)) {
    ERR_clear_error();
    return make_failure(
        error_code::internal,
        "server " + peer_ + " did not answer with TLS (it sent \"" + *text +
            "\"); the port must offer implicit TLS (IMAPS); plaintext and STARTTLS are not "
            "supported",
        "tls", false);
  }
  bool closed = ssl_error == SSL_ERROR_ZERO_RETURN || queued_unexpected_eof() ||
                (ssl_error == SSL_ERROR_SYSCALL && (socket_.eof || socket_.last_errno == 0));
  if (closed || socket_.last_errno == ECONNRESET || socket_.last_errno == EPIPE) {
    ERR_clear_error();
    return make_failure(error_code::internal,
                        "TLS handshake with " + peer_ + " failed: connection closed by server",
                        "tls", true);
  }
  if (ssl_error == SSL_ERROR_SYSCALL) {
    ERR_clear_error();
    return make_failure(error_code::internal,
                        "TLS handshake with " + peer_ +
                            " failed: " + std::strerror(socket_.last_errno),
                        "tls", true);
  }
  // A protocol mismatch (no common version or cipher, an alert): retrying will not help.
  return make_failure(error_code::internal,
                      "TLS handshake with " + peer_ + " failed: " + take_openssl_reason(), "tls",
                      false);
}

failure tls_stream::io_failure(int ssl_error, const char* stage) {
  bool closed = ssl_error == SSL_ERROR_ZERO_RETURN || queued_unexpected_eof() ||
                (ssl_error == SSL_ERROR_SYSCALL && (socket_.eof || socket_.last_errno == 0));
  std::string message;
  if (closed) {
    message = "connection closed by server (" + peer_ + ")";
  } else if (socket_.last_errno == ECONNRESET || socket_.last_errno == EPIPE) {
    message =
        "connection closed by server (" + peer_ + ": " + std::strerror(socket_.last_errno) + ")";
  } else if (ssl_error == SSL_ERROR_SYSCALL) {
    message = std::string{stage} + " on connection to " + peer_ +
              " failed: " + std::strerror(socket_.last_errno);
  } else {
    message = "TLS error on connection to " + peer_ + ": " + take_openssl_reason();
  }
  ERR_clear_error();
  return make_failure(error_code::internal, std::move(message), stage, true);
}

failure tls_stream::aborted_failure(const char* stage) const {
  return make_failure(error_code::internal, "connection to " + peer_ + " was aborted", stage, true);
}

std::optional<failure> tls_stream::wait_for(int ssl_error, clock::time_point deadline,
                                            const char* stage, int limit_ms) {
  if (aborted_.load(std::memory_order_acquire))
    return aborted_failure(stage);
  short events = ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
  auto waited = detail::wait_fd(socket_.fd, events, deadline);
  // abort() shuts the socket down, which wakes poll() at once; report it as an abort.
  if (aborted_.load(std::memory_order_acquire))
    return aborted_failure(stage);
  if (waited == detail::wait_result::timeout) {
    std::string what = std::string{stage} == "tls handshake" ? "TLS handshake with " + peer_
                       : std::string{stage} == "read"        ? "read from " + peer_
                                                             : "write to " + peer_;
    return make_failure(error_code::timeout, what + " timed out after " + ms_text(limit_ms), stage,
                        true);
  }
  return std::nullopt;
}

result<std::size_t> tls_stream::read_some(char* buf, std::size_t len) {
  if (aborted_.load(std::memory_order_acquire))
    return aborted_failure("read");
  if (fatal_)
    return *fatal_;
  if (len == 0)
    return make_failure(error_code::internal, "read_some called with an empty buffer", "read",
                        false);
  const int limit = io_timeout();
  const auto deadline = clock::now() + std::chrono::milliseconds(limit);
  std::size_t total = 0;
  for (;;) {
    ERR_clear_error();
    std::size_t n = 0;
    if (SSL_read_ex(ssl_, buf, len, &n) == 1) {
      total = n;
      break;
    }
    int err = SSL_get_error(ssl_, 0);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      // A read timeout leaves the TLS state intact: the caller decides whether to go on.
      if (auto f = wait_for(err, deadline, "read", limit))
        return *f;
      continue;
    }
    fatal_ = io_failure(err, "read");
    return *fatal_;
  }
  // One SSL_read returns one record (16 KB at most); hand over every record already
  // received so that callers parse large chunks.
  while (total < len && SSL_has_pending(ssl_) == 1) {
    ERR_clear_error();
    std::size_t n = 0;
    if (SSL_read_ex(ssl_, buf + total, len - total, &n) == 1) {
      total += n;
      continue;
    }
    int err = SSL_get_error(ssl_, 0);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
      fatal_ = io_failure(err, "read");
    ERR_clear_error();
    break; // an error is reported by the next call, after these bytes
  }
  return total;
}

status tls_stream::write_all(std::string_view bytes) {
  if (aborted_.load(std::memory_order_acquire))
    return aborted_failure("write");
  if (fatal_)
    return *fatal_;
  const int limit = io_timeout();
  // The limit is on inactivity: a large upload may take longer as long as it progresses.
  auto deadline = clock::now() + std::chrono::milliseconds(limit);
  while (!bytes.empty()) {
    ERR_clear_error();
    std::size_t n = 0;
    if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &n) == 1) {
      bytes.remove_prefix(n);
      deadline = clock::now() + std::chrono::milliseconds(limit);
      continue;
    }
    int err = SSL_get_error(ssl_, 0);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (auto f = wait_for(err, deadline, "write", limit)) {
        // A record may be half sent: the stream cannot be used any more.
        fatal_ = *f;
        return *f;
      }
      continue;
    }
    fatal_ = io_failure(err, "write");
    return *fatal_;
  }
  return ok_status();
}

void tls_stream::abort() {
  if (aborted_.exchange(true, std::memory_order_acq_rel))
    return;
  // Wakes a poll() on this socket in another thread at once (level-triggered, so no lost
  // wake-up) and makes the server see the end of the connection.
  ::shutdown(socket_.fd, SHUT_RDWR);
}

void tls_stream::set_io_timeout(int ms) {
  io_timeout_ms_.store(std::max(1, ms), std::memory_order_relaxed);
}

std::string tls_stream::protocol_version() const {
  return ssl_ != nullptr ? SSL_get_version(ssl_) : "";
}

std::string tls_stream::cipher() const {
  const char* name = ssl_ != nullptr ? SSL_get_cipher_name(ssl_) : nullptr;
  return name != nullptr ? name : "";
}

bool tls_stream::session_reused() const {
  return ssl_ != nullptr && SSL_session_reused(ssl_) == 1;
}

} // namespace imap_mcp::tls
