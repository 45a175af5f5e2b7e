#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/util/error.hpp"

/// MIME adapter: turns raw (still transfer-encoded) message bytes into what an agent reads.
/// Built on vmime for header and structure parsing; every function is pure, thread-safe (state
/// such as charset converters is per thread) and never lets an exception escape.
namespace imap_mcp::mime {

// ---------------------------------------------------------------------------------------------
// Text decoding

/// Unfolds a raw header value and decodes RFC 2047 encoded words (B and Q, any charset;
/// adjacent words joined, malformed words left as they are) into UTF-8. Raw 8-bit bytes are
/// read as UTF-8 when valid, else as Windows-1252. Control characters become spaces; the result
/// is trimmed and always valid UTF-8. Never throws.
std::string decode_header_value(std::string_view raw);

/// Converts `bytes` in `charset` to UTF-8 through vmime's (ICU) charset converter.
/// Empty, `us-ascii` or unknown charsets: the bytes are kept when they are valid UTF-8, else
/// read as Windows-1252. Labels `iso-8859-1`/`latin1` decode as Windows-1252 (as browsers do).
/// Invalid sequences become U+FFFD. The output is always valid UTF-8. Never fails.
std::string to_utf8(std::string_view bytes, std::string_view charset);

/// Undoes a Content-Transfer-Encoding: `base64` (tolerant of line breaks, junk and missing
/// padding), `quoted-printable` (soft breaks, either hex case, bad escapes kept literally);
/// `7bit`, `8bit`, `binary`, empty and unknown encodings return the bytes unchanged.
result<std::string> decode_transfer(std::string_view bytes, std::string_view encoding);

// ---------------------------------------------------------------------------------------------
// Headers

/// One header field, name as sent and value unfolded and RFC 2047 decoded to UTF-8.
struct header_field {
  std::string name;
  std::string value;
  /// The value as sent (folded, still encoded, trimmed; raw bytes, not necessarily UTF-8, so
  /// never put it into JSON). Address and parameter parsing need it:
  /// a decoded `=?UTF-8?Q?M=C3=BCller=2C_Hans?= <h@x>` reads as two addresses, so pass this
  /// to format_addresses() and content_param().
  std::string raw;
};

/// Parses a raw RFC 5322 header block (as returned by BODY.PEEK[HEADER]; anything after the
/// first empty line is ignored) with vmime. At most `max_fields` fields are read; lines that are
/// not fields are skipped. Values are unfolded and decoded.
std::vector<header_field> parse_header_block(std::string_view raw, std::size_t max_fields = 1000);

/// First field named `name` (ASCII case-insensitive) or nullptr.
const header_field* find_header(const std::vector<header_field>& headers, std::string_view name);

/// The main value of a structured header such as Content-Type or Content-Disposition, lower
/// case and without parameters or comments: `"Text/HTML; charset=x"` -> `"text/html"`.
std::string content_value(std::string_view header_value);

/// Parameter `name` (case-insensitive) of a raw Content-Type / Content-Disposition value,
/// decoded to UTF-8: RFC 2231 extended values (`filename*=UTF-8''%E2%82%AC.pdf`) and
/// continuations (`name*0*=`, `name*1=`) win over a plain value; quoted strings are unescaped;
/// RFC 2047 words inside a plain value (a common violation) are decoded. Empty when absent.
std::string content_param(std::string_view header_value, std::string_view name);

/// Formats an address header (From, To, Cc...) for display: `Name <a@b>, c@d`, names RFC 2047
/// decoded and quoted when they hold `,;<>@:"`; groups as `Team: a@b, c@d;`. Falls back to the
/// decoded text when nothing parses as an address. Only the first 64 KiB are read (about a
/// thousand addresses); when there are more, the list ends with ", …".
std::string format_addresses(std::string_view header_value);

// ---------------------------------------------------------------------------------------------
// Whole message

/// Guard rails applied before any byte reaches vmime.
struct limits {
  /// Bigger messages are refused.
  std::size_t max_message_bytes = 50u << 20;
  /// Deepest allowed nesting of multiparts and encapsulated messages; deeper is refused.
  int max_depth = 32;
  /// Parts beyond this many are not listed (`parsed_message::truncated`).
  std::size_t max_parts = 500;
  /// Cap on lines that could be header fields, across all levels: vmime spends ~5 us and
  /// ~450 bytes per field, so a message of millions of one-letter fields is cut here.
  std::size_t max_header_lines = 20000;
  /// Cap on bytes in those lines and their continuation lines, across all levels: vmime
  /// parses address lists at ~3 MB/s, so a 50 MB To: field would take 15 s.
  std::size_t max_header_bytes = 1u << 20;
  /// Cap on lines starting with "--" (possible boundaries), across all levels, for the same
  /// reason (vmime spends ~8 us per part).
  std::size_t max_boundary_lines = 10000;
};

/// One leaf part (or message/rfc822 part) of a message.
struct part {
  /// IMAP section number (RFC 3501 FETCH BODY[section]), e.g. "1", "1.2", "2.1".
  std::string part_id;
  /// Lower-case type/subtype, e.g. "text/plain".
  std::string content_type;
  /// Lower-case charset parameter; empty when absent.
  std::string charset;
  /// Decoded file name (Content-Disposition filename, else Content-Type name); may be empty.
  std::string filename;
  /// Lower-case disposition ("attachment", "inline") or empty.
  std::string disposition;
  /// Lower-case Content-Transfer-Encoding or empty.
  std::string transfer_encoding;
  /// Size after transfer decoding, before charset conversion.
  std::size_t decoded_size = 0;
  /// Decoded bytes; text/* parts converted to UTF-8.
  std::string body;
  /// True for parts a mail client would list as attachments (see parse_message).
  bool is_attachment = false;
};

/// Result of parse_message().
struct parsed_message {
  /// Top-level header fields, decoded.
  std::vector<header_field> headers;
  /// Leaf parts and message/rfc822 parts in document order (depth first). Multipart
  /// containers themselves are not listed.
  std::vector<part> parts;
  /// True when parts were left out because a limit was reached; `warnings` says which.
  bool truncated = false;
  /// Human-readable notes about anything skipped (no message content in them).
  std::vector<std::string> warnings;
};

/// Parses a whole raw message. Part ids follow IMAP: a non-multipart message's body is "1";
/// the parts of a message/rfc822 part "2" are "2.1", "2.2"... (its body is "2.1" when it is not
/// multipart). Refused (invalid_input, stage "mime") when bigger than `max_message_bytes` or
/// nested deeper than `max_depth`; cut (truncated + warning) beyond `max_parts` parts or the
/// line caps. A part is an attachment when its disposition is "attachment", when it is a
/// message/rfc822, or when it is not a text/plain or text/html part without a file name.
result<parsed_message> parse_message(std::string_view raw, const limits& lim);

/// Same with default limits.
inline result<parsed_message> parse_message(std::string_view raw) {
  return parse_message(raw, limits{});
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// How render_body() shapes its output.
struct render_options {
  /// Cut body_text and body_html at this many Unicode code points.
  std::size_t body_max_chars = 2000;
  /// Also produce sanitized body_html.
  bool include_html = false;
};

/// What the agent sees of a message body.
struct rendered_body {
  /// Plain text (LF line ends), cut at body_max_chars code points.
  std::string body_text;
  bool body_text_truncated = false;
  /// Sanitized HTML of the first text/html part (empty when there is none); only set when
  /// include_html was asked. Well-formed even when cut.
  std::optional<std::string> body_html;
  bool body_html_truncated = false;
};

/// Picks and renders the body from the message's text parts (bodies already UTF-8, e.g. from
/// parse_message or decode_transfer + to_utf8): the first text/plain part with non-blank text,
/// else the text rendered from the first text/html part's sanitized HTML. Parts that are
/// attachments are skipped. Cuts never split a UTF-8 sequence.
rendered_body render_body(const std::vector<part>& text_parts, const render_options& opt);

} // namespace imap_mcp::mime
