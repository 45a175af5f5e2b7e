#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/imap/client.hpp"
#include "protocol/tools/ids.hpp"
#include "protocol/tools/output.hpp"

/// The gated write tools (contract tools 7-11): argument rules, and the IMAP work as pure
/// functions on a logged-in client. The write gate itself is checked by the dispatcher.
namespace imap_mcp::tools {

/// Most message ids one write call may name (contract section 4).
inline constexpr std::size_t max_batch_messages = 250;

/// Most flags in add_flags or in remove_flags.
inline constexpr std::size_t max_flags_per_list = 20;

/// The exact error of imap_delete_message without `confirm: true`.
inline constexpr const char* delete_confirm_message = "delete requires confirm=true";

/// The messages a write tool acts on: one account, one mailbox, duplicates removed, in the
/// order the caller gave them.
struct message_batch {
  std::string account_id;
  std::string mailbox;
  std::vector<message_ref> refs;
};

/// Reads `message_id` or `message_ids` (exactly one of them; 1..250 ids, all of the same
/// account and mailbox) and `account_id` (must match the ids when given).
result<message_batch> parse_message_batch(const nlohmann::json& arguments);

/// Checks one flag: a system flag (\Seen \Answered \Flagged \Deleted \Draft, any case; given
/// back in canonical spelling) or a keyword `^\$?[A-Za-z0-9_.-]{1,64}$`. Anything else is
/// invalid_input naming the valid system flags.
result<std::string> validate_flag(std::string_view flag);

/// Validated imap_update_message_flags arguments.
struct flag_args {
  message_batch batch;
  std::vector<std::string> add_flags;
  std::vector<std::string> remove_flags;
};

/// At least one of add_flags/remove_flags, 1..20 flags each, every flag valid, no flag both
/// added and removed.
result<flag_args> parse_flag_args(const nlohmann::json& arguments);

/// Validated imap_copy_message / imap_move_message arguments.
struct transfer_args {
  message_batch batch;
  /// The account receiving the messages (the source account unless the caller named another).
  std::string destination_account_id;
  std::string destination_mailbox;

  /// True when the messages go to another account (fetch + APPEND instead of UID COPY).
  bool cross_account() const { return destination_account_id != batch.account_id; }
};

/// imap_copy_message arguments (destination_account_id may name another account).
result<transfer_args> parse_copy_args(const nlohmann::json& arguments);

/// imap_move_message arguments: same account, destination different from the source.
result<transfer_args> parse_move_args(const nlohmann::json& arguments);

/// imap_delete_message arguments: `confirm` must be the JSON literal true (checked first).
result<message_batch> parse_delete_args(const nlohmann::json& arguments);

/// What imap_manage_mailbox does.
enum class mailbox_action { create, rename, remove };

/// Validated imap_manage_mailbox arguments.
struct mailbox_args {
  std::string account_id = "default";
  mailbox_action action = mailbox_action::create;
  std::string mailbox;
  /// The new name (rename only).
  std::string destination_mailbox;
};

/// action create|rename|delete; destination_mailbox required for rename and refused otherwise.
result<mailbox_args> parse_mailbox_args(const nlohmann::json& arguments);

/// Mailbox names that write tools create or target must not contain quotes or braces (and,
/// by the schema, no control characters): they never need them, and refusing them keeps
/// even a confused client from sending IMAP syntax. `what` names the argument in the error.
status check_target_mailbox_name(std::string_view name, const char* what);

/// How a batch talks to the layer that runs it: progress after every message, and a check
/// before every message whether the call was cancelled or ran out of time.
struct batch_hooks {
  /// Why the batch must stop before the next message (cancelled, past the deadline), or
  /// nothing to go on.
  std::function<std::optional<failure>()> should_stop;
  /// Called after each message: (messages done, total, a short human line).
  std::function<void(std::size_t, std::size_t, const std::string&)> progress;
};

/// Collects per-message outcomes of a batch and renders the tool output
/// (data.results[], status, issues, next_action, counters).
class batch_report {
public:
  /// `verb` appears in the summary ("updated flags on", "copied", "moved", "deleted").
  batch_report(std::string tool, std::string verb, const message_batch& batch);

  /// The message succeeded; `extra` is merged into its result (flags, new_message_id).
  void succeed(const message_ref& ref, nlohmann::json extra = nlohmann::json::object());

  /// The message failed with a soft issue.
  void fail(const message_ref& ref, const failure& why);

  /// Every message without an outcome yet is marked skipped with this reason.
  void skip_rest(const failure& why);

  /// Adds a batch-level field to data (destination_mailbox, ...).
  void set(const std::string& key, nlohmann::json value);

  /// Sets data.next_action for a successful batch.
  void on_success(nlohmann::json action) { next_action_ = std::move(action); }

  /// Number of messages with an outcome (ok, failed or skipped).
  std::size_t done() const { return done_; }

  /// The finished output.
  tool_output finish() const;

private:
  std::string tool_;
  std::string verb_;
  std::string account_id_;
  std::string mailbox_;
  std::vector<message_ref> refs_;
  std::vector<nlohmann::json> results_;
  nlohmann::json extra_data_ = nlohmann::json::object();
  nlohmann::json next_action_;
  std::size_t done_ = 0;
};

/// SELECT (read-write) the batch's mailbox with a fresh round trip and check the live
/// UIDVALIDITY of every id: a mismatch is the contract's exact hard conflict.
status open_batch_mailbox(imap::client& client, const message_batch& batch, bool read_only);

/// The UIDVALIDITY of an existing mailbox (STATUS); a missing one is a hard not_found that
/// names it. `what` is the argument name for the message ("destination mailbox").
result<std::uint32_t> existing_mailbox_uidvalidity(imap::client& client, std::string_view mailbox,
                                                   const char* what);

/// imap_update_message_flags: UID STORE +FLAGS.SILENT / -FLAGS.SILENT per message, then UID
/// FETCH FLAGS to report the flags after the change.
tool_result update_message_flags(imap::client& client, const flag_args& args, const batch_hooks& hooks);

/// imap_copy_message within one account: UID COPY per message, COPYUID -> new_message_id.
tool_result copy_messages(imap::client& client, const transfer_args& args, const batch_hooks& hooks);

/// imap_move_message: UID MOVE (or UID COPY + \Deleted + UID EXPUNGE with UIDPLUS) per message.
tool_result move_messages(imap::client& client, const transfer_args& args, const batch_hooks& hooks);

/// imap_delete_message: \Deleted + UID EXPUNGE of exactly those UIDs (needs UIDPLUS).
tool_result delete_messages(imap::client& client, const message_batch& batch, const batch_hooks& hooks);

/// imap_manage_mailbox: create (with missing parents), rename, delete (non-recursive).
tool_result manage_mailbox(imap::client& client, const mailbox_args& args);

/// One message on its way to another account.
struct transfer_message {
  std::string raw;
  /// Flags to keep (\Recent and anything that is not a valid flag removed).
  std::vector<std::string> flags;
  /// INTERNALDATE as the server sent it.
  std::string internaldate;
};

/// Cross-account copy, source side: BODY.PEEK[] + FLAGS + INTERNALDATE of one message of the
/// selected mailbox; not_found when the UID is gone.
result<transfer_message> fetch_for_transfer(imap::client& client, const message_ref& ref);

/// Cross-account copy, destination side: APPEND with the kept flags and internal date.
/// Gives the new message id when the server answered APPENDUID (empty otherwise).
result<std::string> append_transfer(imap::client& client, const std::string& account_id,
                                    const std::string& mailbox, const transfer_message& message);

/// The next_action after a copy or move: search the destination.
nlohmann::json destination_next_action(const std::string& account_id, const std::string& mailbox);

} // namespace imap_mcp::tools
