#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/util/error.hpp"

/// Network address text: the `host[:port]` authority that Host headers, Origin values and
/// listen addresses share (RFC 3986 section 3.2.2 and 3.2.3, registered names and IP literals).
namespace imap_mcp::net_address {

/// A `host[:port]` authority split into its parts.
struct host_port {
  /// The host as written (case kept); an IPv6 literal without its brackets, e.g. "::1".
  std::string host;
  /// The port when the text had `:port`.
  std::optional<std::uint16_t> port;
  /// True when the host was written as `[v6]`.
  bool bracketed = false;
};

/// Splits `host`, `host:port`, `[v6]` or `[v6]:port`. A bracketed host must be an IPv6 literal;
/// any other host must be a registered name or IPv4 literal made of ASCII letters, digits, '-',
/// '.' and '_' (so an unbracketed IPv6 address, a path, user info or blanks are refused). A port,
/// once a ':' follows the host, must be 1 to 5 decimal digits with a value in 1..65535.
/// Anything else is an invalid_input failure saying what is wrong (the text is not echoed:
/// callers decide whether it may be shown).
result<host_port> split_host_port(std::string_view text);

/// True when `host` names the local machine's loopback: "localhost" (any case), 127.0.0.0/8,
/// ::1, or ::ffff:127.x.y.z. Used for the HTTP listener's DNS-rebinding guard, the rule that a
/// listener beyond loopback needs tokens, and the load harness's refusal of remote targets.
bool is_loopback(std::string_view host);

} // namespace imap_mcp::net_address
