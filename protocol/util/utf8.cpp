#include "protocol/util/utf8.hpp"

namespace imap_mcp::utf8 {

namespace {

bool is_surrogate(char32_t cp) {
  return cp >= 0xD800 && cp <= 0xDFFF;
}

} // namespace

decoded decode(std::string_view s, std::size_t pos) {
  decoded out;
  if (pos >= s.size())
    return out;
  const auto b0 = static_cast<unsigned char>(s[pos]);
  out.length = 1;
  if (b0 < 0x80) {
    out.code_point = b0;
    out.valid = true;
    return out;
  }
  // The lead byte fixes the length and, through the allowed range of the second byte, rules
  // out overlong forms (E0, F0), surrogates (ED) and values beyond U+10FFFF (F4) before the
  // bad bytes are consumed: that is what makes the ill-formed subpart maximal.
  std::size_t need = 0;
  char32_t cp = 0;
  unsigned char lower = 0x80, upper = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0)
      lower = 0xA0;
    if (b0 == 0xED)
      upper = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0)
      lower = 0x90;
    if (b0 == 0xF4)
      upper = 0x8F;
  } else {
    // C0, C1 and F5..FF never start a sequence; 80..BF are continuation bytes.
    return out;
  }
  std::size_t j = pos + 1;
  for (std::size_t k = 0; k < need; ++k, ++j) {
    if (j >= s.size()) {
      out.length = j - pos;
      return out;
    }
    const auto b = static_cast<unsigned char>(s[j]);
    if (b < lower || b > upper) {
      out.length = j - pos;
      return out;
    }
    cp = (cp << 6) | (b & 0x3F);
    lower = 0x80;
    upper = 0xBF;
  }
  out.code_point = cp;
  out.length = need + 1;
  out.valid = true;
  return out;
}

bool is_valid(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    // Fast path over ASCII runs, which dominate mail text and tool arguments.
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const auto d = decode(s, i);
    if (!d.valid)
      return false;
    i += d.length;
  }
  return true;
}

std::optional<std::size_t> length(std::string_view s) {
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
    } else {
      const auto d = decode(s, i);
      if (!d.valid)
        return std::nullopt;
      i += d.length;
    }
    ++count;
  }
  return count;
}

void append(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || is_surrogate(cp)) {
    out.append(replacement_bytes);
  } else if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

} // namespace imap_mcp::utf8
