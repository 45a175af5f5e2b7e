#include "protocol/tools/message_access.hpp"

#include "protocol/tools/catalog.hpp"
#include "protocol/tools/envelope.hpp"
#include "protocol/util/base64.hpp"

namespace imap_mcp::tools {

using json = nlohmann::json;

result<message_ref> message_ref_from_arguments(const json& arguments) {
  auto ref = parse_message_id(arguments.value("message_id", ""));
  if (!ref) return ref.error();
  if (arguments.contains("account_id") && arguments["account_id"] != ref->account_id)
    return make_failure(error_code::invalid_input,
                        "account_id '" + arguments["account_id"].get<std::string>() +
                          "' does not match the account in message_id ('" + ref->account_id + "')",
                        "validate");
  return ref;
}

status open_message_mailbox(imap::client& client, const message_ref& ref) {
  // A pooled connection keeps its selection (select() then sends nothing), and the server
  // announces messages that arrived since its last command only when asked: NOOP first, or a
  // UID FETCH of a new message would find nothing.
  if (const auto* current = client.selected(); current != nullptr && current->name == ref.mailbox)
    if (auto synced = client.noop(); !synced) return synced.error();
  auto selected = client.select(ref.mailbox, true);
  if (!selected) return selected.error();
  if (selected->uidvalidity != ref.uidvalidity)
    return make_failure(error_code::conflict, "message uidvalidity no longer matches mailbox", "select");
  return ok_status();
}

failure message_not_found(const message_ref& ref) {
  return make_failure(error_code::not_found,
                      "message uid " + std::to_string(ref.uid) + " does not exist in mailbox '" +
                        ref.mailbox + "'",
                      "fetch");
}

tool_result get_message_raw(imap::client& client, const message_ref& ref, std::uint32_t offset,
                            std::uint32_t max_bytes) {
  if (auto s = open_message_mailbox(client, ref); !s) return s.error();
  imap::fetch_items items;
  items.size = true;
  imap::section_spec whole;
  whole.offset = offset;
  whole.length = max_bytes;
  items.sections.push_back(whole);
  auto fetched = client.uid_fetch(imap::sequence_set::from_numbers(std::vector<std::uint32_t>{ref.uid}), items);
  if (!fetched) return fetched.error();
  const imap::fetch_record* record = nullptr;
  for (const auto& r : *fetched)
    if (r.uid && *r.uid == ref.uid) record = &r;
  if (record == nullptr || !record->size) return message_not_found(ref);
  const std::uint64_t size = *record->size;
  std::string_view bytes;
  if (!record->sections.empty() && !record->sections.front().nil) bytes = record->sections.front().data;
  if (bytes.size() > max_bytes) bytes = bytes.substr(0, max_bytes);
  const bool truncated = offset + bytes.size() < size;
  const std::string id = format_message_id(ref);
  json data = {{"status", "ok"},
               {"issues", json::array()},
               {"account_id", ref.account_id},
               {"message_id", id},
               {"size_bytes", size},
               {"offset_bytes", offset},
               {"returned_bytes", bytes.size()},
               {"truncated", truncated},
               {"raw_source_base64", codec::base64_encode(bytes)},
               {"raw_source_encoding", "base64"}};
  if (offset > size)
    data["issues"].push_back(make_issue(make_failure(error_code::invalid_input,
                                                     "offset_bytes is beyond the end of the message (" +
                                                       std::to_string(size) + " bytes)",
                                                     "validate")));
  if (truncated)
    data["next_action"] = next_action("Fetch the next range of the source", names::get_message_raw,
                                      {{"account_id", ref.account_id},
                                       {"message_id", id},
                                       {"offset_bytes", offset + bytes.size()},
                                       {"max_bytes", max_bytes}});
  tool_output out;
  out.summary = "returned bytes " + std::to_string(offset) + ".." + std::to_string(offset + bytes.size()) +
                " of " + std::to_string(size) + (truncated ? " (more available)" : "");
  out.data = std::move(data);
  return out;
}

} // namespace imap_mcp::tools
