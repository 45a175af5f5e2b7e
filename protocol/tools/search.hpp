#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "protocol/imap/client.hpp"
#include "protocol/tools/ids.hpp"
#include "protocol/tools/output.hpp"
#include "protocol/util/dates.hpp"

namespace imap_mcp::tools {

/// Most matches a search may have (contract tool 4).
inline constexpr std::uint64_t max_search_matches = 20000;

/// Validated imap_search_messages arguments.
struct search_args {
  std::string account_id = "default";
  std::string mailbox;
  std::optional<std::string> cursor;
  std::optional<std::string> query, from, to, subject;
  bool unread_only = false;
  std::optional<int> last_days;
  std::optional<dates::ymd> start_date, end_date;
  int limit = 10;
  bool include_snippet = false;
  int snippet_max_chars = 200;
  /// Which criteria fields the caller sent (a cursor may come alone).
  bool has_criteria = false;
};

/// Applies the run-time rules the schema cannot express (dates, exclusive fields).
result<search_args> parse_search_args(const nlohmann::json& arguments);

/// The criteria that define a result set, canonical, for cursor matching.
nlohmann::json canonical_criteria(const search_args& args);

/// Builds the IMAP SEARCH criteria; sets `utf8` when CHARSET UTF-8 is needed.
imap::command_builder build_criteria(const search_args& args, dates::ymd today, bool& utf8);

/// Cursor signing and clock.
struct search_context {
  std::string cursor_key;
  int cursor_ttl_seconds = 600;
  long long now = 0; ///< Unix seconds
};

/// Verifies the cursor of `args` (signature, expiry, account, mailbox, criteria) without any
/// IMAP traffic: nullopt when there is none, else the decoded state or the exact error. The tool
/// runner calls it before asking for a connection, so a bad cursor costs the IMAP server nothing.
result<std::optional<cursor_state>> check_cursor(const search_args& args, const search_context& ctx);

/// imap_search_messages on a logged-in client.
tool_result search_messages(imap::client& client, const search_args& args, const search_context& ctx);

/// Summary of one fetched message, as in data.messages[].
nlohmann::json message_summary(const imap::fetch_record& record, const std::string& account_id,
                               const std::string& mailbox, std::uint32_t uidvalidity);

/// True when the structure holds an attachment (a disposition of attachment, or a named
/// non-text leaf).
bool has_attachments(const imap::body_part& root);

/// "Name <a@b>, c@d" from ENVELOPE addresses, RFC 2047 names decoded.
std::string format_address_list(const std::vector<imap::address>& list);

/// The date of a message as RFC 3339: the Date header when parsable, else INTERNALDATE.
std::string message_date(const imap::fetch_record& record);

} // namespace imap_mcp::tools
