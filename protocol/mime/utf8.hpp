#pragma once

#include <cstddef>
#include <string>
#include <string_view>

/// UTF-8 helpers shared by the MIME and HTML adapters. Decoding and encoding themselves live in
/// protocol/util/utf8.hpp (imap_mcp::utf8); the functions here that overlap it forward to it.
namespace imap_mcp::mime {

/// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points beyond
/// U+10FFFF); same as utf8::is_valid().
bool is_valid_utf8(std::string_view s);

/// True when every byte of `s` is below 0x80.
bool is_ascii(std::string_view s);

/// Appends `s` to `out`, replacing each maximal ill-formed subsequence by U+FFFD (the WHATWG
/// decoder's rule), so the result is always valid UTF-8.
void append_repaired_utf8(std::string& out, std::string_view s);

/// `s` with ill-formed sequences replaced by U+FFFD.
std::string repair_utf8(std::string_view s);

/// Appends one code point as UTF-8 (invalid code points become U+FFFD); same as utf8::append().
void append_code_point(std::string& out, char32_t cp);

/// Appends Windows-1252 bytes as UTF-8 (the five unassigned bytes become U+FFFD).
void append_windows_1252(std::string& out, std::string_view bytes);

/// Number of code points in valid UTF-8 (continuation bytes are not counted).
std::size_t count_code_points(std::string_view s);

/// Byte length of the longest prefix of `s` with at most `max_code_points` code points; never
/// ends inside a multi-byte sequence.
std::size_t utf8_prefix_length(std::string_view s, std::size_t max_code_points);

/// Cuts `s` to at most `max_code_points` code points; true when something was cut.
bool truncate_utf8(std::string& s, std::size_t max_code_points);

} // namespace imap_mcp::mime
