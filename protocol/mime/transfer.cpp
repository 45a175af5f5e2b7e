// Content-Transfer-Encoding decoding (mime::decode_transfer). Written by hand rather than with
// vmime's encoders so that junk, missing padding and parts cut short by a partial IMAP fetch
// decode as far as they go instead of throwing.

#include <array>
#include <cstdint>
#include <new>

#include "protocol/mime/mime.hpp"
#include "protocol/mime/text_util.hpp"

namespace imap_mcp::mime {

namespace {

constexpr std::array<std::int8_t, 256> make_base64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t)
    v = -1;
  for (int i = 0; i < 26; ++i) {
    t['A' + i] = static_cast<std::int8_t>(i);
    t['a' + i] = static_cast<std::int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i)
    t['0' + i] = static_cast<std::int8_t>(52 + i);
  t['+'] = 62;
  t['/'] = 63;
  return t;
}

constexpr auto base64_table = make_base64_table();

} // namespace

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/// Decodes base64, skipping characters outside the alphabet. '=' ends a quantum early, which
/// also joins separately padded chunks that some mailers concatenate.
std::string decode_base64_lenient(std::string_view in) {
  // Written through a raw pointer into a buffer sized for the worst case: push_back per byte
  // was a tenth of the time of parsing a 20 MB message.
  std::string out(in.size() / 4 * 3 + 3, '\0');
  char* w = out.data();
  std::uint32_t acc = 0;
  int n = 0;
  for (unsigned char c : in) {
    const int v = base64_table[c];
    if (v < 0) {
      if (c == '=' && n > 0) {
        if (n >= 2)
          *w++ = static_cast<char>((acc >> (6 * n - 8)) & 0xFF);
        if (n == 3)
          *w++ = static_cast<char>((acc >> 2) & 0xFF);
        acc = 0;
        n = 0;
      }
      continue;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    if (++n == 4) {
      *w++ = static_cast<char>((acc >> 16) & 0xFF);
      *w++ = static_cast<char>((acc >> 8) & 0xFF);
      *w++ = static_cast<char>(acc & 0xFF);
      acc = 0;
      n = 0;
    }
  }
  // A final quantum without padding still carries whole bytes.
  if (n >= 2)
    *w++ = static_cast<char>((acc >> (6 * n - 8)) & 0xFF);
  if (n == 3)
    *w++ = static_cast<char>((acc >> 2) & 0xFF);
  out.resize(static_cast<std::size_t>(w - out.data()));
  return out;
}

/// Decodes quoted-printable (RFC 2045 section 6.7): trailing white space on a line is transport
/// padding and dropped, "=" at the end of a line is a soft break, "=XX" (either case) a byte,
/// anything else after "=" stays literal. Hard line breaks are kept as they were.
std::string decode_quoted_printable(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t pos = 0;
  while (pos < in.size()) {
    auto eol = in.find('\n', pos);
    const bool has_newline = eol != std::string_view::npos;
    if (!has_newline)
      eol = in.size();
    std::size_t end = eol;
    bool crlf = false;
    if (end > pos && in[end - 1] == '\r') {
      --end;
      crlf = true;
    }
    while (end > pos && is_wsp(in[end - 1]))
      --end;
    bool soft = false;
    if (end > pos && in[end - 1] == '=') {
      soft = true;
      --end;
    }
    for (std::size_t i = pos; i < end; ++i) {
      const char c = in[i];
      if (c == '=' && i + 2 < end) {
        const int hi = hex_value(in[i + 1]);
        const int lo = hex_value(in[i + 2]);
        if (hi >= 0 && lo >= 0) {
          out.push_back(static_cast<char>(hi * 16 + lo));
          i += 2;
          continue;
        }
      }
      out.push_back(c);
    }
    if (has_newline && !soft)
      out.append(crlf ? "\r\n" : "\n");
    pos = has_newline ? eol + 1 : in.size();
  }
  return out;
}

result<std::string> decode_transfer(std::string_view bytes, std::string_view encoding) {
  try {
    const auto enc = to_lower(trim(encoding));
    if (enc == "base64")
      return decode_base64_lenient(bytes);
    if (enc == "quoted-printable")
      return decode_quoted_printable(bytes);
    return std::string(bytes);
  } catch (const std::bad_alloc&) {
    return make_failure(error_code::internal, "out of memory while decoding a message part",
                        "mime");
  } catch (...) {
    return make_failure(error_code::internal, "could not decode a message part", "mime");
  }
}

} // namespace imap_mcp::mime
