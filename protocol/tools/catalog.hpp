#pragma once

#include <vector>

#include "protocol/tools/registry.hpp"

namespace imap_mcp::tools {

/// Definitions of every implemented tool, in the order tools/list shows them.
std::vector<tool_definition> catalog();

/// Tool names, one place.
namespace names {
inline constexpr const char* list_accounts = "imap_list_accounts";
inline constexpr const char* verify_account = "imap_verify_account";
inline constexpr const char* list_mailboxes = "imap_list_mailboxes";
inline constexpr const char* search_messages = "imap_search_messages";
inline constexpr const char* get_message = "imap_get_message";
inline constexpr const char* get_message_raw = "imap_get_message_raw";
inline constexpr const char* update_message_flags = "imap_update_message_flags";
inline constexpr const char* copy_message = "imap_copy_message";
inline constexpr const char* move_message = "imap_move_message";
inline constexpr const char* delete_message = "imap_delete_message";
inline constexpr const char* manage_mailbox = "imap_manage_mailbox";
} // namespace names

} // namespace imap_mcp::tools
