#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/imap/client.hpp"
#include "protocol/tools/list_accounts.hpp"
#include "protocol/tools/output.hpp"

namespace imap_mcp::tools {

/// Most mailboxes imap_list_mailboxes returns.
inline constexpr std::size_t max_mailboxes = 1000;

/// imap_verify_account, from the outcome of opening a fresh session: the capabilities on
/// success, or the failure as a soft issue (ok=false).
tool_output verify_account(const account_summary& account, const result<std::vector<std::string>>& capabilities,
                           long long latency_ms);

/// imap_list_mailboxes: LIST "" "*" on a logged-in client.
tool_result list_mailboxes(imap::client& client, const std::string& account_id);

/// Shapes LIST results into data.mailboxes (INBOX first, then by name), capped at `limit`.
tool_output mailboxes_output(const std::string& account_id, std::vector<imap::mailbox_info> boxes,
                             std::size_t limit = max_mailboxes);

} // namespace imap_mcp::tools
