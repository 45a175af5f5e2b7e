#include "protocol/tools/mailboxes.hpp"

#include <algorithm>

#include "protocol/tools/catalog.hpp"
#include "protocol/tools/envelope.hpp"

namespace imap_mcp::tools {

tool_output verify_account(const account_summary& account,
                           const result<std::vector<std::string>>& capabilities, long long latency_ms) {
  tool_output out;
  json data = {{"account_id", account.id},
               {"latency_ms", latency_ms},
               {"server", {{"host", account.host}, {"port", account.port}, {"secure", account.secure}}}};
  if (capabilities.ok()) {
    data["status"] = "ok";
    data["ok"] = true;
    data["issues"] = json::array();
    data["capabilities"] = capabilities.value();
    data["next_action"] =
      next_action("List the account's mailboxes", names::list_mailboxes, {{"account_id", account.id}});
    out.summary = "account '" + account.id + "' verified: TLS and login ok in " +
                  std::to_string(latency_ms) + " ms";
  } else {
    const auto& f = capabilities.error();
    data["status"] = "failed";
    data["ok"] = false;
    data["issues"] = json::array({make_issue(f)});
    data["capabilities"] = json::array();
    if (f.retryable)
      data["next_action"] = next_action("Retry the verification later", names::verify_account,
                                        {{"account_id", account.id}});
    else
      data["next_action"] = next_action(
        "Ask the operator to check this account's MAIL_IMAP_* settings", names::list_accounts,
        json::object());
    out.summary = "account '" + account.id + "' verification failed: " + f.full_message();
  }
  out.data = std::move(data);
  return out;
}

tool_output mailboxes_output(const std::string& account_id, std::vector<imap::mailbox_info> boxes,
                             std::size_t limit) {
  std::stable_sort(boxes.begin(), boxes.end(), [](const auto& a, const auto& b) {
    const bool a_inbox = a.name == "INBOX";
    const bool b_inbox = b.name == "INBOX";
    if (a_inbox != b_inbox) return a_inbox;
    return a.name < b.name;
  });
  json issues = json::array();
  const std::size_t total = boxes.size();
  if (boxes.size() > limit) {
    boxes.resize(limit);
    issues.push_back({{"code", "truncated"},
                      {"stage", "list"},
                      {"message", "the account has " + std::to_string(total) +
                                    " mailboxes; only the first " + std::to_string(limit) + " are listed"},
                      {"retryable", false}});
  }
  json list = json::array();
  std::string first_selectable;
  for (const auto& box : boxes) {
    json entry = {{"name", box.name},
                  {"delimiter", box.delimiter.empty() ? json(nullptr) : json(box.delimiter)},
                  {"attributes", box.attributes},
                  {"selectable", box.selectable()}};
    if (box.special_use) entry["special_use"] = *box.special_use;
    if (first_selectable.empty() && box.selectable()) first_selectable = box.name;
    list.push_back(std::move(entry));
  }
  tool_output out;
  out.data = {{"status", issues.empty() ? "ok" : "partial"},
              {"issues", issues},
              {"account_id", account_id},
              {"mailboxes", list}};
  out.summary = std::to_string(list.size()) + " mailbox(es) listed" +
                (issues.empty() ? std::string() : " (truncated from " + std::to_string(total) + ")");
  return out;
}

tool_result list_mailboxes(imap::client& client, const std::string& account_id) {
  auto boxes = client.list("", "*");
  if (!boxes) return boxes.error();
  return mailboxes_output(account_id, std::move(boxes.value()));
}

} // namespace imap_mcp::tools
