#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imap_mcp::codec {

/// Standard base64 with padding (RFC 4648 section 4), no line breaks.
std::string base64_encode(std::string_view bytes);

/// URL-safe base64 without padding (RFC 4648 section 5).
std::string base64url_encode(std::string_view bytes);
/// Decodes URL-safe base64 without padding; nullopt on any invalid character.
std::optional<std::string> base64url_decode(std::string_view text);

/// HMAC-SHA256 of `data` under `key` (32 raw bytes).
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Constant-time equality of two byte strings (lengths compared without early exit on content).
bool constant_time_equal(std::string_view a, std::string_view b);

/// `n` cryptographically random bytes.
std::string random_bytes(std::size_t n);

} // namespace imap_mcp::codec
