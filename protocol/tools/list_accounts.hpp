#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/tools/output.hpp"

namespace imap_mcp::tools {

/// The public facts of a configured account (never user or password).
struct account_summary {
  std::string id;
  std::string host;
  std::uint16_t port = 993;
  bool secure = true;
};

/// imap_list_accounts: accounts sorted by id, next_action to imap_list_mailboxes.
tool_output list_accounts(std::vector<account_summary> accounts);

} // namespace imap_mcp::tools
