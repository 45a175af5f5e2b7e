#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/util/error.hpp"

namespace imap_mcp::http {

/// Random bytes in a session id: 128 bits, the floor for an unguessable capability.
inline constexpr std::size_t session_id_bytes = 16;

/// A fresh `Mcp-Session-Id`: `session_id_bytes` from OpenSSL's CSPRNG as lower-case hex.
/// Fails (internal) only when the CSPRNG does.
result<std::string> new_session_id();

/// Whether a client-sent session id has the shape of ours (so junk never reaches a lookup
/// or a log line).
bool well_formed_session_id(std::string_view id);

} // namespace imap_mcp::http
