#include "protocol/tls/client_context.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "protocol/util/log.hpp"

namespace imap_mcp::tls {

namespace {

/// TLS 1.2 suites: forward-secret AEAD first, then whatever else is "HIGH" for old servers;
/// never anonymous, null, MD5, RC4, 3DES, PSK or SRP suites. TLS 1.3 keeps OpenSSL's list.
constexpr const char* cipher_list = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:HIGH:"
                                    "!aNULL:!eNULL:!MD5:!RC4:!3DES:!PSK:!SRP:!DSS";

/// With read-ahead, one recv() pulls this much, i.e. several 16 KB records per system call.
constexpr long read_buffer_bytes = 64 * 1024;

/// Sessions are kept per "host:port"; the cap only guards against unbounded growth.
constexpr std::size_t max_cached_sessions = 256;

failure ca_failure(const std::string& path, const std::string& why) {
  return make_failure(error_code::internal,
                      "cannot load CA certificate file '" + path + "': " + why, "tls", false);
}

std::string openssl_reason() {
  unsigned long e = ERR_peek_error();
  const char* reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
  ERR_clear_error();
  return reason != nullptr ? reason : "not a valid PEM file";
}

/// Adds every certificate of a PEM file to the context's trust store.
status add_ca_file(SSL_CTX* ctx, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return ca_failure(path, "it is a directory");
  ERR_clear_error();
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) {
    int err = errno;
    ERR_clear_error();
    return ca_failure(path, err != 0 ? std::strerror(err) : "cannot open file");
  }
  STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (infos == nullptr)
    return ca_failure(path, openssl_reason());
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  for (int i = 0; i < sk_X509_INFO_num(infos); ++i) {
    X509_INFO* info = sk_X509_INFO_value(infos, i);
    if (info->x509 == nullptr)
      continue;
    // A root that is also among the system roots is reported as a duplicate: not an error.
    if (X509_STORE_add_cert(store, info->x509) == 1)
      ++added;
    else {
      unsigned long e = ERR_peek_last_error();
      if (ERR_GET_REASON(e) == X509_R_CERT_ALREADY_IN_HASH_TABLE)
        ++added;
      ERR_clear_error();
    }
  }
  sk_X509_INFO_pop_free(infos, X509_INFO_free);
  if (added == 0)
    return ca_failure(path, "it holds no PEM certificate");
  LOG_DEBUG("tls", "trusting " << added << " extra CA certificate(s) from " << path);
  return ok_status();
}

/// OpenSSL hands over each new session here (after a full handshake, and for TLS 1.3 when
/// a ticket arrives later). The SSL object's app data is the connection's "host:port" key.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<client_context*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  auto* key = static_cast<const std::string*>(SSL_get_app_data(ssl));
  if (self == nullptr || key == nullptr || SSL_SESSION_is_resumable(session) != 1)
    return 0;
  self->store_session(*key, session);
  return 1; // we keep the reference
}

} // namespace

result<std::shared_ptr<client_context>>
client_context::create(const std::string& extra_ca_pem_path) {
  try {
    std::shared_ptr<client_context> self{new client_context()};
    ERR_clear_error();
    self->ctx_ = SSL_CTX_new(TLS_client_method());
    if (self->ctx_ == nullptr)
      return make_failure(error_code::internal, "cannot create TLS context: " + openssl_reason(),
                          "tls");
    SSL_CTX* ctx = self->ctx_;
    SSL_CTX_set_app_data(ctx, self.get());
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, cipher_list) != 1)
      return make_failure(error_code::internal, "cannot configure TLS context: " + openssl_reason(),
                          "tls");
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    // Partial writes let write_all() loop on its own progress; the buffer pointer moves
    // between calls, so OpenSSL must accept that.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_default_read_buffer_len(ctx, read_buffer_bytes);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      LOG_WARN("tls", "system CA roots could not be loaded: " << openssl_reason());
    }
    if (!extra_ca_pem_path.empty()) {
      if (auto added = add_ca_file(ctx, extra_ca_pem_path); !added)
        return added.error();
    }
    ERR_clear_error();
    return self;
  } catch (const std::exception& e) {
    return make_failure(error_code::internal, std::string{"cannot create TLS context: "} + e.what(),
                        "tls");
  }
}

client_context::~client_context() {
  for (auto& entry : sessions_)
    SSL_SESSION_free(entry.second);
  if (ctx_ != nullptr)
    SSL_CTX_free(ctx_);
}

ssl_session_st* client_context::find_session(const std::string& peer_key) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = sessions_.find(peer_key);
  if (i == sessions_.end())
    return nullptr;
  // The server would refuse an expired session anyway; not offering it saves the attempt
  // and keeps resumption within the lifetime the server granted.
  SSL_SESSION* session = i->second;
  if (SSL_SESSION_get_time(session) + SSL_SESSION_get_timeout(session) <= std::time(nullptr)) {
    sessions_.erase(i);
    SSL_SESSION_free(session);
    return nullptr;
  }
  SSL_SESSION_up_ref(session);
  return session;
}

void client_context::store_session(const std::string& peer_key, ssl_session_st* session) {
  SSL_SESSION* old = nullptr;
  SSL_SESSION* rejected = nullptr;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    try {
      auto i = sessions_.find(peer_key);
      if (i != sessions_.end()) {
        old = i->second;
        i->second = session;
      } else {
        if (sessions_.size() >= max_cached_sessions) {
          // Rare (hundreds of servers); dropping one arbitrary entry is good enough.
          old = sessions_.begin()->second;
          sessions_.erase(sessions_.begin());
        }
        sessions_.emplace(peer_key, session);
      }
    } catch (...) {
      rejected = session; // out of memory: simply do not cache it
    }
  }
  if (old != nullptr)
    SSL_SESSION_free(old);
  if (rejected != nullptr)
    SSL_SESSION_free(rejected);
}

void client_context::forget_session(const std::string& peer_key) {
  SSL_SESSION* old = nullptr;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    auto i = sessions_.find(peer_key);
    if (i == sessions_.end())
      return;
    old = i->second;
    sessions_.erase(i);
  }
  SSL_SESSION_free(old);
}

std::size_t client_context::cached_sessions() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return sessions_.size();
}

} // namespace imap_mcp::tls
