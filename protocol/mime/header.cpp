// Header decoding: RFC 2047 words, header blocks, RFC 2231 parameters, address lists.

#include <map>
#include <memory>

#include <vmime/addressList.hpp>
#include <vmime/header.hpp>
#include <vmime/headerField.hpp>
#include <vmime/mailbox.hpp>
#include <vmime/mailboxGroup.hpp>
#include <vmime/text.hpp>
#include <vmime/utility/inputStreamByteBufferAdapter.hpp>
#include <vmime/word.hpp>

#include "protocol/mime/mime.hpp"
#include "protocol/mime/text_util.hpp"
#include "protocol/mime/utf8.hpp"
#include "protocol/mime/vmime_util.hpp"

namespace imap_mcp::mime {

namespace {

/// Control characters become spaces (a decoded "=0D=0A" must not break a header line the agent
/// sees); then the value is trimmed.
std::string clean_value(std::string s) {
  for (auto& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F)
      c = ' ';
  }
  const auto t = trim(s);
  if (t.size() != s.size())
    return std::string(t);
  return s;
}

/// Collapses runs of spaces into one (used for display names).
std::string collapse_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty())
      out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

bool all_wsp(std::string_view s) {
  for (char c : s)
    if (!is_lwsp(c))
      return false;
  return true;
}

/// Strict base64 for encoded words: only the alphabet, '=' only as trailing padding. A word
/// that fails is malformed and stays as it is.
bool decode_b_word(std::string_view text, std::string& out) {
  std::size_t end = text.size();
  while (end > 0 && text[end - 1] == '=')
    --end;
  if (text.size() - end > 2)
    return false;
  for (std::size_t i = 0; i < end; ++i) {
    const char c = text[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok)
      return false;
  }
  if (end % 4 == 1)
    return false;
  out = decode_base64_lenient(text);
  return true;
}

void decode_q_word(std::string_view text, std::string& out) {
  out.clear();
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') {
      out.push_back(' ');
    } else if (c == '=' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
}

/// An encoded word `=?charset?B|Q?text?=` starting at `p`; on success fills the charset
/// (without an RFC 2231 language suffix), the decoded bytes and the end offset.
bool parse_encoded_word(std::string_view s, std::size_t p, std::string_view& charset,
                        std::string& bytes, std::size_t& end) {
  // s[p] == '=' and s[p + 1] == '?'
  const auto q1 = s.find('?', p + 2);
  if (q1 == std::string_view::npos || q1 == p + 2 || q1 - p > 80)
    return false;
  charset = s.substr(p + 2, q1 - p - 2);
  for (char c : charset)
    if (is_lwsp(c) || c == '=')
      return false;
  if (q1 + 2 >= s.size() || s[q1 + 2] != '?')
    return false;
  const char enc = lower(s[q1 + 1]);
  if (enc != 'b' && enc != 'q')
    return false;
  const auto text_begin = q1 + 3;
  const auto q3 = s.find('?', text_begin);
  if (q3 == std::string_view::npos || q3 + 1 >= s.size() || s[q3 + 1] != '=')
    return false;
  const auto text = s.substr(text_begin, q3 - text_begin);
  for (char c : text)
    if (is_lwsp(c))
      return false;
  if (enc == 'b') {
    if (!decode_b_word(text, bytes))
      return false;
  } else {
    decode_q_word(text, bytes);
  }
  if (auto star = charset.find('*'); star != std::string_view::npos)
    charset = charset.substr(0, star);
  end = q3 + 2;
  return true;
}

/// Decodes RFC 2231 percent escapes; a '%' not followed by two hex digits stays.
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

/// Position just past the main value of a structured header (the first ';' outside quotes).
std::size_t skip_main_value(std::string_view v) {
  bool quoted = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (quoted) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ';') {
      return i + 1;
    }
  }
  return v.size();
}

/// Text of a vmime `text`, each word converted from its own charset with our fallbacks
/// (vmime's own conversion passes unknown charsets through unconverted).
std::string text_of(const vmime::text& t) {
  std::string out;
  for (std::size_t i = 0; i < t.getWordCount(); ++i) {
    const auto w = t.getWordAt(i);
    out += to_utf8(w->getBuffer(), w->getCharset().getName());
  }
  return collapse_spaces(clean_value(std::move(out)));
}

/// Display name, quoted when it holds characters that would make the list ambiguous.
std::string display_name(std::string_view name) {
  if (name.find_first_of(",;<>@:\"\\") == std::string_view::npos)
    return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

/// Address lists are read up to here: vmime parses them at ~3 MB/s.
constexpr std::size_t max_address_bytes = 64 * 1024;

/// Position of the last ',' between addresses (outside quotes, comments and angle brackets)
/// in `s`, or s.size() when there is none.
std::size_t last_list_comma(std::string_view s) {
  std::size_t last = s.size();
  bool quoted = false;
  int angle = 0, comment = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      ++comment;
    } else if (c == ')' && comment > 0) {
      --comment;
    } else if (c == '<') {
      ++angle;
    } else if (c == '>' && angle > 0) {
      --angle;
    } else if (c == ',' && angle == 0 && comment == 0) {
      last = i;
    }
  }
  return last;
}

std::string format_mailbox(const vmime::mailbox& m) {
  const auto& email = m.getEmail();
  std::string addr = to_utf8(email.getLocalName().getBuffer(), "");
  const auto domain = to_utf8(email.getDomainName().getBuffer(), "");
  if (!domain.empty())
    addr += "@" + domain;
  addr = clean_value(std::move(addr));
  const auto name = text_of(m.getName());
  if (addr.empty())
    return name;
  if (name.empty() || name == addr)
    return addr;
  return display_name(name) + " <" + addr + ">";
}

} // namespace

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c != '\r' && c != '\n') {
      out.push_back(c);
      continue;
    }
    if (c == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n')
      ++i;
    const bool folded = i + 1 < raw.size() && is_wsp(raw[i + 1]);
    if (!folded)
      out.push_back(' ');
  }
  return out;
}

std::string decode_header_value(std::string_view raw) {
  try {
    const std::string s = unfold(raw);
    std::string out;
    out.reserve(s.size());
    std::string pending, word;
    std::string pending_charset;
    auto flush = [&] {
      if (!pending.empty())
        out += to_utf8(pending, pending_charset);
      pending.clear();
    };
    std::size_t text_start = 0, pos = 0;
    bool after_word = false;
    while (true) {
      const auto p = s.find("=?", pos);
      if (p == std::string::npos)
        break;
      std::string_view charset;
      std::size_t end = 0;
      if (!parse_encoded_word(s, p, charset, word, end)) {
        pos = p + 2;
        continue;
      }
      const std::string_view gap(s.data() + text_start, p - text_start);
      // RFC 2047 section 6.2: white space between adjacent encoded words is not displayed.
      if (!(after_word && all_wsp(gap))) {
        flush();
        out += to_utf8(gap, "");
      }
      // Same-charset neighbours are joined before conversion: senders split multi-byte
      // characters across words.
      if (!pending.empty() && !iequals(charset, pending_charset))
        flush();
      pending_charset.assign(charset);
      pending += word;
      after_word = true;
      text_start = pos = end;
    }
    flush();
    out += to_utf8(std::string_view(s).substr(text_start), "");
    return clean_value(std::move(out));
  } catch (...) {
    return {};
  }
}

std::string_view header_region(std::string_view raw, std::size_t max_fields) {
  std::size_t pos = 0, fields = 0;
  while (pos < raw.size()) {
    auto eol = raw.find('\n', pos);
    const auto next = eol == std::string_view::npos ? raw.size() : eol + 1;
    auto line = raw.substr(pos, (eol == std::string_view::npos ? raw.size() : eol) - pos);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    bool blank = true;
    for (char c : line)
      if (!is_wsp(c)) {
        blank = false;
        break;
      }
    if (blank)
      return raw.substr(0, pos);
    if (!is_wsp(raw[pos]) && ++fields > max_fields)
      return raw.substr(0, pos);
    pos = next;
  }
  return raw;
}

std::vector<raw_field> fields_of(const vmime::header& h, std::string_view buffer,
                                 std::size_t max_fields) {
  std::vector<raw_field> out;
  for (const auto& f : h.getFieldList()) {
    if (out.size() >= max_fields)
      break;
    const auto off = f->getParsedOffset();
    const auto len = f->getParsedLength();
    if (off > buffer.size() || len > buffer.size() - off)
      continue;
    const auto slice = buffer.substr(off, len);
    const auto colon = slice.find(':');
    if (colon == std::string_view::npos)
      continue;
    auto name = slice.substr(0, colon);
    while (!name.empty() && is_wsp(name.back()))
      name.remove_suffix(1);
    out.push_back({name, slice.substr(colon + 1)});
  }
  return out;
}

std::vector<raw_field> split_header(std::string_view block, std::size_t max_fields) {
  if (block.size() <= max_vmime_header_bytes) {
    try {
      vmime::header h;
      h.parse(vmime::make_shared<vmime::utility::inputStreamByteBufferAdapter>(
                  reinterpret_cast<const vmime::byte_t*>(block.data()), block.size()),
              block.size());
      return fields_of(h, block, max_fields);
    } catch (...) {
    }
  }
  return split_plain(block, max_fields);
}

std::vector<raw_field> split_plain(std::string_view block, std::size_t max_fields) {
  std::vector<raw_field> out;
  try {
    std::size_t pos = 0;
    while (pos < block.size() && out.size() < max_fields) {
      auto eol = block.find('\n', pos);
      auto next = eol == std::string_view::npos ? block.size() : eol + 1;
      while (next < block.size() && is_wsp(block[next])) {
        eol = block.find('\n', next);
        next = eol == std::string_view::npos ? block.size() : eol + 1;
      }
      const auto field = block.substr(pos, next - pos);
      const auto colon = field.find(':');
      if (!is_wsp(field.front()) && colon != std::string_view::npos) {
        auto name = field.substr(0, colon);
        while (!name.empty() && is_wsp(name.back()))
          name.remove_suffix(1);
        // As for vmime, a name holds no white space ("some text: x" is not a field).
        bool plain_name = !name.empty();
        for (char c : name)
          if (is_lwsp(c))
            plain_name = false;
        if (plain_name)
          out.push_back({name, field.substr(colon + 1)});
      }
      pos = next;
    }
  } catch (...) {
  }
  return out;
}

std::string_view raw_value(const std::vector<raw_field>& fields, std::string_view name,
                           bool* found) {
  for (const auto& f : fields) {
    if (iequals(f.name, name)) {
      if (found)
        *found = true;
      return f.value;
    }
  }
  if (found)
    *found = false;
  return {};
}

std::vector<header_field> parse_header_block(std::string_view raw, std::size_t max_fields) {
  std::vector<header_field> out;
  try {
    if (max_fields == 0)
      return out;
    const auto block = header_region(raw, max_fields);
    const auto fields = split_header(block, max_fields);
    out.reserve(fields.size());
    for (const auto& f : fields)
      out.push_back(
          {repair_utf8(f.name), decode_header_value(f.value), std::string(trim(f.value))});
  } catch (...) {
  }
  return out;
}

const header_field* find_header(const std::vector<header_field>& headers, std::string_view name) {
  for (const auto& h : headers)
    if (iequals(h.name, name))
      return &h;
  return nullptr;
}

std::string content_value(std::string_view header_value) {
  try {
    const auto s = unfold(header_value);
    std::string out;
    int comment = 0;
    for (char c : std::string_view(s)) {
      if (c == ';' && comment == 0)
        break;
      if (c == '(') {
        ++comment;
      } else if (c == ')' && comment > 0) {
        --comment;
      } else if (comment == 0 && c != '"' && !is_lwsp(c)) {
        out.push_back(lower(c));
      }
    }
    return out;
  } catch (...) {
    return {};
  }
}

std::string content_param(std::string_view header_value, std::string_view name) {
  try {
    const std::string v = unfold(header_value);
    const std::string want = to_lower(trim(name));
    if (want.empty())
      return {};
    std::optional<std::string> plain, extended;
    std::map<unsigned, std::pair<bool, std::string>> pieces;
    std::size_t pos = skip_main_value(v);
    while (pos < v.size()) {
      while (pos < v.size() && (is_lwsp(v[pos]) || v[pos] == ';'))
        ++pos;
      const auto eq = v.find_first_of("=;", pos);
      if (eq == std::string::npos || v[eq] == ';') {
        pos = eq == std::string::npos ? v.size() : eq + 1;
        continue;
      }
      const auto attr = to_lower(trim(std::string_view(v).substr(pos, eq - pos)));
      pos = eq + 1;
      while (pos < v.size() && is_wsp(v[pos]))
        ++pos;
      std::string value;
      if (pos < v.size() && v[pos] == '"') {
        ++pos;
        while (pos < v.size() && v[pos] != '"') {
          if (v[pos] == '\\' && pos + 1 < v.size())
            ++pos;
          value.push_back(v[pos++]);
        }
        const auto semi = v.find(';', pos);
        pos = semi == std::string::npos ? v.size() : semi + 1;
      } else {
        const auto semi = v.find(';', pos);
        const auto end = semi == std::string::npos ? v.size() : semi;
        value.assign(trim(std::string_view(v).substr(pos, end - pos)));
        pos = semi == std::string::npos ? v.size() : semi + 1;
      }
      if (attr == want) {
        if (!plain)
          plain = std::move(value);
      } else if (attr.size() == want.size() + 1 && attr.compare(0, want.size(), want) == 0 &&
                 attr.back() == '*') {
        if (!extended)
          extended = std::move(value);
      } else if (attr.size() > want.size() + 1 && attr.compare(0, want.size(), want) == 0 &&
                 attr[want.size()] == '*') {
        // name*N or name*N*
        std::string_view rest = std::string_view(attr).substr(want.size() + 1);
        bool ext = false;
        if (!rest.empty() && rest.back() == '*') {
          ext = true;
          rest.remove_suffix(1);
        }
        if (rest.empty() || rest.size() > 4)
          continue;
        unsigned index = 0;
        bool digits = true;
        for (char c : rest) {
          if (c < '0' || c > '9')
            digits = false;
          index = index * 10 + static_cast<unsigned>(c - '0');
        }
        if (digits && !pieces.count(index))
          pieces.emplace(index, std::make_pair(ext, value));
      }
    }

    // RFC 2231 section 4: charset'language'percent-encoded.
    auto split_charset = [](std::string_view s, std::string& charset) -> std::string_view {
      const auto a = s.find('\'');
      if (a == std::string_view::npos)
        return s;
      const auto b = s.find('\'', a + 1);
      if (b == std::string_view::npos)
        return s;
      charset.assign(s.substr(0, a));
      return s.substr(b + 1);
    };

    std::string result;
    if (!pieces.empty() && pieces.begin()->first == 0) {
      std::string charset, bytes;
      unsigned expect = 0;
      for (auto& [index, piece] : pieces) {
        if (index != expect++)
          break;
        std::string_view text = piece.second;
        if (piece.first) {
          if (index == 0)
            text = split_charset(text, charset);
          bytes += percent_decode(text);
        } else {
          bytes += text;
        }
      }
      result = to_utf8(bytes, charset);
    } else if (extended) {
      std::string charset;
      const auto text = split_charset(*extended, charset);
      result = to_utf8(percent_decode(text), charset);
    } else if (plain) {
      if (plain->find("=?") != std::string::npos)
        return decode_header_value(*plain);
      result = to_utf8(*plain, "");
    } else {
      return {};
    }
    return clean_value(std::move(result));
  } catch (...) {
    return {};
  }
}

std::string format_addresses(std::string_view header_value) {
  try {
    bool more = false;
    if (header_value.size() > max_address_bytes) {
      header_value =
          header_value.substr(0, last_list_comma(header_value.substr(0, max_address_bytes)));
      more = true;
    }
    const std::string value = unfold(header_value);
    if (trim(value).empty())
      return {};
    vmime::addressList list;
    list.parse(value);
    std::string out;
    for (std::size_t i = 0; i < list.getAddressCount(); ++i) {
      const auto a = list.getAddressAt(i);
      std::string item;
      if (a->isGroup()) {
        const auto g = vmime::dynamicCast<vmime::mailboxGroup>(a);
        if (!g)
          continue;
        item = display_name(text_of(g->getName())) + ":";
        std::size_t members = 0;
        for (std::size_t j = 0; j < g->getMailboxCount(); ++j) {
          const auto m = g->getMailboxAt(j);
          if (!m || m->isEmpty())
            continue;
          item += (members++ == 0 ? " " : ", ") + format_mailbox(*m);
        }
        item += ";";
      } else {
        const auto m = vmime::dynamicCast<vmime::mailbox>(a);
        if (!m || m->isEmpty())
          continue;
        item = format_mailbox(*m);
      }
      if (item.empty())
        continue;
      if (!out.empty())
        out += ", ";
      out += item;
    }
    if (out.empty())
      return decode_header_value(header_value);
    if (more)
      out += ", \u2026";
    return repair_utf8(out);
  } catch (...) {
    return decode_header_value(header_value);
  }
}

} // namespace imap_mcp::mime
