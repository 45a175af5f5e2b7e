#include "protocol/imap/command.hpp"

#include <openssl/crypto.h>

#include <array>

#include "protocol/imap/mutf7.hpp"

namespace imap_mcp::imap {

namespace {

bool is_atom_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7F)
    return false; // CTL, SP, 8-bit
  switch (c) {
  case '(':
  case ')':
  case '{':
  case '%':
  case '*':
  case '"':
  case '\\':
  case ']':
    return false;
  default:
    return true;
  }
}

/// Characters that may appear in a bare astring we send: a conservative subset of ATOM-CHAR,
/// so a server's lenient parser cannot read anything special into it.
bool is_plain_char(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  switch (c) {
  case '.':
  case '-':
  case '_':
  case '/':
  case '+':
  case '=':
  case '@':
  case ':':
  case ',':
  case '&':
    return true;
  default:
    return false;
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z')
      x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z')
      y = static_cast<char>(y - 32);
    if (x != y)
      return false;
  }
  return true;
}

constexpr std::array<std::string_view, 5> system_flags = {"\\Seen", "\\Answered", "\\Flagged",
                                                          "\\Deleted", "\\Draft"};

failure invalid(std::string message) {
  return make_failure(error_code::invalid_input, std::move(message));
}

} // namespace

bool is_atom(std::string_view text) {
  if (text.empty())
    return false;
  for (char c : text)
    if (!is_atom_char(static_cast<unsigned char>(c)))
      return false;
  return true;
}

bool is_quotable(std::string_view text) {
  if (text.size() > max_quoted_length)
    return false;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u == 0 || u == '\r' || u == '\n' || u >= 0x80)
      return false;
  }
  return true;
}

std::optional<std::string> canonical_flag(std::string_view flag) {
  if (!flag.empty() && flag[0] == '\\') {
    for (auto f : system_flags)
      if (iequals(f, flag))
        return std::string(f);
    return std::nullopt;
  }
  if (!is_atom(flag))
    return std::nullopt;
  return std::string(flag);
}

void command::wipe() {
  for (auto& s : segments) {
    if (!s.empty())
      OPENSSL_cleanse(s.data(), s.size());
    s.clear();
  }
}

void command_builder::separate() {
  if (need_space_)
    text().push_back(' ');
  need_space_ = true;
}

std::string& command_builder::text() {
  if (pieces_.empty() || pieces_.back().is_literal)
    pieces_.push_back(piece{false, {}});
  return pieces_.back().data;
}

command_builder& command_builder::fail(failure error) {
  if (!error_)
    error_ = std::move(error);
  return *this;
}

command_builder& command_builder::atom(std::string_view keyword) {
  if (!is_atom(keyword))
    return fail(invalid("not an IMAP atom"));
  separate();
  text() += keyword;
  return *this;
}

command_builder& command_builder::number(std::uint64_t value) {
  separate();
  text() += std::to_string(value);
  return *this;
}

void command_builder::add_quoted_or_literal(std::string_view value) {
  if (!is_quotable(value)) {
    pieces_.push_back(piece{true, std::string(value)});
    return;
  }
  std::string& t = text();
  t.reserve(t.size() + value.size() + 2);
  t.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\')
      t.push_back('\\');
    t.push_back(c);
  }
  t.push_back('"');
}

command_builder& command_builder::astring(std::string_view value) {
  bool plain = !value.empty() && !iequals(value, "NIL");
  for (char c : value) {
    if (!is_plain_char(static_cast<unsigned char>(c))) {
      plain = false;
      break;
    }
  }
  separate();
  if (plain)
    text() += value;
  else
    add_quoted_or_literal(value);
  return *this;
}

command_builder& command_builder::string(std::string_view value) {
  separate();
  add_quoted_or_literal(value);
  return *this;
}

command_builder& command_builder::literal(std::string_view bytes) {
  separate();
  pieces_.push_back(piece{true, std::string(bytes)});
  return *this;
}

command_builder& command_builder::mailbox(std::string_view utf8_name) {
  auto encoded = try_encode_mailbox(utf8_name);
  if (!encoded)
    return fail(encoded.error());
  return astring(*encoded);
}

command_builder& command_builder::sequence(const sequence_set& set) {
  if (set.empty())
    return fail(invalid("empty message set"));
  separate();
  text() += set.text();
  return *this;
}

command_builder& command_builder::flag(std::string_view f) {
  auto canonical = canonical_flag(f);
  if (!canonical)
    return fail(invalid("not a valid flag; system flags are \\Seen \\Answered \\Flagged "
                        "\\Deleted \\Draft, keywords must be IMAP atoms"));
  separate();
  text() += *canonical;
  return *this;
}

command_builder& command_builder::flag_list(std::span<const std::string> flags) {
  open();
  for (const auto& f : flags)
    flag(f);
  return close();
}

command_builder& command_builder::date(int year, int month, int day) {
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  static constexpr int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > days[month - 1])
    return fail(invalid("not a valid date"));
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap)
    return fail(invalid("not a valid date"));
  separate();
  auto& t = text();
  t += std::to_string(day);
  t.push_back('-');
  t += months[month - 1];
  t.push_back('-');
  t += std::to_string(year);
  return *this;
}

command_builder& command_builder::open() {
  separate();
  text().push_back('(');
  need_space_ = false;
  return *this;
}

command_builder& command_builder::close() {
  text().push_back(')');
  need_space_ = true;
  return *this;
}

command_builder& command_builder::verbatim(std::string_view protocol_text) {
  for (char c : protocol_text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F || c == '{' || c == '}')
      return fail(invalid("protocol text contains a control, 8-bit or brace character"));
  }
  if (protocol_text.empty())
    return *this;
  separate();
  text() += protocol_text;
  return *this;
}

command_builder& command_builder::append(const command_builder& fragment) {
  if (fragment.error_)
    fail(*fragment.error_);
  if (fragment.pieces_.empty())
    return *this;
  if (need_space_)
    text().push_back(' ');
  for (const auto& p : fragment.pieces_) {
    if (p.is_literal)
      pieces_.push_back(p);
    else
      text() += p.data;
  }
  need_space_ = fragment.need_space_;
  return *this;
}

result<command> command_builder::build(literal_mode mode) const {
  if (error_)
    return *error_;
  command out;
  out.segments.emplace_back();
  for (const auto& p : pieces_) {
    std::string* seg = &out.segments.back();
    if (!p.is_literal) {
      *seg += p.data;
      continue;
    }
    bool sync = mode == literal_mode::synchronizing ||
                (mode == literal_mode::limited && p.data.size() > literal_minus_limit);
    seg->push_back('{');
    *seg += std::to_string(p.data.size());
    if (!sync)
      seg->push_back('+');
    *seg += "}\r\n";
    if (sync)
      seg = &out.segments.emplace_back();
    *seg += p.data;
  }
  out.segments.back() += "\r\n";
  return out;
}

void command_builder::wipe() {
  for (auto& p : pieces_) {
    if (!p.data.empty())
      OPENSSL_cleanse(p.data.data(), p.data.size());
  }
  pieces_.clear();
}

} // namespace imap_mcp::imap
