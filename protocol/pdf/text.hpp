#pragma once

#include <cstddef>
#include <string>
#include <string_view>

/// Text clean-up shared by the PDF adapter; separate from poppler so it can be tested directly.
namespace imap_mcp::pdf {

/// Turns one page of UTF-16 text (as poppler returns it) into normalized UTF-8: unpaired
/// surrogates become U+FFFD; CR, CRLF, form feed, vertical tab, NEL, U+2028 and U+2029 become
/// line breaks; tabs and Unicode space separators become spaces; other control characters,
/// NULs and byte-order marks are dropped; runs of spaces collapse to one; lines are trimmed;
/// at most one blank line in a row; no leading or trailing line breaks.
std::string normalize_text(std::u16string_view utf16);

/// Number of code points in valid UTF-8 (continuation bytes are not counted).
std::size_t count_code_points(std::string_view utf8);

/// True for well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

/// Byte length of the first `max_code_points` code points of valid UTF-8 (never splits one).
std::size_t prefix_bytes(std::string_view utf8, std::size_t max_code_points);

} // namespace imap_mcp::pdf
