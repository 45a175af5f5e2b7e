#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "protocol/util/error.hpp"

// OpenSSL types, declared here so that users of this header do not pull in OpenSSL.
struct ssl_ctx_st;
struct ssl_session_st;

namespace imap_mcp::tls {

/// The client-side TLS configuration shared by every connection of a process (or of one CA
/// path): trusted roots, TLS 1.2 minimum, peer verification, cipher policy, and a cache of
/// TLS sessions so that reconnecting to the same server can skip the full handshake.
/// Thread-safe: any number of connections may be opened from any threads at once.
class client_context {
public:
  /// Builds a context trusting the system roots plus, when `extra_ca_pem_path` is not empty,
  /// every certificate in that PEM file. An unreadable file or one without a valid
  /// certificate is a failure (stage "tls") that names the path.
  static result<std::shared_ptr<client_context>> create(const std::string& extra_ca_pem_path);

  ~client_context();
  client_context(const client_context&) = delete;
  client_context& operator=(const client_context&) = delete;

  /// The OpenSSL context; owned by this object.
  ssl_ctx_st* native() const { return ctx_; }

  /// A resumable session for `peer_key` ("host:port"), with a reference the caller must
  /// release (SSL_SESSION_free), or nullptr when none is cached.
  ssl_session_st* find_session(const std::string& peer_key);

  /// Caches `session` for `peer_key`, taking over the caller's reference.
  void store_session(const std::string& peer_key, ssl_session_st* session);

  /// Drops the cached session of `peer_key`, e.g. after a failed handshake.
  void forget_session(const std::string& peer_key);

  /// Number of cached sessions (for tests and diagnostics).
  std::size_t cached_sessions() const;

private:
  client_context() = default;

  ssl_ctx_st* ctx_ = nullptr;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, ssl_session_st*> sessions_;
};

} // namespace imap_mcp::tls
