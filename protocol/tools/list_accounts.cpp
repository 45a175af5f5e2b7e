#include "protocol/tools/list_accounts.hpp"

#include <algorithm>

#include "protocol/tools/catalog.hpp"
#include "protocol/tools/envelope.hpp"

namespace imap_mcp::tools {

tool_output list_accounts(std::vector<account_summary> accounts) {
  std::sort(accounts.begin(), accounts.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  json list = json::array();
  for (const auto& a : accounts)
    list.push_back({{"account_id", a.id}, {"host", a.host}, {"port", a.port}, {"secure", a.secure}});
  tool_output out;
  out.data = {{"accounts", list}};
  if (accounts.empty()) {
    out.summary = "no accounts configured; set MAIL_IMAP_DEFAULT_HOST, _USER and _PASS";
  } else {
    out.summary = std::to_string(accounts.size()) + " account(s) configured";
    const auto& first = accounts.front().id;
    out.data["next_action"] =
      next_action("List the mailboxes of an account", names::list_mailboxes, {{"account_id", first}});
  }
  return out;
}

} // namespace imap_mcp::tools
