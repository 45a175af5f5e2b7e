#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "protocol/imap/client.hpp"
#include "protocol/tools/ids.hpp"
#include "protocol/tools/output.hpp"

namespace imap_mcp::tools {

/// Resolves `message_id` (+ optional `account_id`) from tool arguments: the account inside
/// the id must match account_id when both are given.
result<message_ref> message_ref_from_arguments(const nlohmann::json& arguments);

/// Selects the message's mailbox read-only (EXAMINE) and checks the live UIDVALIDITY:
/// a mismatch is the contract's exact conflict.
status open_message_mailbox(imap::client& client, const message_ref& ref);

/// The not_found failure for a UID that is not in its mailbox.
failure message_not_found(const message_ref& ref);

/// imap_get_message_raw: RFC822.SIZE and BODY.PEEK[]<offset.max_bytes> in one FETCH.
tool_result get_message_raw(imap::client& client, const message_ref& ref, std::uint32_t offset,
                            std::uint32_t max_bytes);

} // namespace imap_mcp::tools
