#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/imap/command.hpp"
#include "protocol/imap/parser.hpp"
#include "protocol/imap/response.hpp"
#include "protocol/imap/sequence_set.hpp"
#include "protocol/net/stream.hpp"
#include "protocol/util/error.hpp"

namespace imap_mcp::imap {

/// Bounds of one client session.
struct client_options {
  /// Parser memory bounds (line, literal and response sizes, nesting depth).
  parser_limits limits;
  /// Most numbers a server-sent UID set (ESEARCH ALL, COPYUID) may expand to.
  std::size_t max_uid_list = 100000;
  /// Most LIST entries or FETCH records one command may return; more fails the command
  /// instead of growing without bound.
  std::size_t max_records = 100000;
};

/// One mailbox from LIST.
struct mailbox_info {
  /// Decoded UTF-8 name (the raw name when the server's name was not valid modified UTF-7).
  std::string name;
  /// The name as on the wire (modified UTF-7).
  std::string raw_name;
  /// Hierarchy delimiter; empty when the server has none (NIL).
  std::string delimiter;
  /// Attributes as sent ("\HasNoChildren", "\Noselect", "\Sent").
  std::vector<std::string> attributes;
  /// The RFC 6154 special use ("\Sent", "\Trash", "\Drafts", "\Junk", "\Archive", "\All",
  /// "\Flagged") in canonical spelling, when the mailbox has one.
  std::optional<std::string> special_use;

  /// False for \Noselect and \NonExistent mailboxes.
  bool selectable() const;
};

/// The selected mailbox as the client knows it. exists follows EXISTS/EXPUNGE responses of
/// later commands; uidnext is as of the SELECT.
struct mailbox_state {
  /// The name the caller selected (UTF-8).
  std::string name;
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 0;
  std::uint32_t exists = 0;
  std::vector<std::string> permanent_flags;
  std::vector<std::string> flags;
  /// True for EXAMINE or when the server answered [READ-ONLY].
  bool read_only = false;
  std::optional<std::uint64_t> highestmodseq;
};

/// How uid_search() runs.
struct search_options {
  /// Only the number of matches is wanted (RETURN (COUNT) with ESEARCH).
  bool count_only = false;
  /// Send "CHARSET UTF-8" (needed when the criteria hold non-ASCII text).
  bool utf8 = false;
  /// UIDs are returned only when there are at most this many matches.
  std::size_t max_uids = 100000;
};

/// What uid_search() found.
struct search_result {
  /// Number of matching messages.
  std::uint64_t count = 0;
  /// Matching UIDs in ascending order; empty when count_only was asked or uids_omitted.
  std::vector<std::uint32_t> uids;
  /// True when count exceeded search_options::max_uids, so uids were not collected.
  bool uids_omitted = false;
};

/// One BODY[...] item to fetch, validated before it goes on the wire.
struct section_spec {
  /// Part number: "", "1", "1.2" (digits and dots only).
  std::string part;
  /// "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT" or "MIME" (MIME needs a part).
  std::string specifier;
  /// Header names for HEADER.FIELDS and HEADER.FIELDS.NOT.
  std::vector<std::string> fields;
  /// Partial fetch: first byte and byte count (BODY[...]<offset.length>).
  std::optional<std::uint32_t> offset;
  std::optional<std::uint32_t> length;
  /// BODY.PEEK (never sets \Seen); false sends BODY, which marks the message seen.
  bool peek = true;
  /// BINARY.PEEK[part]: the server removes the transfer encoding (needs BINARY; no specifier).
  bool binary = false;
};

/// The key under which a fetched section_spec appears in fetch_record::section(), e.g. "1.2",
/// "HEADER.FIELDS (DATE FROM)".
std::string section_key(const section_spec& spec);

/// What uid_fetch() asks for. UID is always fetched.
struct fetch_items {
  bool flags = false;
  bool internaldate = false;
  bool size = false;
  bool envelope = false;
  bool bodystructure = false;
  /// PREVIEW (RFC 8970); silently left out when the server lacks the PREVIEW capability.
  bool preview = false;
  /// MODSEQ; silently left out when the server lacks CONDSTORE.
  bool modseq = false;
  std::vector<section_spec> sections;
};

/// COPYUID data of a copy or move (RFC 4315); uidvalidity 0 when the server sent none.
struct copy_result {
  std::uint32_t uidvalidity = 0;
  /// Source UIDs and their new UIDs, position by position.
  std::vector<std::uint32_t> source_uids;
  std::vector<std::uint32_t> dest_uids;
};

/// APPENDUID data (RFC 4315); zeros when the server sent none.
struct append_result {
  std::uint32_t uidvalidity = 0;
  std::uint32_t uid = 0;
};

/// A blocking IMAP session over one byte stream: one object per connection, used by one
/// thread at a time (only abort() may be called from another thread). Every command waits for
/// its tagged response; untagged data in between updates capabilities and the selected
/// mailbox's state. A tagged NO or BAD fails only that command. A BYE, a stream failure or
/// unparsable framing marks the client broken(): its owner must replace it.
///
/// Commands never log their arguments; the password sent by login() is wiped from the
/// command buffers once written.
class client {
public:
  /// Takes ownership of a connected stream (TLS in production).
  explicit client(std::unique_ptr<net::byte_stream> stream, client_options options = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Reads the server greeting. BYE fails (retryable) and marks the client broken; PREAUTH
  /// means no login is needed. Capabilities from a greeting [CAPABILITY] code are kept.
  imap_mcp::status read_greeting();

  /// LOGIN with the arguments quoted or sent as literals. A NO is error_code::auth_failed with
  /// the server's text (never the password); [UNAVAILABLE] or [LIMIT] are retryable internal
  /// failures instead. Capabilities are refreshed afterwards.
  imap_mcp::status login(std::string_view user, std::string_view password);

  /// Sends CAPABILITY and replaces the known capabilities.
  imap_mcp::status refresh_capabilities();

  /// Whether the server announced a capability (case-insensitive), e.g. "MOVE".
  bool has_capability(std::string_view name) const;

  /// The capabilities as the server sent them.
  const std::vector<std::string>& capabilities() const { return capabilities_; }

  /// LIST reference pattern (names in UTF-8, encoded for the wire), with RETURN (SPECIAL-USE)
  /// when the server offers SPECIAL-USE.
  result<std::vector<mailbox_info>> list(std::string_view reference = "",
                                         std::string_view pattern = "*");

  /// SELECT (or EXAMINE when read_only) a mailbox given in UTF-8. Selecting the mailbox that is
  /// already selected in the same mode sends nothing and returns the known state. A failed
  /// SELECT leaves no mailbox selected (as the server does).
  result<mailbox_state> select(std::string_view mailbox, bool read_only);

  /// The selected mailbox, or null.
  const mailbox_state* selected() const;

  /// STATUS mailbox (MESSAGES UIDNEXT UIDVALIDITY UNSEEN).
  result<status_data> status(std::string_view mailbox);

  /// UID SEARCH with the given criteria (a fragment; empty means ALL). With ESEARCH the
  /// server counts (RETURN (COUNT) or RETURN (ALL COUNT)); without, the UIDs are counted here.
  result<search_result> uid_search(const command_builder& criteria,
                                   const search_options& options = {});

  /// UID FETCH of the given items; one record per message, in the server's order (several
  /// FETCH responses for one UID are merged). Literal bodies are kept as raw bytes.
  result<std::vector<fetch_record>> uid_fetch(const sequence_set& uids, const fetch_items& items);

  /// UID STORE with operation "+FLAGS", "-FLAGS" or "FLAGS", optionally ".SILENT"
  /// (case-insensitive). Returns the FETCH data the server sent back (none when silent).
  result<std::vector<fetch_record>> uid_store(const sequence_set& uids, std::string_view operation,
                                              std::span<const std::string> flags);

  /// UID COPY to a mailbox (UTF-8 name).
  result<copy_result> uid_copy(const sequence_set& uids, std::string_view mailbox);

  /// UID MOVE when the server offers MOVE; otherwise UID COPY, +FLAGS.SILENT (\Deleted) and
  /// UID EXPUNGE of exactly those UIDs (needs UIDPLUS; never a bare EXPUNGE, which would also
  /// remove other messages marked deleted). Without either extension it fails.
  result<copy_result> uid_move(const sequence_set& uids, std::string_view mailbox);

  /// UID EXPUNGE (needs UIDPLUS; fails without it rather than expunging everything).
  imap_mcp::status uid_expunge(const sequence_set& uids);

  /// APPEND a message with optional flags and INTERNALDATE ("26-Feb-2024 10:30:45 +0100";
  /// empty for none).
  result<append_result> append(std::string_view mailbox, std::span<const std::string> flags,
                               std::string_view internaldate, std::string_view message);

  /// CREATE a mailbox (UTF-8 name).
  imap_mcp::status create(std::string_view mailbox);

  /// RENAME a mailbox.
  imap_mcp::status rename(std::string_view from, std::string_view to);

  /// DELETE a mailbox (named so because delete is a keyword).
  imap_mcp::status delete_mailbox(std::string_view mailbox);

  /// NOOP: checks the session and collects pending updates.
  imap_mcp::status noop();

  /// LOGOUT; the client is broken() afterwards whatever the outcome.
  imap_mcp::status logout();

  /// True once the session cannot be used any more (BYE, stream failure, framing error).
  bool broken() const { return broken_; }

  /// True after a successful login or a PREAUTH greeting.
  bool authenticated() const { return authenticated_; }

  /// Makes blocked and future I/O fail at once; callable from any thread.
  void abort();

private:
  using data_handler = std::function<void(response&)>;

  result<tagged_status> run(command_builder& builder, const char* stage,
                            const data_handler& on_data, bool sensitive = false);
  /// run() that turns a NO or BAD into a failure; mailbox (and destination, for RENAME) are
  /// the names the command carries, quoted when the server refuses them.
  result<tagged_status> run_ok(command_builder& builder, const char* stage,
                               const data_handler& on_data = {}, std::string_view mailbox = {},
                               std::string_view destination = {});
  imap_mcp::status read_response(response& out, const char* stage, std::string_view tag);
  void absorb(response& r);
  /// Maps a tagged NO/BAD to a failure: a missing mailbox is not_found, a name the server
  /// refuses ([CANNOT] or its "invalid mailbox name" texts) is invalid_input naming it.
  failure command_failure(const tagged_status& t, const char* stage, std::string_view mailbox = {},
                          std::string_view destination = {}) const;
  failure broken_failure(const char* stage) const;
  literal_mode current_literal_mode() const;
  copy_result copy_data(const response_code& code) const;
  void forget_selection();

  std::unique_ptr<net::byte_stream> stream_;
  client_options options_;
  response_parser parser_;
  std::vector<std::string> capabilities_;
  bool capabilities_updated_ = false;
  std::uint64_t tag_counter_ = 0;
  /// Tag of the command in flight (ESEARCH answers name it).
  std::string current_tag_;
  bool broken_ = false;
  bool authenticated_ = false;
  std::string bye_text_;
  std::optional<failure> malformed_;

  bool has_selection_ = false;
  bool selecting_ = false;
  bool selected_read_only_request_ = false;
  std::string selected_raw_;
  mailbox_state state_;
};

} // namespace imap_mcp::imap
