#pragma once

#include <string>
#include <string_view>

/// Small string helpers used inside the MIME adapter (not part of its public API).
namespace imap_mcp::mime {

/// True for space and horizontal tab.
inline bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

/// True for space, tab, CR and LF.
inline bool is_lwsp(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/// ASCII lower case of one byte.
inline char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `s` without leading and trailing space, tab, CR and LF.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_lwsp(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_lwsp(s.back()))
    s.remove_suffix(1);
  return s;
}

/// ASCII lower-case copy.
inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = lower(c);
  return out;
}

/// ASCII case-insensitive equality.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i]))
      return false;
  return true;
}

/// ASCII case-insensitive prefix test.
inline bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

/// Lower-case, trimmed charset label without quotes.
std::string normalize_charset(std::string_view charset);

/// Unfolds a header value (line breaks followed by white space are removed, other line breaks
/// become spaces).
std::string unfold(std::string_view raw);

/// Value of one hex digit (either case) or -1.
int hex_value(char c);

/// Lenient base64 decoder (junk skipped, padding optional).
std::string decode_base64_lenient(std::string_view in);

/// Quoted-printable decoder (RFC 2045 section 6.7, lenient).
std::string decode_quoted_printable(std::string_view in);

} // namespace imap_mcp::mime
