#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace imap_mcp::http {

/// Where the server listens, as the Host and Origin checks need it.
struct listen_info {
  std::string host; ///< as configured, IPv6 without brackets, e.g. "127.0.0.1", "::1", "0.0.0.0"
  std::uint16_t port = 0;

  /// Bound to 127.0.0.0/8, ::1 or localhost: only local clients can connect.
  bool loopback() const;
  /// Bound to every interface (0.0.0.0 or ::).
  bool wildcard() const;
};

/// A Host header split into host (lower case, IPv6 without brackets) and optional port.
struct host_port {
  std::string host;
  std::optional<std::uint16_t> port;
};

/// Parses a Host header value (`name`, `name:port`, `1.2.3.4:port`, `[v6]:port`);
/// nullopt when malformed (empty, bad port, stray characters).
std::optional<host_port> parse_host_header(std::string_view value);

/// DNS-rebinding protection for the Host header: on a loopback listener the Host must
/// name a loopback address; on a specific address it must name that address; a wildcard
/// listener accepts any Host (bearer tokens are mandatory there).
bool host_allowed(std::string_view host_header, const listen_info& listen);

/// The Origin check for browser requests: the origin is one of `allowed` (lower-case
/// `scheme://host[:port]`), or, on a loopback listener, http(s)://localhost, 127.0.0.1 or
/// [::1] with any port. "null" and malformed origins are refused.
bool origin_allowed(std::string_view origin, std::span<const std::string> allowed,
                    const listen_info& listen);

/// The credential of an `Authorization: Bearer <token>` header (scheme case-insensitive);
/// nullopt for other schemes or a missing token.
std::optional<std::string_view> bearer_credential(std::string_view authorization);

/// The index of the token equal to `candidate`. Every token is compared in constant time
/// (CRYPTO_memcmp over the common length, lengths folded in), and all of them are compared,
/// so timing reveals neither where a guess differs nor which token matched.
std::optional<std::size_t> match_token(std::string_view candidate,
                                       std::span<const std::string_view> tokens);

} // namespace imap_mcp::http
