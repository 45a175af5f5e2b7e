#include "protocol/tools/write_tools.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "protocol/tools/catalog.hpp"
#include "protocol/tools/envelope.hpp"
#include "protocol/tools/message_access.hpp"
#include "protocol/tools/schema.hpp"

namespace imap_mcp::tools {

using json = nlohmann::json;

namespace {

constexpr const char* system_flags[] = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"};
constexpr const char* valid_flags_text =
  "valid system flags are \\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft; keywords must match "
  "^\\$?[A-Za-z0-9_.-]{1,64}$";

failure invalid(std::string message) {
  return make_failure(error_code::invalid_input, std::move(message), "validate");
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

/// A user value safe to quote in an error: printable ASCII kept, anything else '?', bounded.
std::string shown(std::string_view value) {
  std::string out;
  for (unsigned char c : value.substr(0, 64)) out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
  if (value.size() > 64) out += "...";
  return out;
}

bool is_keyword(std::string_view flag) {
  if (!flag.empty() && flag.front() == '$') flag.remove_prefix(1);
  if (flag.empty() || flag.size() > 64) return false;
  for (char c : flag) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

/// INBOX is case-insensitive (RFC 3501 5.1); other names compare exactly.
bool same_mailbox(std::string_view a, std::string_view b) {
  return a == b || (iequals(a, "INBOX") && iequals(b, "INBOX"));
}

std::optional<std::string> string_arg(const json& args, const char* name) {
  auto it = args.find(name);
  if (it == args.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

result<std::vector<std::string>> flag_list(const json& args, const char* name) {
  std::vector<std::string> out;
  auto it = args.find(name);
  if (it == args.end()) return out;
  if (!it->is_array()) return invalid(std::string(name) + " must be an array of flags");
  if (it->empty() || it->size() > max_flags_per_list)
    return invalid(std::string(name) + " must hold 1.." + std::to_string(max_flags_per_list) + " flags");
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& f = (*it)[i];
    if (!f.is_string()) return invalid(std::string(name) + " must hold strings");
    auto flag = validate_flag(f.get_ref<const std::string&>());
    if (!flag) {
      // Name the argument and the position, as every other validation error does.
      failure named = flag.error();
      named.message = std::string(name) + "[" + std::to_string(i) + "]: " + named.message;
      return named;
    }
    const bool dup = std::any_of(out.begin(), out.end(), [&](const std::string& x) { return iequals(x, *flag); });
    if (!dup) out.push_back(std::move(*flag));
  }
  return out;
}

std::vector<std::uint32_t> uids_of(const message_batch& batch) {
  std::vector<std::uint32_t> uids;
  for (const auto& r : batch.refs) uids.push_back(r.uid);
  return uids;
}

imap::sequence_set one_uid(std::uint32_t uid) {
  return imap::sequence_set::from_numbers(std::vector<std::uint32_t>{uid});
}

/// Flags worth reporting or keeping: \Recent is session state, not a message property.
std::vector<std::string> kept_flags(const std::vector<std::string>& flags) {
  std::vector<std::string> out;
  for (const auto& f : flags) {
    if (iequals(f, "\\Recent")) continue;
    if (auto c = imap::canonical_flag(f)) out.push_back(*c);
  }
  return out;
}

/// The flags of the batch's messages that still exist (one UID FETCH for the whole batch).
result<std::map<std::uint32_t, std::vector<std::string>>> existing_messages(imap::client& client,
                                                                           const message_batch& batch) {
  imap::fetch_items items;
  items.flags = true;
  auto uids = uids_of(batch);
  auto fetched = client.uid_fetch(imap::sequence_set::from_numbers(uids), items);
  if (!fetched) return fetched.error();
  std::map<std::uint32_t, std::vector<std::string>> out;
  for (const auto& r : *fetched)
    if (r.uid) out[*r.uid] = kept_flags(r.flags.value_or(std::vector<std::string>{}));
  return out;
}

std::optional<failure> stop_reason(const batch_hooks& hooks) {
  if (hooks.should_stop) return hooks.should_stop();
  return std::nullopt;
}

void report_progress(const batch_hooks& hooks, std::size_t done, std::size_t total, const std::string& what) {
  if (hooks.progress) hooks.progress(done, total, what);
}

/// The session is gone: nothing more can be done on this client.
failure broken_session(const failure& last) {
  failure f = last;
  f.message = "the IMAP session ended before this message: " + last.message;
  f.retryable = true;
  return f;
}

} // namespace

// ---- arguments ----------------------------------------------------------------------------

result<std::string> validate_flag(std::string_view flag) {
  if (!flag.empty() && flag.front() == '\\') {
    for (const char* f : system_flags)
      if (iequals(flag, f)) return std::string(f);
  } else if (is_keyword(flag)) {
    return std::string(flag);
  }
  return invalid("flag '" + shown(flag) + "' is not allowed; " + valid_flags_text);
}

result<message_batch> parse_message_batch(const json& args) {
  const bool has_one = args.contains("message_id");
  const bool has_many = args.contains("message_ids");
  if (has_one && has_many) return invalid("send either message_id or message_ids, not both");
  if (!has_one && !has_many) return invalid("message_id or message_ids is required");
  std::vector<std::string> ids;
  if (has_one) {
    if (!args["message_id"].is_string()) return invalid("message_id must be a string");
    ids.push_back(args["message_id"].get<std::string>());
  } else {
    const auto& list = args["message_ids"];
    if (!list.is_array()) return invalid("message_ids must be an array of message ids");
    if (list.empty() || list.size() > max_batch_messages)
      return invalid("message_ids must hold 1.." + std::to_string(max_batch_messages) + " ids");
    for (const auto& v : list) {
      if (!v.is_string()) return invalid("message_ids must hold strings");
      ids.push_back(v.get<std::string>());
    }
  }
  message_batch batch;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto ref = parse_message_id(ids[i]);
    if (!ref) {
      if (!has_many) return ref.error();
      failure f = ref.error();
      f.message = "message_ids[" + std::to_string(i) + "]: " + f.message;
      return f;
    }
    if (batch.refs.empty()) {
      batch.account_id = ref->account_id;
      batch.mailbox = ref->mailbox;
    } else if (ref->account_id != batch.account_id || ref->mailbox != batch.mailbox) {
      return invalid("all message_ids must belong to the same account and mailbox (message_ids[" +
                     std::to_string(i) + "] differs from message_ids[0])");
    }
    if (seen.insert(format_message_id(*ref)).second) batch.refs.push_back(std::move(*ref));
  }
  if (auto account = string_arg(args, "account_id"); account && *account != batch.account_id)
    return invalid("account_id '" + shown(*account) + "' does not match the account in the message ids ('" +
                   batch.account_id + "')");
  return batch;
}

status check_target_mailbox_name(std::string_view name, const char* what) {
  auto length = utf8_length(name);
  if (!length) return invalid(std::string(what) + " must be valid UTF-8");
  if (*length == 0 || *length > 256) return invalid(std::string(what) + " must be 1..256 characters");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F) return invalid(std::string(what) + " must not contain control characters");
    if (c == '"' || c == '{' || c == '}')
      return invalid(std::string(what) + " must not contain quotes or braces");
  }
  return ok_status();
}

result<flag_args> parse_flag_args(const json& args) {
  flag_args out;
  if (!args.contains("add_flags") && !args.contains("remove_flags"))
    return invalid("at least one of add_flags or remove_flags is required");
  auto add = flag_list(args, "add_flags");
  if (!add) return add.error();
  auto remove = flag_list(args, "remove_flags");
  if (!remove) return remove.error();
  for (const auto& a : *add)
    for (const auto& r : *remove)
      if (iequals(a, r)) return invalid("flag '" + a + "' is both in add_flags and remove_flags");
  auto batch = parse_message_batch(args);
  if (!batch) return batch.error();
  out.batch = std::move(*batch);
  out.add_flags = std::move(*add);
  out.remove_flags = std::move(*remove);
  return out;
}

result<transfer_args> parse_copy_args(const json& args) {
  auto batch = parse_message_batch(args);
  if (!batch) return batch.error();
  transfer_args out;
  out.batch = std::move(*batch);
  auto dest = string_arg(args, "destination_mailbox");
  if (!dest) return invalid("destination_mailbox is required");
  if (auto s = check_target_mailbox_name(*dest, "destination_mailbox"); !s) return s.error();
  out.destination_mailbox = *dest;
  out.destination_account_id = string_arg(args, "destination_account_id").value_or(out.batch.account_id);
  if (out.destination_account_id.empty() || out.destination_account_id.size() > 64 ||
      !std::all_of(out.destination_account_id.begin(), out.destination_account_id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      }))
    return invalid("destination_account_id must be 1..64 characters of A-Z a-z 0-9 _ -");
  if (!out.cross_account() && same_mailbox(out.destination_mailbox, out.batch.mailbox))
    return invalid("destination_mailbox must differ from the source mailbox for a copy within one account");
  return out;
}

result<transfer_args> parse_move_args(const json& args) {
  if (args.contains("destination_account_id"))
    return invalid("imap_move_message works within one account; use imap_copy_message with "
                   "destination_account_id across accounts");
  auto out = parse_copy_args(args);
  if (!out) {
    if (out.error().message.rfind("destination_mailbox must differ", 0) == 0)
      return invalid("destination_mailbox must differ from the source mailbox");
    return out.error();
  }
  return out;
}

result<message_batch> parse_delete_args(const json& args) {
  // Only the JSON literal true confirms: not "true", not 1, not a missing field.
  auto it = args.find("confirm");
  if (it == args.end() || !it->is_boolean() || !it->get<bool>()) return invalid(delete_confirm_message);
  return parse_message_batch(args);
}

result<mailbox_args> parse_mailbox_args(const json& args) {
  mailbox_args out;
  if (auto a = string_arg(args, "account_id")) out.account_id = *a;
  auto action = string_arg(args, "action");
  if (!action) return invalid("action is required (create, rename or delete)");
  if (*action == "create") out.action = mailbox_action::create;
  else if (*action == "rename") out.action = mailbox_action::rename;
  else if (*action == "delete") out.action = mailbox_action::remove;
  else return invalid("action must be one of: create, rename, delete");
  auto mailbox = string_arg(args, "mailbox");
  if (!mailbox) return invalid("mailbox is required");
  if (auto s = check_target_mailbox_name(*mailbox, "mailbox"); !s) return s.error();
  out.mailbox = *mailbox;
  auto dest = string_arg(args, "destination_mailbox");
  if (out.action == mailbox_action::rename) {
    if (!dest) return invalid("destination_mailbox is required for action=rename");
    if (auto s = check_target_mailbox_name(*dest, "destination_mailbox"); !s) return s.error();
    if (same_mailbox(*dest, out.mailbox)) return invalid("destination_mailbox must differ from mailbox");
    out.destination_mailbox = *dest;
  } else if (args.contains("destination_mailbox")) {
    return invalid("destination_mailbox is only used with action=rename");
  }
  return out;
}

// ---- batch report -------------------------------------------------------------------------

batch_report::batch_report(std::string tool, std::string verb, const message_batch& batch)
  : tool_(std::move(tool)),
    verb_(std::move(verb)),
    account_id_(batch.account_id),
    mailbox_(batch.mailbox),
    refs_(batch.refs),
    results_(batch.refs.size()) {}

void batch_report::succeed(const message_ref& ref, json extra) {
  json r = {{"message_id", format_message_id(ref)}, {"status", "ok"}, {"issues", json::array()}};
  if (extra.is_object()) r.update(extra);
  for (std::size_t i = 0; i < refs_.size(); ++i)
    if (refs_[i].uid == ref.uid && refs_[i].uidvalidity == ref.uidvalidity && results_[i].is_null()) {
      results_[i] = std::move(r);
      ++done_;
      return;
    }
}

void batch_report::fail(const message_ref& ref, const failure& why) {
  const auto id = format_message_id(ref);
  json r = {{"message_id", id}, {"status", "failed"}, {"issues", json::array({make_issue(why, ref.uid, id)})}};
  for (std::size_t i = 0; i < refs_.size(); ++i)
    if (refs_[i].uid == ref.uid && refs_[i].uidvalidity == ref.uidvalidity && results_[i].is_null()) {
      results_[i] = std::move(r);
      ++done_;
      return;
    }
}

void batch_report::skip_rest(const failure& why) {
  for (std::size_t i = 0; i < refs_.size(); ++i) {
    if (!results_[i].is_null()) continue;
    const auto id = format_message_id(refs_[i]);
    results_[i] = {{"message_id", id},
                   {"status", "skipped"},
                   {"issues", json::array({make_issue(why, refs_[i].uid, id)})}};
    ++done_;
  }
}

void batch_report::set(const std::string& key, json value) { extra_data_[key] = std::move(value); }

tool_output batch_report::finish() const {
  std::size_t ok = 0, failed = 0, skipped = 0;
  json results = json::array();
  json issues = json::array();
  json retry_ids = json::array();
  for (std::size_t i = 0; i < refs_.size(); ++i) {
    json r = results_[i];
    if (r.is_null()) {
      // Never happens when callers report every message; keep the output honest anyway.
      const auto id = format_message_id(refs_[i]);
      r = {{"message_id", id},
           {"status", "skipped"},
           {"issues", json::array({make_issue(make_failure(error_code::internal, "no outcome was recorded",
                                                           "batch"),
                                              refs_[i].uid, id)})}};
    }
    const auto& st = r["status"];
    if (st == "ok") ++ok;
    else if (st == "failed") ++failed;
    else ++skipped;
    for (const auto& issue : r["issues"]) issues.push_back(issue);
    if (st != "ok") retry_ids.push_back(r["message_id"]);
    results.push_back(std::move(r));
  }
  const std::size_t total = refs_.size();
  const char* status = ok == total ? "ok" : ok == 0 ? "failed" : "partial";
  json data = {{"status", status},
               {"issues", std::move(issues)},
               {"account_id", account_id_},
               {"mailbox", mailbox_},
               {"total", total},
               {"succeeded", ok},
               {"failed", failed},
               {"skipped", skipped},
               {"results", std::move(results)}};
  data.update(extra_data_);
  if (ok == total && next_action_.is_object()) data["next_action"] = next_action_;
  else if (ok != total)
    data["next_action"] = next_action("Check the mailbox's current state before retrying the messages that "
                                      "did not succeed: " + std::to_string(total - ok) + " message(s)",
                                      names::search_messages, {{"account_id", account_id_}, {"mailbox", mailbox_}});
  std::string summary = verb_ + " " + std::to_string(ok) + " of " + std::to_string(total) + " message(s)";
  if (extra_data_.contains("destination_mailbox"))
    summary += " to '" + extra_data_["destination_mailbox"].get<std::string>() + "'";
  if (extra_data_.contains("destination_account_id") && extra_data_["destination_account_id"] != account_id_)
    summary += " of account '" + extra_data_["destination_account_id"].get<std::string>() + "'";
  if (failed) summary += "; " + std::to_string(failed) + " failed";
  if (skipped) summary += "; " + std::to_string(skipped) + " skipped";
  tool_output out;
  out.summary = std::move(summary);
  out.data = std::move(data);
  return out;
}

// ---- IMAP ---------------------------------------------------------------------------------

status open_batch_mailbox(imap::client& client, const message_batch& batch, bool read_only) {
  // The client answers a repeated SELECT of the selected mailbox from memory. Write tools
  // must see the mailbox as it is now (it may have been recreated since), so a cached
  // selection in the same mode is replaced by a round trip in the other mode first.
  if (const auto* current = client.selected(); current != nullptr && current->read_only == read_only) {
    auto other = client.select(batch.mailbox, !read_only);
    if (!other) return other.error();
  }
  auto selected = client.select(batch.mailbox, read_only);
  if (!selected) return selected.error();
  for (const auto& ref : batch.refs)
    if (ref.uidvalidity != selected->uidvalidity)
      return make_failure(error_code::conflict, "message uidvalidity no longer matches mailbox", "select");
  return ok_status();
}

result<std::uint32_t> existing_mailbox_uidvalidity(imap::client& client, std::string_view mailbox,
                                                   const char* what) {
  auto st = client.status(mailbox);
  if (!st) {
    if (st.error().code == error_code::not_found)
      return make_failure(error_code::not_found,
                          std::string(what) + " '" + std::string(mailbox) + "' does not exist", "status");
    return st.error();
  }
  return static_cast<std::uint32_t>(st->uidvalidity.value_or(0));
}

json destination_next_action(const std::string& account_id, const std::string& mailbox) {
  return next_action("Search the destination mailbox to see the messages", names::search_messages,
                     {{"account_id", account_id}, {"mailbox", mailbox}});
}

tool_result update_message_flags(imap::client& client, const flag_args& args, const batch_hooks& hooks) {
  const auto& batch = args.batch;
  if (auto s = open_batch_mailbox(client, batch, false); !s) return s.error();
  batch_report report(names::update_message_flags, "updated flags on", batch);
  report.on_success(next_action("Search the mailbox to see the messages with their flags", names::search_messages,
                                {{"account_id", batch.account_id}, {"mailbox", batch.mailbox}}));
  const std::size_t total = batch.refs.size();
  for (std::size_t i = 0; i < total; ++i) {
    const auto& ref = batch.refs[i];
    if (auto stop = stop_reason(hooks)) {
      report.skip_rest(*stop);
      break;
    }
    const auto uid = one_uid(ref.uid);
    std::optional<failure> problem;
    if (!args.add_flags.empty())
      if (auto r = client.uid_store(uid, "+FLAGS.SILENT", args.add_flags); !r) problem = r.error();
    if (!problem && !args.remove_flags.empty())
      if (auto r = client.uid_store(uid, "-FLAGS.SILENT", args.remove_flags); !r) problem = r.error();
    if (!problem) {
      imap::fetch_items items;
      items.flags = true;
      auto fetched = client.uid_fetch(uid, items);
      if (!fetched) problem = fetched.error();
      else {
        const imap::fetch_record* record = nullptr;
        for (const auto& r : *fetched)
          if (r.uid && *r.uid == ref.uid) record = &r;
        // STORE on a missing UID succeeds silently; the FETCH tells.
        if (record == nullptr) problem = message_not_found(ref);
        else report.succeed(ref, {{"flags", kept_flags(record->flags.value_or(std::vector<std::string>{}))}});
      }
    }
    if (problem) report.fail(ref, *problem);
    report_progress(hooks, i + 1, total, "updated flags on message " + std::to_string(i + 1) + " of " +
                                            std::to_string(total));
    if (client.broken()) {
      report.skip_rest(broken_session(problem.value_or(make_failure(error_code::internal, "session closed"))));
      break;
    }
  }
  return report.finish();
}

namespace {

/// Copy or move within one account, message by message.
tool_result transfer_within_account(imap::client& client, const transfer_args& args, const batch_hooks& hooks,
                                    bool move) {
  const auto& batch = args.batch;
  if (auto s = open_batch_mailbox(client, batch, !move); !s) return s.error();
  auto dest_uidvalidity = existing_mailbox_uidvalidity(client, args.destination_mailbox, "destination mailbox");
  if (!dest_uidvalidity) return dest_uidvalidity.error();
  auto existing = existing_messages(client, batch);
  if (!existing) return existing.error();
  batch_report report(move ? names::move_message : names::copy_message, move ? "moved" : "copied", batch);
  report.set("destination_mailbox", args.destination_mailbox);
  report.on_success(destination_next_action(batch.account_id, args.destination_mailbox));
  const std::size_t total = batch.refs.size();
  for (std::size_t i = 0; i < total; ++i) {
    const auto& ref = batch.refs[i];
    if (auto stop = stop_reason(hooks)) {
      report.skip_rest(*stop);
      break;
    }
    std::optional<failure> problem;
    auto found = existing->find(ref.uid);
    if (found == existing->end()) problem = message_not_found(ref);
    else {
      auto done = move ? client.uid_move(one_uid(ref.uid), args.destination_mailbox)
                       : client.uid_copy(one_uid(ref.uid), args.destination_mailbox);
      if (!done) problem = done.error();
      else {
        json extra = {{"flags", found->second}};
        for (std::size_t k = 0; k < done->source_uids.size(); ++k)
          if (done->source_uids[k] == ref.uid && done->uidvalidity != 0)
            extra["new_message_id"] = format_message_id(
              {batch.account_id, args.destination_mailbox, done->uidvalidity, done->dest_uids[k]});
        report.succeed(ref, std::move(extra));
      }
    }
    if (problem) report.fail(ref, *problem);
    report_progress(hooks, i + 1, total,
                    std::string(move ? "moved" : "copied") + " message " + std::to_string(i + 1) + " of " +
                      std::to_string(total));
    if (client.broken()) {
      report.skip_rest(broken_session(problem.value_or(make_failure(error_code::internal, "session closed"))));
      break;
    }
  }
  return report.finish();
}

} // namespace

tool_result copy_messages(imap::client& client, const transfer_args& args, const batch_hooks& hooks) {
  return transfer_within_account(client, args, hooks, false);
}

tool_result move_messages(imap::client& client, const transfer_args& args, const batch_hooks& hooks) {
  return transfer_within_account(client, args, hooks, true);
}

tool_result delete_messages(imap::client& client, const message_batch& batch, const batch_hooks& hooks) {
  if (auto s = open_batch_mailbox(client, batch, false); !s) return s.error();
  batch_report report(names::delete_message, "deleted", batch);
  report.on_success(next_action("Search the mailbox to see what remains", names::search_messages,
                                {{"account_id", batch.account_id}, {"mailbox", batch.mailbox}}));
  if (!client.has_capability("UIDPLUS")) {
    // Without UID EXPUNGE only a bare EXPUNGE remains, which would also remove every other
    // message marked \Deleted: nothing is marked, nothing is removed.
    report.skip_rest(make_failure(error_code::internal,
                                  "the server lacks UIDPLUS (UID EXPUNGE); refusing to delete because a bare "
                                  "EXPUNGE would also remove other messages marked \\Deleted",
                                  "expunge"));
    auto out = report.finish();
    out.summary = "no message deleted: the server lacks UIDPLUS";
    return out;
  }
  auto existing = existing_messages(client, batch);
  if (!existing) return existing.error();
  static const std::vector<std::string> deleted = {"\\Deleted"};
  const std::size_t total = batch.refs.size();
  for (std::size_t i = 0; i < total; ++i) {
    const auto& ref = batch.refs[i];
    if (auto stop = stop_reason(hooks)) {
      report.skip_rest(*stop);
      break;
    }
    std::optional<failure> problem;
    const auto uid = one_uid(ref.uid);
    if (!existing->count(ref.uid)) problem = message_not_found(ref);
    else if (auto marked = client.uid_store(uid, "+FLAGS.SILENT", deleted); !marked) problem = marked.error();
    else if (auto expunged = client.uid_expunge(uid); !expunged) {
      problem = expunged.error();
      problem->message = "marked \\Deleted but not expunged: " + problem->message;
    } else report.succeed(ref);
    if (problem) report.fail(ref, *problem);
    report_progress(hooks, i + 1, total, "deleted message " + std::to_string(i + 1) + " of " + std::to_string(total));
    if (client.broken()) {
      report.skip_rest(broken_session(problem.value_or(make_failure(error_code::internal, "session closed"))));
      break;
    }
  }
  return report.finish();
}

namespace {

tool_output mailbox_output(const mailbox_args& args, const char* verb, const std::optional<failure>& problem,
                           json created) {
  const char* action = args.action == mailbox_action::create   ? "create"
                       : args.action == mailbox_action::rename ? "rename"
                                                               : "delete";
  json data = {{"status", problem ? "failed" : "ok"},
               {"issues", json::array()},
               {"account_id", args.account_id},
               {"action", action},
               {"mailbox", args.mailbox}};
  if (args.action == mailbox_action::rename) data["destination_mailbox"] = args.destination_mailbox;
  if (args.action == mailbox_action::create) data["created"] = std::move(created);
  if (problem) data["issues"].push_back(make_issue(*problem));
  data["next_action"] = next_action("List the mailboxes to see the current hierarchy", names::list_mailboxes,
                                    {{"account_id", args.account_id}});
  tool_output out;
  const std::string target = args.action == mailbox_action::rename
                               ? "'" + args.mailbox + "' to '" + args.destination_mailbox + "'"
                               : "'" + args.mailbox + "'";
  out.summary = problem ? std::string("could not ") + action + " mailbox " + target + ": " + problem->full_message()
                        : std::string(verb) + " mailbox " + target;
  out.data = std::move(data);
  return out;
}

/// Leaves a selected mailbox that is about to be renamed or deleted (some servers refuse,
/// and a selection of a mailbox that is gone is useless anyway).
status leave_mailbox(imap::client& client, const std::string& name) {
  const auto* current = client.selected();
  if (current == nullptr || !same_mailbox(current->name, name) || iequals(name, "INBOX")) return ok_status();
  auto r = client.select("INBOX", true);
  if (!r) return r.error();
  return ok_status();
}

} // namespace

tool_result manage_mailbox(imap::client& client, const mailbox_args& args) {
  if (args.action == mailbox_action::rename) {
    if (auto s = leave_mailbox(client, args.mailbox); !s) return s.error();
    std::optional<failure> problem;
    if (auto r = client.rename(args.mailbox, args.destination_mailbox); !r) problem = r.error();
    return mailbox_output(args, "renamed", problem, json());
  }
  if (args.action == mailbox_action::remove) {
    if (auto s = leave_mailbox(client, args.mailbox); !s) return s.error();
    std::optional<failure> problem;
    if (auto r = client.delete_mailbox(args.mailbox); !r) problem = r.error();
    return mailbox_output(args, "deleted", problem, json());
  }
  // create: the hierarchy delimiter comes from LIST. Not from LIST "" "": servers answer that
  // with nothing when it carries RETURN options (Dovecot does), so the top level is listed.
  auto root = client.list("", "%");
  if (!root) return root.error();
  std::string delimiter;
  for (const auto& m : *root)
    if (!m.delimiter.empty()) {
      delimiter = m.delimiter;
      break;
    }
  std::vector<std::string> levels;
  if (delimiter.empty()) levels.push_back(args.mailbox);
  else {
    std::size_t start = 0;
    while (true) {
      auto pos = args.mailbox.find(delimiter, start);
      levels.push_back(args.mailbox.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
      if (pos == std::string::npos) break;
      start = pos + delimiter.size();
    }
    for (const auto& l : levels)
      if (l.empty())
        return invalid("mailbox '" + args.mailbox + "' has an empty level (the hierarchy delimiter is '" +
                       delimiter + "')");
  }
  json created = json::array();
  std::string prefix;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    prefix += (i == 0 ? "" : delimiter) + levels[i];
    const bool last = i + 1 == levels.size();
    if (!last) {
      // A parent that exists as a real mailbox stays; one that is missing (or only implied by
      // its children, \NonExistent / \Noselect) is created.
      auto found = client.list("", prefix);
      if (!found) return mailbox_output(args, "created", found.error(), created);
      const bool exists = std::any_of(found->begin(), found->end(), [&](const imap::mailbox_info& m) {
        return same_mailbox(m.name, prefix) && m.selectable();
      });
      if (exists) continue;
    }
    if (auto r = client.create(prefix); !r) {
      if (!last) {
        failure f = r.error();
        f.message = "could not create the parent '" + prefix + "': " + f.message;
        return mailbox_output(args, "created", f, created);
      }
      return mailbox_output(args, "created", r.error(), created);
    }
    created.push_back(prefix);
  }
  return mailbox_output(args, "created", std::nullopt, created);
}

result<transfer_message> fetch_for_transfer(imap::client& client, const message_ref& ref) {
  auto selected = client.select(ref.mailbox, true);
  if (!selected) return selected.error();
  if (selected->uidvalidity != ref.uidvalidity)
    return make_failure(error_code::conflict, "message uidvalidity no longer matches mailbox", "select");
  imap::fetch_items items;
  items.flags = true;
  items.internaldate = true;
  items.sections.push_back(imap::section_spec{});
  auto fetched = client.uid_fetch(one_uid(ref.uid), items);
  if (!fetched) return fetched.error();
  for (auto& r : *fetched) {
    if (!r.uid || *r.uid != ref.uid || r.sections.empty() || r.sections.front().nil) continue;
    transfer_message m;
    m.raw = std::move(r.sections.front().data);
    m.flags = kept_flags(r.flags.value_or(std::vector<std::string>{}));
    m.internaldate = r.internaldate;
    return m;
  }
  return message_not_found(ref);
}

result<std::string> append_transfer(imap::client& client, const std::string& account_id,
                                    const std::string& mailbox, const transfer_message& message) {
  auto appended = client.append(mailbox, message.flags, message.internaldate, message.raw);
  if (!appended) return appended.error();
  if (appended->uid == 0) return std::string();
  return format_message_id({account_id, mailbox, appended->uidvalidity, appended->uid});
}

} // namespace imap_mcp::tools
