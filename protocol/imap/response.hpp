#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

/// Typed IMAP server responses (RFC 3501 section 7 and the extensions this server uses).
namespace imap_mcp::imap {

/// The status word of a status response.
enum class status_kind { ok, no, bad, preauth, bye };

/// Which response code a status response carried.
enum class code_kind {
  none,
  alert,
  alreadyexists,
  appenduid,
  authenticationfailed,
  authorizationfailed,
  badcharset,
  cannot,
  capability,
  closed,
  copyuid,
  expired,
  highestmodseq,
  inuse,
  limit,
  nomodseq,
  nonexistent,
  noperm,
  overquota,
  parse,
  permanentflags,
  read_only,
  read_write,
  servererror,
  trycreate,
  uidnext,
  uidnotsticky,
  uidvalidity,
  unavailable,
  unseen,
  /// Any other code; see name and raw.
  other,
};

/// A response code such as "[UIDVALIDITY 3857529045]".
struct response_code {
  code_kind kind = code_kind::none;
  /// The code name as sent, upper-cased ("UIDVALIDITY"); empty when there was no code.
  std::string name;
  /// Everything after the name up to the closing bracket, as sent.
  std::string raw;
  /// CAPABILITY atoms, PERMANENTFLAGS flags, BADCHARSET charsets.
  std::vector<std::string> atoms;
  /// UIDVALIDITY, UIDNEXT, UNSEEN, HIGHESTMODSEQ; the uidvalidity of APPENDUID and COPYUID.
  std::uint64_t number = 0;
  /// COPYUID: the source UIDs as a sequence set.
  std::string source_uids;
  /// COPYUID: the new UIDs; APPENDUID: the appended UID(s).
  std::string dest_uids;
};

/// The first response of a connection: OK, PREAUTH or BYE.
struct greeting {
  status_kind status = status_kind::ok;
  response_code code;
  std::string text;
};

/// "+ text": the server waits for the rest of a command.
struct continuation_request {
  std::string text;
};

/// "<tag> OK|NO|BAD [code] text": the end of a command.
struct tagged_status {
  std::string tag;
  status_kind status = status_kind::ok;
  response_code code;
  std::string text;
};

/// "* OK|NO|BAD|BYE|PREAUTH [code] text".
struct untagged_status {
  status_kind status = status_kind::ok;
  response_code code;
  std::string text;
};

/// "* CAPABILITY IMAP4rev1 ...".
struct capability_data {
  std::vector<std::string> capabilities;
};

/// "* LIST (\HasNoChildren) "/" INBOX" or the same for LSUB.
struct list_data {
  bool lsub = false;
  /// Attributes as sent, e.g. "\HasNoChildren", "\Sent".
  std::vector<std::string> attributes;
  /// The hierarchy delimiter; empty when the server sent NIL (flat namespace).
  std::string delimiter;
  /// The name as sent (modified UTF-7).
  std::string raw_name;
  /// The name decoded to UTF-8, or raw_name when it was not valid modified UTF-7.
  std::string name;
  /// False when decoding failed and name is the raw name.
  bool name_decoded = true;
};

/// "* STATUS name (MESSAGES 3 UIDNEXT 5 ...)".
struct status_data {
  std::string raw_name;
  std::string name;
  std::optional<std::uint64_t> messages;
  std::optional<std::uint64_t> recent;
  std::optional<std::uint64_t> uidnext;
  std::optional<std::uint64_t> uidvalidity;
  std::optional<std::uint64_t> unseen;
  std::optional<std::uint64_t> deleted;
  std::optional<std::uint64_t> size;
  std::optional<std::uint64_t> highestmodseq;
};

/// "* SEARCH 2 3 6" (numbers or UIDs, depending on the command).
struct search_data {
  std::vector<std::uint32_t> numbers;
  /// CONDSTORE "(MODSEQ n)" at the end, if present.
  std::optional<std::uint64_t> modseq;
};

/// "* ESEARCH (TAG "A1") UID COUNT 3 MIN 1 MAX 9 ALL 1:3,9" (RFC 4731).
struct esearch_data {
  /// The tag of the command this answers; empty when absent.
  std::string tag;
  bool uid = false;
  std::optional<std::uint32_t> min;
  std::optional<std::uint32_t> max;
  std::optional<std::uint64_t> count;
  /// The ALL result as a sequence set (decode with decode_sequence_set); empty when absent.
  std::string all;
  std::optional<std::uint64_t> modseq;
};

/// "* n EXISTS" or "* n RECENT".
struct count_data {
  enum class kind_t { exists, recent };
  kind_t kind = kind_t::exists;
  std::uint32_t count = 0;
};

/// "* n EXPUNGE": message sequence number n was removed.
struct expunge_data {
  std::uint32_t seq = 0;
};

/// "* FLAGS (\Answered \Flagged ...)": the flags defined in the selected mailbox.
struct flags_data {
  std::vector<std::string> flags;
};

/// One address of an ENVELOPE. Groups (RFC 2822) appear as a group_start entry whose
/// mailbox holds the group name, the members, then a group_end entry.
struct address {
  enum class kind_t { mailbox, group_start, group_end };
  kind_t kind = kind_t::mailbox;
  /// Display name, still RFC 2047 encoded as sent; empty for NIL.
  std::string name;
  /// Source route (obsolete); empty for NIL.
  std::string adl;
  /// Local part, or the group name of a group_start.
  std::string mailbox;
  /// Domain; empty for NIL.
  std::string host;

  /// "mailbox@host", or just the mailbox when the host is empty.
  std::string email() const;
};

/// The ENVELOPE structure; NIL fields are empty. Strings are raw (RFC 2047 words undecoded).
struct envelope {
  std::string date;
  std::string subject;
  std::vector<address> from;
  std::vector<address> sender;
  std::vector<address> reply_to;
  std::vector<address> to;
  std::vector<address> cc;
  std::vector<address> bcc;
  std::string in_reply_to;
  std::string message_id;
};

/// One node of a BODYSTRUCTURE.
struct body_part {
  /// The IMAP section of this part, usable in BODY[...]: "1", "1.2", "3.1". A multipart
  /// node has the section of its text: "TEXT" for the top level, "3.TEXT" inside the
  /// message/rfc822 part 3, or the part number when it is nested in another multipart.
  std::string section;
  /// Lower-cased media type and subtype, e.g. "text" / "plain", "multipart" / "mixed".
  std::string type;
  std::string subtype;
  /// Content-Type parameters; names lower-cased, values as sent.
  std::vector<std::pair<std::string, std::string>> params;
  std::string id;
  std::string description;
  /// Content-Transfer-Encoding, lower-cased ("base64", "7bit").
  std::string encoding;
  /// Size of the encoded body in bytes.
  std::uint64_t size = 0;
  /// Line count (text/* and message/rfc822 only).
  std::uint64_t lines = 0;
  std::string md5;
  /// Content-Disposition, lower-cased ("attachment", "inline"); empty when absent.
  std::string disposition;
  /// Content-Disposition parameters; names lower-cased.
  std::vector<std::pair<std::string, std::string>> disposition_params;
  std::vector<std::string> language;
  std::string location;
  /// Sub-parts of a multipart; for message/rfc822 the single body of the enclosed message.
  std::vector<body_part> children;
  /// The enclosed message's envelope (message/rfc822 only).
  std::optional<imap::envelope> message_envelope;

  bool is_multipart() const { return type == "multipart"; }
  /// The value of a Content-Type parameter (name in lower case), or empty.
  std::string_view param(std::string_view name) const;
  /// The value of a Content-Disposition parameter (name in lower case), or empty.
  std::string_view disposition_param(std::string_view name) const;
};

/// A BODY[section]<origin>, BINARY[section] or RFC822.* item of a FETCH response.
struct body_section {
  /// Normalized section text: upper case, quotes dropped, single spaces, e.g. "1.2",
  /// "HEADER.FIELDS (DATE FROM)", "" for BODY[], "RFC822.HEADER" for RFC822.HEADER.
  std::string section;
  /// The origin of a partial fetch ("<0>").
  std::optional<std::uint32_t> origin;
  /// The bytes as sent (binary-safe).
  std::string data;
  /// True when the server sent NIL.
  bool nil = false;
  /// True for BINARY[...] items (content transfer decoded by the server).
  bool binary = false;
};

/// The data of one "* n FETCH (...)" response.
struct fetch_record {
  /// Message sequence number.
  std::uint32_t seq = 0;
  std::optional<std::uint32_t> uid;
  std::optional<std::vector<std::string>> flags;
  /// INTERNALDATE as sent ("17-Jul-1996 02:44:25 -0700"); empty when absent.
  std::string internaldate;
  std::optional<std::uint64_t> size;
  std::optional<imap::envelope> envelope;
  std::optional<body_part> body_structure;
  std::vector<body_section> sections;
  /// PREVIEW (RFC 8970) text; empty optional when absent or NIL.
  std::optional<std::string> preview;
  std::optional<std::uint64_t> modseq;

  /// The section with that key (compared after normalization, e.g. "1.2", "header"), or null.
  const body_section* section(std::string_view key) const;
  /// Adds the items present in other (a second FETCH response for the same message).
  void merge(fetch_record&& other);
};

/// "* n FETCH (...)".
struct fetch_data {
  fetch_record record;
};

/// Any untagged response this parser does not model (ENABLED, ID, NAMESPACE, VANISHED...);
/// it was read completely and can be ignored.
struct unknown_data {
  /// The response name, upper-cased ("NAMESPACE"; for "* 3 XYZ" it is "XYZ").
  std::string name;
};

/// One complete server response.
using response = std::variant<greeting, continuation_request, tagged_status, untagged_status,
                              capability_data, list_data, status_data, search_data, esearch_data,
                              count_data, expunge_data, flags_data, fetch_data, unknown_data>;

/// Normalizes a section for comparison: ASCII upper case, '"' removed, whitespace collapsed.
std::string normalize_section(std::string_view section);

/// Converts an INTERNALDATE ("17-Jul-1996 02:44:25 -0700", day may be space-padded) to Unix
/// seconds (UTC); empty when malformed.
std::optional<std::int64_t> internaldate_to_unix(std::string_view date);

/// True when text has the INTERNALDATE syntax (date-time of RFC 3501).
bool is_internaldate(std::string_view text);

} // namespace imap_mcp::imap
