#include "protocol/imap/mutf7.hpp"

#include <cstdint>

#include "protocol/util/utf8.hpp"

namespace imap_mcp::imap {

namespace {

// Qualified in full: encode() below has a parameter named utf8 that hides the namespace.
constexpr char32_t replacement_char = imap_mcp::utf8::replacement_character;
constexpr char32_t invalid_cp = 0xFFFFFFFF;

/// The base64 alphabet of RFC 3501: ',' replaces '/' so names never contain a slash.
constexpr char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == ',')
    return 63;
  return -1;
}

bool is_printable_ascii(char32_t cp) {
  return cp >= 0x20 && cp <= 0x7E;
}

/// Decodes one code point at pos and advances pos; returns invalid_cp (advancing one byte, so
/// the lenient encoder writes one U+FFFD per bad byte) for any ill-formed sequence.
char32_t next_code_point(std::string_view s, std::size_t& pos) {
  const auto d = utf8::decode(s, pos);
  if (!d.valid) {
    ++pos;
    return invalid_cp;
  }
  pos += d.length;
  return d.code_point;
}

/// Collects UTF-16 units and writes them as modified base64 without padding.
class b64_writer {
public:
  explicit b64_writer(std::string& out) : out_(out) {}

  void unit(std::uint16_t u) {
    bits_ = (bits_ << 16) | u;
    nbits_ += 16;
    while (nbits_ >= 6) {
      nbits_ -= 6;
      out_.push_back(b64_alphabet[(bits_ >> nbits_) & 0x3F]);
    }
  }

  void code_point(char32_t cp) {
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(static_cast<std::uint16_t>(0xD800 | (cp >> 10)));
      unit(static_cast<std::uint16_t>(0xDC00 | (cp & 0x3FF)));
    } else {
      unit(static_cast<std::uint16_t>(cp));
    }
  }

  void finish() {
    if (nbits_ > 0)
      out_.push_back(b64_alphabet[(bits_ << (6 - nbits_)) & 0x3F]);
    nbits_ = 0;
    bits_ = 0;
  }

private:
  std::string& out_;
  std::uint32_t bits_ = 0;
  int nbits_ = 0;
};

/// Shared encoder; strict mode stops at the first invalid UTF-8 byte.
bool encode(std::string_view utf8, bool strict, std::string& out) {
  out.reserve(utf8.size() + 8);
  std::size_t pos = 0;
  while (pos < utf8.size()) {
    std::size_t before = pos;
    char32_t cp = next_code_point(utf8, pos);
    // NUL cannot be part of a mailbox name (decode_mailbox refuses it too).
    if (cp == invalid_cp || cp == 0) {
      if (strict)
        return false;
      cp = replacement_char;
    }
    if (is_printable_ascii(cp)) {
      out.push_back(static_cast<char>(cp));
      if (cp == '&')
        out.push_back('-');
      continue;
    }
    // A run of characters that need base64: collect until the next printable ASCII one.
    out.push_back('&');
    b64_writer w(out);
    w.code_point(cp);
    while (pos < utf8.size()) {
      before = pos;
      cp = next_code_point(utf8, pos);
      if (cp == invalid_cp || cp == 0) {
        if (strict)
          return false;
        cp = replacement_char;
      }
      if (is_printable_ascii(cp)) {
        pos = before;
        break;
      }
      w.code_point(cp);
    }
    w.finish();
    out.push_back('-');
  }
  return true;
}

failure invalid(std::string what) {
  return make_failure(error_code::invalid_input,
                      "mailbox name is not valid modified UTF-7: " + what);
}

} // namespace

bool is_valid_utf8(std::string_view text) {
  return utf8::is_valid(text);
}

std::string encode_mailbox(std::string_view utf8) {
  std::string out;
  encode(utf8, false, out);
  return out;
}

result<std::string> try_encode_mailbox(std::string_view utf8) {
  std::string out;
  if (!encode(utf8, true, out))
    return make_failure(error_code::invalid_input,
                        "mailbox name is not valid UTF-8 or contains NUL");
  return out;
}

result<std::string> decode_mailbox(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t pos = 0;
  while (pos < in.size()) {
    char c = in[pos];
    if (!is_printable_ascii(static_cast<unsigned char>(c)))
      return invalid("raw 8-bit or control byte at offset " + std::to_string(pos));
    if (c != '&') {
      out.push_back(c);
      ++pos;
      continue;
    }
    std::size_t start = ++pos;
    std::uint32_t bits = 0;
    int nbits = 0;
    char16_t high = 0;
    while (pos < in.size() && in[pos] != '-') {
      int v = b64_value(in[pos]);
      if (v < 0)
        return invalid("bad base64 character at offset " + std::to_string(pos));
      bits = (bits << 6) | static_cast<std::uint32_t>(v);
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        auto unit = static_cast<char16_t>((bits >> nbits) & 0xFFFF);
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          if (high)
            return invalid("unpaired surrogate");
          high = unit;
        } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
          if (!high)
            return invalid("unpaired surrogate");
          utf8::append(out,
                       0x10000 + ((char32_t(high) - 0xD800) << 10) + (char32_t(unit) - 0xDC00));
          high = 0;
        } else {
          if (high)
            return invalid("unpaired surrogate");
          // Printable ASCII must represent itself; encoding it would give one name two spellings.
          if (is_printable_ascii(unit))
            return invalid("encoded printable ASCII character");
          if (unit == 0)
            return invalid("encoded NUL character");
          utf8::append(out, unit);
        }
      }
      ++pos;
    }
    if (pos >= in.size())
      return invalid("unterminated '&' sequence");
    ++pos; // the '-'
    if (pos - 1 == start) {
      out.push_back('&'); // "&-"
      continue;
    }
    if (high)
      return invalid("unpaired surrogate");
    // Leftover bits must be fewer than 6 and all zero (they are padding).
    if (nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0)
      return invalid("bad base64 padding");
  }
  return out;
}

} // namespace imap_mcp::imap
