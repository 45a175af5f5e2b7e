#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/imap/sequence_set.hpp"
#include "protocol/util/error.hpp"

/// Building IMAP commands with correct wire syntax (RFC 3501 section 9, RFC 7888).
namespace imap_mcp::imap {

/// How literals are announced on the wire.
enum class literal_mode {
  /// "{n}\r\n": the client waits for a "+" continuation before sending the bytes.
  synchronizing,
  /// "{n+}\r\n" for every literal (the server offers LITERAL+).
  non_synchronizing,
  /// "{n+}" up to 4096 bytes, "{n}" above (the server offers LITERAL- only).
  limited,
};

/// Strings longer than this go out as literals even when they could be quoted, so no line
/// grows past what servers accept.
inline constexpr std::size_t max_quoted_length = 1024;

/// Largest literal that LITERAL- allows to be non-synchronizing (RFC 7888).
inline constexpr std::size_t literal_minus_limit = 4096;

/// A command ready for the wire, without its tag. The client writes "<tag> " and then the
/// segments in order; every segment but the last ends with a synchronizing literal
/// announcement ("{n}\r\n"), after which the client must wait for the server's "+"
/// continuation before writing the next segment. The last segment ends with "\r\n".
struct command {
  /// The bytes to send, split where a continuation is needed.
  std::vector<std::string> segments;

  /// Overwrites every byte (used for commands that carry a password).
  void wipe();
};

/// Appends tokens one by one, separated by single spaces, choosing the safe representation
/// for every value: atoms only for strings made of plain characters, quoted strings (with
/// '\' and '"' escaped) for other 7-bit text, literals for anything with CR, LF, NUL or 8-bit
/// bytes or that is longer than max_quoted_length. Values can therefore never inject IMAP
/// syntax. Invalid values (a flag that is not a flag, a mailbox that is not UTF-8, an empty
/// sequence set) are recorded as the builder's error, and build() returns that failure.
///
/// A builder also serves as a command fragment (for example search criteria built by one
/// module and embedded into a UID SEARCH command by the client); literals in a fragment take
/// the form of the command they are embedded in.
class command_builder {
public:
  /// A keyword or other atom ("UID", "FETCH", "SINCE"); anything that is not an atom is an
  /// error. Use it for protocol words, not for user data.
  command_builder& atom(std::string_view keyword);

  /// A decimal number.
  command_builder& number(std::uint64_t value);

  /// An astring: a bare atom when the text has only plain characters (letters, digits and
  /// ".-_/+=@:,&"), else a quoted string or a literal.
  command_builder& astring(std::string_view text);

  /// A string that is always quoted or a literal, never an atom (LOGIN arguments, search text).
  command_builder& string(std::string_view text);

  /// A literal, whatever the content.
  command_builder& literal(std::string_view bytes);

  /// A mailbox name given in UTF-8: encoded to modified UTF-7, then sent as an astring.
  /// Invalid UTF-8 is an error.
  command_builder& mailbox(std::string_view utf8_name);

  /// A sequence set ("1:5,7"); an empty set is an error.
  command_builder& sequence(const sequence_set& set);

  /// One flag: a system flag (\Seen \Answered \Flagged \Deleted \Draft, any case) or a keyword
  /// atom such as $Forwarded. Anything else is an error.
  command_builder& flag(std::string_view flag);

  /// A parenthesized flag list "(\Seen $Label)"; every flag checked as by flag().
  command_builder& flag_list(std::span<const std::string> flags);

  /// A search date "1-Feb-2024"; an impossible date is an error.
  command_builder& date(int year, int month, int day);

  /// Opens a parenthesized list; the next token follows without a space.
  command_builder& open();

  /// Closes a parenthesized list.
  command_builder& close();

  /// Fixed protocol text written as is, e.g. "BODY.PEEK[1.2]<0.2048>" after it was validated.
  /// Never pass user data here. Text with control characters, 8-bit bytes or braces is an
  /// error, so even a mistake cannot break the line or announce a literal.
  command_builder& verbatim(std::string_view protocol_text);

  /// Embeds a fragment built by another builder (its error, if any, becomes this one's).
  command_builder& append(const command_builder& fragment);

  /// Records an error found by the caller; build() will return it.
  command_builder& fail(failure error);

  /// True when no error was recorded.
  bool ok() const { return !error_.has_value(); }

  /// The first recorded error, if any.
  const std::optional<failure>& error() const { return error_; }

  /// True when nothing was added.
  bool empty() const { return pieces_.empty(); }

  /// Renders the command (without tag) with the final CRLF, splitting it after each
  /// synchronizing literal announcement.
  result<command> build(literal_mode mode) const;

  /// Overwrites every byte held (for builders that carried a password).
  void wipe();

private:
  /// Either syntax text or the bytes of a literal.
  struct piece {
    bool is_literal = false;
    std::string data;
  };

  void separate();
  std::string& text();
  void add_quoted_or_literal(std::string_view value);

  std::vector<piece> pieces_;
  bool need_space_ = false;
  std::optional<failure> error_;
};

/// True when the text can be sent as a quoted string (7-bit, no CR/LF/NUL, not too long).
bool is_quotable(std::string_view text);

/// True when the text is a non-empty IMAP atom (no atom-specials, CTLs, spaces or 8-bit).
bool is_atom(std::string_view text);

/// The canonical spelling of a valid flag ("\seen" gives "\Seen"), or nothing when the text is
/// neither a system flag nor a keyword atom.
std::optional<std::string> canonical_flag(std::string_view flag);

} // namespace imap_mcp::imap
