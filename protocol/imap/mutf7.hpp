#pragma once

#include <string>
#include <string_view>

#include "protocol/util/error.hpp"

/// Modified UTF-7 mailbox names (RFC 3501 section 5.1.3).
namespace imap_mcp::imap {

/// True when text is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view text);

/// Encodes a UTF-8 mailbox name for the wire. Printable ASCII stays as is ('&' becomes "&-");
/// everything else goes into "&...-" base64 runs of UTF-16. Invalid UTF-8 bytes and NUL (which
/// no mailbox name may hold) are encoded as U+FFFD, so prefer try_encode_mailbox() wherever the
/// name comes from outside.
std::string encode_mailbox(std::string_view utf8);

/// Like encode_mailbox(), but invalid UTF-8 or a NUL is an invalid_input failure instead of
/// being replaced.
result<std::string> try_encode_mailbox(std::string_view utf8);

/// Decodes a wire mailbox name to UTF-8. Malformed input (raw 8-bit or control bytes, an
/// unterminated or badly padded base64 run, unpaired surrogates, encoded printable ASCII) is an
/// invalid_input failure.
result<std::string> decode_mailbox(std::string_view mutf7);

} // namespace imap_mcp::imap
