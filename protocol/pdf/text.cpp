#include "protocol/pdf/text.hpp"

#include <algorithm>

#include "protocol/util/utf8.hpp"

namespace imap_mcp::pdf {

namespace {

enum class char_class { text, space, line_break, drop };

char_class classify(char32_t cp) {
  switch (cp) {
  case U'\n':
  case U'\r':
  case U'\f':
  case U'\v':
  case 0x85:   // NEL
  case 0x2028: // LINE SEPARATOR
  case 0x2029: // PARAGRAPH SEPARATOR
    return char_class::line_break;
  case U'\t':
  case U' ':
  case 0xA0:   // NO-BREAK SPACE: physical layout and invoices use it for alignment
  case 0x1680: // OGHAM SPACE MARK
  case 0x202F: // NARROW NO-BREAK SPACE
  case 0x205F: // MEDIUM MATHEMATICAL SPACE
  case 0x3000: // IDEOGRAPHIC SPACE
    return char_class::space;
  case 0xFEFF: // BOM / zero-width no-break space: noise inside extracted text
  case 0xFFFE:
  case 0xFFFF:
    return char_class::drop;
  default:
    break;
  }
  if (cp >= 0x2000 && cp <= 0x200A) // EN QUAD .. HAIR SPACE
    return char_class::space;
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) // C0 (incl. NUL), DEL, C1
    return char_class::drop;
  return char_class::text;
}

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

} // namespace

std::string normalize_text(std::u16string_view utf16) {
  std::string out;
  out.reserve(utf16.size());
  // Whitespace is held back until the next visible character decides whether it is kept:
  // this trims lines and the page without a second pass.
  int pending_breaks = 0;
  bool pending_space = false;
  bool after_cr = false;
  for (std::size_t i = 0; i < utf16.size(); ++i) {
    char32_t cp = utf16[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < utf16.size() && utf16[i + 1] >= 0xDC00 &&
        utf16[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (utf16[i + 1] - 0xDC00);
      ++i;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD; // an unpaired surrogate cannot be encoded as UTF-8
    }
    bool crlf = after_cr && cp == U'\n';
    after_cr = cp == U'\r';
    if (crlf)
      continue;
    switch (classify(cp)) {
    case char_class::line_break:
      pending_space = false;
      if (!out.empty())
        pending_breaks = std::min(pending_breaks + 1, 2);
      break;
    case char_class::space:
      if (!out.empty() && pending_breaks == 0)
        pending_space = true;
      break;
    case char_class::drop:
      break;
    case char_class::text:
      if (pending_breaks > 0)
        out.append(static_cast<std::size_t>(pending_breaks), '\n');
      else if (pending_space)
        out += ' ';
      pending_breaks = 0;
      pending_space = false;
      utf8::append(out, cp);
      break;
    }
  }
  return out;
}

std::size_t count_code_points(std::string_view utf8) {
  return static_cast<std::size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char c) { return !is_continuation(c); }));
}

bool is_valid_utf8(std::string_view bytes) { return utf8::is_valid(bytes); }

std::size_t prefix_bytes(std::string_view utf8, std::size_t max_code_points) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    if (!is_continuation(utf8[i])) {
      if (seen == max_code_points)
        return i;
      ++seen;
    }
  }
  return utf8.size();
}

} // namespace imap_mcp::pdf
