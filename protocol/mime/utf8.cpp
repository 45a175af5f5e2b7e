#include "protocol/mime/utf8.hpp"

#include <cstdint>

#include "protocol/util/utf8.hpp"

namespace imap_mcp::mime {

namespace {

constexpr std::string_view replacement = utf8::replacement_bytes;

// Windows-1252 0x80..0x9F; 0 marks the unassigned bytes.
constexpr char16_t cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

} // namespace

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80)
      return false;
  return true;
}

bool is_valid_utf8(std::string_view s) {
  return utf8::is_valid(s);
}

void append_repaired_utf8(std::string& out, std::string_view s) {
  std::size_t i = 0, run = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const auto d = utf8::decode(s, i);
    if (d.valid) {
      i += d.length;
      continue;
    }
    out.append(s.substr(run, i - run));
    out.append(replacement);
    i += d.length; // the maximal ill-formed subpart: one U+FFFD for all of it
    run = i;
  }
  out.append(s.substr(run));
}

std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  append_repaired_utf8(out, s);
  return out;
}

void append_code_point(std::string& out, char32_t cp) {
  utf8::append(out, cp);
}

void append_windows_1252(std::string& out, std::string_view bytes) {
  out.reserve(out.size() + bytes.size() + bytes.size() / 4);
  for (unsigned char c : bytes) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0xA0) {
      const char16_t cp = cp1252_high[c - 0x80];
      if (cp == 0)
        out.append(replacement);
      else
        append_code_point(out, cp);
    } else {
      append_code_point(out, c);
    }
  }
}

std::size_t count_code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80)
      ++n;
  return n;
}

std::size_t utf8_prefix_length(std::string_view s, std::size_t max_code_points) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)
      continue;
    if (count == max_code_points)
      return i;
    ++count;
  }
  return s.size();
}

bool truncate_utf8(std::string& s, std::size_t max_code_points) {
  const auto n = utf8_prefix_length(s, max_code_points);
  if (n >= s.size())
    return false;
  s.resize(n);
  return true;
}

} // namespace imap_mcp::mime
