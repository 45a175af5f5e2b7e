#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocol/util/error.hpp"

namespace imap_mcp::tools {

/// A message address: `imap:{account_id}:{mailbox}:{uidvalidity}:{uid}`.
struct message_ref {
  std::string account_id;
  std::string mailbox;
  std::uint32_t uidvalidity = 0;
  std::uint32_t uid = 0;
};

std::string format_message_id(const message_ref& ref);

/// Parses a message id from the right, so mailbox names may contain ':'. The prefix must
/// be `imap`, the account id valid, uidvalidity and uid unsigned 32-bit (uid > 0).
result<message_ref> parse_message_id(std::string_view text);

/// The search position a cursor carries.
struct cursor_state {
  std::string account_id;
  std::string mailbox;
  std::uint32_t uidvalidity = 0;
  /// Canonical criteria (the search arguments that define the result set).
  nlohmann::json criteria;
  /// Next page holds matches with UID < before_uid.
  std::uint32_t before_uid = 0;
  /// Total matches of the first page's search.
  std::uint64_t total = 0;
  /// Unix seconds when the cursor stops being valid.
  long long expires_at = 0;
};

/// Signs and encodes a cursor (HMAC-SHA256 under `key`): opaque, URL-safe text.
std::string encode_cursor(const cursor_state& state, std::string_view key);

/// Verifies and decodes; forged, malformed or expired (relative to `now`) cursors give
/// invalid_input `cursor is invalid or expired`.
result<cursor_state> decode_cursor(std::string_view text, std::string_view key, long long now);

} // namespace imap_mcp::tools
