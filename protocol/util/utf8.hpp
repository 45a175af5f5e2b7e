#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

/// UTF-8 encoding and validation (RFC 3629, Unicode 15 table 3-7), shared by every module that
/// reads or writes UTF-8. Well-formed means: no overlong forms, no surrogates (U+D800..U+DFFF),
/// nothing beyond U+10FFFF, no truncated sequence and no stray continuation byte.
namespace imap_mcp::utf8 {

/// U+FFFD REPLACEMENT CHARACTER, what repairing callers put in place of ill-formed input.
inline constexpr char32_t replacement_character = 0xFFFD;

/// U+FFFD encoded as UTF-8.
inline constexpr std::string_view replacement_bytes = "\xEF\xBF\xBD";

/// One step of decoding: a code point, or the ill-formed bytes found instead.
struct decoded {
  /// The code point when `valid`; replacement_character otherwise.
  char32_t code_point = replacement_character;
  /// Bytes taken: the whole sequence when `valid`, else the maximal ill-formed subpart (at
  /// least 1), so that a repairing caller that skips it emits one U+FFFD per subpart (the
  /// Unicode and WHATWG rule). 0 only when there was nothing left to decode.
  std::size_t length = 0;
  /// True for a well-formed sequence.
  bool valid = false;
};

/// Decodes the sequence that starts at byte `pos` of `s`. Strict callers stop when `valid` is
/// false; lenient ones use `code_point` (U+FFFD) and skip `length` bytes.
decoded decode(std::string_view s, std::size_t pos);

/// True when `s` is well-formed UTF-8 (the empty string is).
bool is_valid(std::string_view s);

/// Number of code points of `s` when it is well-formed UTF-8; nullopt otherwise.
std::optional<std::size_t> length(std::string_view s);

/// Appends `cp` encoded as UTF-8; a surrogate or a value beyond U+10FFFF (which no UTF-8 may
/// hold) becomes U+FFFD, so the output is always well-formed.
void append(std::string& out, char32_t cp);

} // namespace imap_mcp::utf8
