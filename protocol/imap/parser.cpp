#include "protocol/imap/parser.hpp"

#include <algorithm>
#include <cstring>

#include "protocol/imap/mutf7.hpp"

namespace imap_mcp::imap {

namespace {

/// Thrown inside the recursive-descent parser only; next() turns it into a failure.
struct syntax_error {
  std::string what;
  std::size_t offset;
};

bool is_atom_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7F)
    return false;
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

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

char to_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
}
char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = to_upper(c);
  return out;
}

void lower_in_place(std::string& s) {
  for (auto& c : s)
    c = to_lower(c);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_upper(a[i]) != to_upper(b[i]))
      return false;
  return true;
}

std::string join_section(const std::string& prefix, std::size_t index) {
  if (prefix.empty())
    return std::to_string(index);
  return prefix + "." + std::to_string(index);
}

/// A cursor over one completely framed response (lines and literals are all present).
class reader {
public:
  reader(const char* begin, const char* end, int max_depth)
      : begin_(begin), p_(begin), end_(end), max_depth_(max_depth) {}

  [[noreturn]] void fail(std::string what) const {
    throw syntax_error{std::move(what), static_cast<std::size_t>(p_ - begin_)};
  }

  bool at_end() const { return p_ >= end_; }
  char peek() const { return p_ < end_ ? *p_ : '\0'; }
  bool at_eol() const { return p_ >= end_ || *p_ == '\r' || *p_ == '\n'; }

  bool try_char(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!try_char(c))
      fail(std::string("expected '") + c + "'");
  }

  /// One space as the grammar demands; extra spaces are tolerated (seen from real servers).
  void sp() {
    expect(' ');
    skip_spaces();
  }

  void skip_spaces() {
    while (p_ < end_ && *p_ == ' ')
      ++p_;
  }

  /// Consumes " " when present and more follows on the line; used for optional elements.
  bool try_sp_before_more() {
    const char* q = p_;
    if (q < end_ && *q == ' ') {
      while (q < end_ && *q == ' ')
        ++q;
      if (q < end_ && *q != '\r' && *q != '\n' && *q != ')') {
        p_ = q;
        return true;
      }
    }
    return false;
  }

  /// End of the response: optional trailing spaces, CRLF (or a bare LF), nothing after.
  void expect_end() {
    skip_spaces();
    if (!try_char('\r')) {
      if (peek() != '\n')
        fail("expected end of line");
    }
    expect('\n');
    if (p_ != end_)
      fail("unexpected data after the end of the response");
  }

  /// The rest of the line (response text), without CRLF.
  std::string_view rest_of_line() {
    const char* s = p_;
    while (p_ < end_ && *p_ != '\r' && *p_ != '\n')
      ++p_;
    return {s, static_cast<std::size_t>(p_ - s)};
  }

  std::string_view atom() {
    const char* s = p_;
    while (p_ < end_ && is_atom_char(static_cast<unsigned char>(*p_)))
      ++p_;
    if (p_ == s)
      fail("expected an atom");
    return {s, static_cast<std::size_t>(p_ - s)};
  }

  /// An atom that stops before '[' (FETCH item names such as BODY[...]).
  std::string_view item_name() {
    const char* s = p_;
    while (p_ < end_ && *p_ != '[' && is_atom_char(static_cast<unsigned char>(*p_)))
      ++p_;
    if (p_ == s)
      fail("expected a FETCH item name");
    return {s, static_cast<std::size_t>(p_ - s)};
  }

  /// A flag or list attribute: "\Seen", "\*", "$Label", "Junk".
  std::string_view flag() {
    const char* s = p_;
    if (try_char('\\')) {
      if (try_char('*'))
        return {s, 2};
    }
    while (p_ < end_ && is_atom_char(static_cast<unsigned char>(*p_)))
      ++p_;
    if (p_ == s || (p_ == s + 1 && *s == '\\'))
      fail("expected a flag");
    return {s, static_cast<std::size_t>(p_ - s)};
  }

  std::uint64_t number64() {
    const char* s = p_;
    std::uint64_t v = 0;
    while (p_ < end_ && is_digit(*p_)) {
      auto d = static_cast<std::uint64_t>(*p_ - '0');
      if (v > (UINT64_MAX - d) / 10)
        fail("number too large");
      v = v * 10 + d;
      ++p_;
    }
    if (p_ == s)
      fail("expected a number");
    return v;
  }

  std::uint32_t number32() {
    std::uint64_t v = number64();
    if (v > UINT32_MAX)
      fail("number too large");
    return static_cast<std::uint32_t>(v);
  }

  /// Case-insensitive NIL followed by a delimiter.
  bool try_nil() {
    if (end_ - p_ >= 3 && to_upper(p_[0]) == 'N' && to_upper(p_[1]) == 'I' &&
        to_upper(p_[2]) == 'L' &&
        (end_ - p_ == 3 || !is_atom_char(static_cast<unsigned char>(p_[3])))) {
      p_ += 3;
      return true;
    }
    return false;
  }

  /// A quoted string or a literal (also literal8 "~{n}").
  void string_into(std::string& out) {
    if (p_ < end_ && *p_ == '"') {
      quoted_into(out);
    } else if (p_ < end_ && (*p_ == '{' || *p_ == '~')) {
      std::string_view v = literal();
      out.assign(v.data(), v.size());
    } else {
      fail("expected a string");
    }
  }

  /// NIL, a quoted string or a literal; false for NIL (out cleared).
  bool nstring_into(std::string& out) {
    if (try_nil()) {
      out.clear();
      return false;
    }
    string_into(out);
    return true;
  }

  /// An atom (']' allowed, as in ASTRING-CHAR), a quoted string or a literal.
  void astring_into(std::string& out) {
    if (p_ < end_ && (*p_ == '"' || *p_ == '{' || *p_ == '~')) {
      string_into(out);
      return;
    }
    const char* s = p_;
    while (p_ < end_ && (is_atom_char(static_cast<unsigned char>(*p_)) || *p_ == ']'))
      ++p_;
    if (p_ == s)
      fail("expected a string or atom");
    out.assign(s, static_cast<std::size_t>(p_ - s));
  }

  /// A string where servers are known to send NIL or an atom instead (media types, encodings).
  void lenient_string_into(std::string& out) {
    if (try_nil()) {
      out.clear();
      return;
    }
    astring_into(out);
  }

  /// The bytes of a literal "{n}\r\n..." (framing guarantees they are buffered; checked anyway).
  std::string_view literal() {
    try_char('~');
    expect('{');
    std::uint64_t n = number64();
    try_char('+');
    expect('}');
    if (!try_char('\r')) {
      if (peek() != '\n')
        fail("expected end of line after a literal announcement");
    }
    expect('\n');
    if (static_cast<std::uint64_t>(end_ - p_) < n)
      fail("literal is truncated");
    std::string_view v(p_, static_cast<std::size_t>(n));
    p_ += n;
    return v;
  }

  void quoted_into(std::string& out) {
    expect('"');
    const char* s = p_;
    // Fast path: no escapes.
    while (p_ < end_ && *p_ != '"' && *p_ != '\\' && *p_ != '\r' && *p_ != '\n')
      ++p_;
    if (p_ < end_ && *p_ == '"') {
      out.assign(s, static_cast<std::size_t>(p_ - s));
      ++p_;
      return;
    }
    out.assign(s, static_cast<std::size_t>(p_ - s));
    while (true) {
      if (p_ >= end_ || *p_ == '\r' || *p_ == '\n')
        fail("unterminated quoted string");
      char c = *p_++;
      if (c == '"')
        return;
      if (c == '\\') {
        if (p_ >= end_ || (*p_ != '\\' && *p_ != '"'))
          fail("bad escape in quoted string");
        c = *p_++;
      }
      out.push_back(c);
    }
  }

  /// Skips any value: atom, number, string, literal, NIL or a nested list.
  void skip_value() {
    char c = peek();
    if (c == '(') {
      depth_guard g(*this);
      ++p_;
      skip_spaces();
      while (!try_char(')')) {
        if (at_eol())
          fail("unterminated list");
        skip_value();
        skip_spaces();
      }
    } else if (c == '"') {
      std::string ignored;
      quoted_into(ignored);
    } else if (c == '{' || c == '~') {
      literal();
    } else {
      // Atom-like token; allow brackets and backslashes so odd extension data is skipped whole.
      const char* s = p_;
      while (p_ < end_ && *p_ != ' ' && *p_ != ')' && *p_ != '(' && *p_ != '\r' && *p_ != '\n') {
        if (*p_ == '[') {
          skip_bracketed();
          continue;
        }
        ++p_;
      }
      if (p_ == s)
        fail("expected a value");
    }
  }

  /// Skips "[...]" honouring quoted strings; returns the inner text.
  std::string_view skip_bracketed() {
    expect('[');
    const char* s = p_;
    while (true) {
      if (at_eol())
        fail("unterminated '['");
      if (*p_ == ']')
        break;
      if (*p_ == '"') {
        std::string ignored;
        quoted_into(ignored);
        continue;
      }
      ++p_;
    }
    std::string_view inner(s, static_cast<std::size_t>(p_ - s));
    ++p_;
    return inner;
  }

  /// RAII nesting counter for parenthesized lists.
  class depth_guard {
  public:
    explicit depth_guard(reader& r) : r_(r) {
      if (++r_.depth_ > r_.max_depth_)
        r_.fail("nesting deeper than the limit");
    }
    ~depth_guard() { --r_.depth_; }
    depth_guard(const depth_guard&) = delete;
    depth_guard& operator=(const depth_guard&) = delete;

  private:
    reader& r_;
  };

  const char* pos() const { return p_; }

private:
  const char* begin_;
  const char* p_;
  const char* end_;
  int depth_ = 0;
  int max_depth_;
};

// ---- response codes and text ----------------------------------------------------------------

struct code_name {
  std::string_view name;
  code_kind kind;
};

constexpr code_name code_names[] = {
    {"ALERT", code_kind::alert},
    {"ALREADYEXISTS", code_kind::alreadyexists},
    {"APPENDUID", code_kind::appenduid},
    {"AUTHENTICATIONFAILED", code_kind::authenticationfailed},
    {"AUTHORIZATIONFAILED", code_kind::authorizationfailed},
    {"BADCHARSET", code_kind::badcharset},
    {"CANNOT", code_kind::cannot},
    {"CAPABILITY", code_kind::capability},
    {"CLOSED", code_kind::closed},
    {"COPYUID", code_kind::copyuid},
    {"EXPIRED", code_kind::expired},
    {"HIGHESTMODSEQ", code_kind::highestmodseq},
    {"INUSE", code_kind::inuse},
    {"LIMIT", code_kind::limit},
    {"NOMODSEQ", code_kind::nomodseq},
    {"NONEXISTENT", code_kind::nonexistent},
    {"NOPERM", code_kind::noperm},
    {"OVERQUOTA", code_kind::overquota},
    {"PARSE", code_kind::parse},
    {"PERMANENTFLAGS", code_kind::permanentflags},
    {"READ-ONLY", code_kind::read_only},
    {"READ-WRITE", code_kind::read_write},
    {"SERVERBUG", code_kind::servererror},
    {"TRYCREATE", code_kind::trycreate},
    {"UIDNEXT", code_kind::uidnext},
    {"UIDNOTSTICKY", code_kind::uidnotsticky},
    {"UIDVALIDITY", code_kind::uidvalidity},
    {"UNAVAILABLE", code_kind::unavailable},
    {"UNSEEN", code_kind::unseen},
};

std::string_view sequence_token(reader& r) {
  const char* s = r.pos();
  while (is_digit(r.peek()) || r.peek() == ':' || r.peek() == ',' || r.peek() == '*')
    r.try_char(r.peek());
  if (r.pos() == s)
    r.fail("expected a sequence set");
  return {s, static_cast<std::size_t>(r.pos() - s)};
}

void flag_list_into(reader& r, std::vector<std::string>& out) {
  r.expect('(');
  r.skip_spaces();
  while (!r.try_char(')')) {
    out.emplace_back(r.flag());
    if (!r.try_char(' ') && r.peek() != ')')
      r.fail("expected ' ' or ')' in a flag list");
    r.skip_spaces();
  }
}

/// Interprets the data of a known response code.
void interpret_code(response_code& code, int max_depth) {
  reader r(code.raw.data(), code.raw.data() + code.raw.size(), max_depth);
  switch (code.kind) {
  case code_kind::capability:
    while (!r.at_end()) {
      code.atoms.emplace_back(r.atom());
      r.skip_spaces();
    }
    break;
  case code_kind::permanentflags:
    flag_list_into(r, code.atoms);
    break;
  case code_kind::badcharset:
    if (!r.at_end()) {
      r.expect('(');
      r.skip_spaces();
      while (!r.try_char(')')) {
        r.astring_into(code.atoms.emplace_back());
        r.skip_spaces();
        if (r.at_end())
          r.fail("unterminated charset list");
      }
    }
    break;
  case code_kind::uidvalidity:
  case code_kind::uidnext:
  case code_kind::unseen:
  case code_kind::highestmodseq:
    code.number = r.number64();
    break;
  case code_kind::appenduid:
    code.number = r.number64();
    r.sp();
    code.dest_uids = sequence_token(r);
    break;
  case code_kind::copyuid:
    code.number = r.number64();
    r.sp();
    code.source_uids = sequence_token(r);
    r.sp();
    code.dest_uids = sequence_token(r);
    break;
  default:
    return; // no data, or data we keep only as raw text
  }
  r.skip_spaces();
  if (!r.at_end())
    r.fail("unexpected data in response code " + code.name);
}

/// resp-text after the status word: [SP] ["[" code "]" [SP]] text.
void resp_text(reader& r, response_code& code, std::string& text, int max_depth) {
  code = response_code{};
  r.skip_spaces();
  if (r.peek() == '[') {
    r.try_char('[');
    const char* s = r.pos();
    while (!r.at_eol() && r.peek() != ' ' && r.peek() != ']')
      r.try_char(r.peek());
    if (r.pos() == s)
      r.fail("empty response code");
    code.name = upper(std::string_view(s, static_cast<std::size_t>(r.pos() - s)));
    code.kind = code_kind::other;
    for (const auto& cn : code_names)
      if (cn.name == code.name)
        code.kind = cn.kind;
    if (r.try_char(' ')) {
      const char* d = r.pos();
      // Data runs to the first ']' outside a quoted string.
      while (true) {
        if (r.at_eol())
          r.fail("unterminated response code");
        if (r.peek() == ']')
          break;
        if (r.peek() == '"') {
          std::string ignored;
          r.quoted_into(ignored);
          continue;
        }
        r.try_char(r.peek());
      }
      code.raw.assign(d, static_cast<std::size_t>(r.pos() - d));
    }
    r.expect(']');
    interpret_code(code, max_depth);
    r.skip_spaces();
  }
  text = r.rest_of_line();
}

bool status_word(std::string_view word, status_kind& out) {
  if (iequals(word, "OK"))
    out = status_kind::ok;
  else if (iequals(word, "NO"))
    out = status_kind::no;
  else if (iequals(word, "BAD"))
    out = status_kind::bad;
  else if (iequals(word, "BYE"))
    out = status_kind::bye;
  else if (iequals(word, "PREAUTH"))
    out = status_kind::preauth;
  else
    return false;
  return true;
}

// ---- ENVELOPE and BODYSTRUCTURE ---------------------------------------------------------------

void address_list(reader& r, std::vector<address>& out) {
  if (r.try_nil())
    return;
  reader::depth_guard g(r);
  r.expect('(');
  r.skip_spaces();
  while (!r.try_char(')')) {
    reader::depth_guard g2(r);
    r.expect('(');
    auto& a = out.emplace_back();
    r.nstring_into(a.name);
    r.sp();
    r.nstring_into(a.adl);
    r.sp();
    bool has_mailbox = r.nstring_into(a.mailbox);
    r.sp();
    bool has_host = r.nstring_into(a.host);
    r.skip_spaces();
    r.expect(')');
    if (!has_host)
      a.kind = has_mailbox ? address::kind_t::group_start : address::kind_t::group_end;
    r.skip_spaces();
  }
}

void parse_envelope(reader& r, envelope& e) {
  reader::depth_guard g(r);
  r.expect('(');
  r.skip_spaces();
  r.nstring_into(e.date);
  r.sp();
  r.nstring_into(e.subject);
  r.sp();
  address_list(r, e.from);
  r.sp();
  address_list(r, e.sender);
  r.sp();
  address_list(r, e.reply_to);
  r.sp();
  address_list(r, e.to);
  r.sp();
  address_list(r, e.cc);
  r.sp();
  address_list(r, e.bcc);
  r.sp();
  r.nstring_into(e.in_reply_to);
  r.sp();
  r.nstring_into(e.message_id);
  r.skip_spaces();
  r.expect(')');
}

void param_list(reader& r, std::vector<std::pair<std::string, std::string>>& out) {
  if (r.try_nil())
    return;
  reader::depth_guard g(r);
  r.expect('(');
  r.skip_spaces();
  while (!r.try_char(')')) {
    auto& [k, v] = out.emplace_back();
    r.lenient_string_into(k);
    lower_in_place(k);
    r.sp();
    r.lenient_string_into(v);
    r.skip_spaces();
  }
}

void disposition(reader& r, body_part& part) {
  if (r.try_nil())
    return;
  if (r.peek() != '(') {
    r.skip_value(); // seen in the wild: a bare string; not worth guessing its meaning
    return;
  }
  reader::depth_guard g(r);
  r.expect('(');
  r.lenient_string_into(part.disposition);
  lower_in_place(part.disposition);
  if (r.try_sp_before_more())
    param_list(r, part.disposition_params);
  r.skip_spaces();
  r.expect(')');
}

void language(reader& r, body_part& part) {
  if (r.try_nil())
    return;
  if (r.peek() == '(') {
    reader::depth_guard g(r);
    r.expect('(');
    r.skip_spaces();
    while (!r.try_char(')')) {
      r.lenient_string_into(part.language.emplace_back());
      r.skip_spaces();
    }
    return;
  }
  r.lenient_string_into(part.language.emplace_back());
}

/// [SP dsp [SP lang [SP loc *(SP extension)]]] after the md5 or the multipart params.
void extension_tail(reader& r, body_part& part) {
  if (!r.try_sp_before_more())
    return;
  disposition(r, part);
  if (!r.try_sp_before_more())
    return;
  language(r, part);
  if (!r.try_sp_before_more())
    return;
  r.lenient_string_into(part.location);
  while (r.try_sp_before_more())
    r.skip_value();
}

/// Parses one body. A body with index 0 is the root of a message (the top level or the body of
/// a message/rfc822 part with section prefix); others are the index-th part of a multipart
/// whose children are numbered under prefix.
void parse_body(reader& r, body_part& part, const std::string& prefix, std::size_t index) {
  reader::depth_guard g(r);
  r.expect('(');
  r.skip_spaces();
  if (r.peek() == '(') {
    part.type = "multipart";
    std::string child_prefix;
    if (index == 0) {
      part.section = prefix.empty() ? "TEXT" : prefix + ".TEXT";
      child_prefix = prefix;
    } else {
      part.section = join_section(prefix, index);
      child_prefix = part.section;
    }
    std::size_t k = 1;
    while (r.peek() == '(') {
      parse_body(r, part.children.emplace_back(), child_prefix, k++);
      r.skip_spaces();
    }
    r.lenient_string_into(part.subtype);
    lower_in_place(part.subtype);
    if (r.try_sp_before_more()) {
      param_list(r, part.params);
      extension_tail(r, part);
    }
    r.skip_spaces();
    r.expect(')');
    return;
  }

  part.section = join_section(prefix, index == 0 ? 1 : index);
  r.lenient_string_into(part.type);
  lower_in_place(part.type);
  r.sp();
  r.lenient_string_into(part.subtype);
  lower_in_place(part.subtype);
  r.sp();
  param_list(r, part.params);
  r.sp();
  r.nstring_into(part.id);
  r.sp();
  r.nstring_into(part.description);
  r.sp();
  r.lenient_string_into(part.encoding);
  lower_in_place(part.encoding);
  r.sp();
  part.size = r.number64();

  bool is_message =
      part.type == "message" && (part.subtype == "rfc822" || part.subtype == "global");
  bool extension_next = false;
  if (is_message) {
    // Some servers describe message/rfc822 like a basic part (no envelope and body).
    if (r.try_sp_before_more()) {
      if (r.peek() == '(') {
        parse_envelope(r, part.message_envelope.emplace());
        r.sp();
        parse_body(r, part.children.emplace_back(), part.section, 0);
        r.sp();
        part.lines = r.number64();
      } else {
        extension_next = true;
      }
    }
  } else if (part.type == "text") {
    if (r.try_sp_before_more())
      part.lines = r.number64();
  }
  // body-ext-1part: md5 [SP dsp [SP lang [SP loc *(SP extension)]]]
  if (extension_next || r.try_sp_before_more()) {
    r.nstring_into(part.md5);
    extension_tail(r, part);
  }
  r.skip_spaces();
  r.expect(')');
}

// ---- untagged data --------------------------------------------------------------------------

void parse_list(reader& r, list_data& out) {
  r.sp();
  flag_list_into(r, out.attributes);
  r.sp();
  if (!r.nstring_into(out.delimiter))
    out.delimiter.clear();
  r.sp();
  r.astring_into(out.raw_name);
  // LIST-EXTENDED data such as ("CHILDINFO" ("SUBSCRIBED")): not needed, skipped.
  while (r.try_sp_before_more())
    r.skip_value();
  r.expect_end();
  if (iequals(out.raw_name, "INBOX")) {
    out.name = out.raw_name;
    return;
  }
  auto decoded = decode_mailbox(out.raw_name);
  if (decoded) {
    out.name = std::move(*decoded);
  } else {
    out.name = out.raw_name;
    out.name_decoded = false;
  }
}

void parse_status_data(reader& r, status_data& out) {
  r.sp();
  r.astring_into(out.raw_name);
  auto decoded = decode_mailbox(out.raw_name);
  out.name = decoded ? std::move(*decoded) : out.raw_name;
  r.sp();
  r.expect('(');
  r.skip_spaces();
  while (!r.try_char(')')) {
    std::string item = upper(r.atom());
    r.sp();
    std::optional<std::uint64_t>* slot = nullptr;
    if (item == "MESSAGES")
      slot = &out.messages;
    else if (item == "RECENT")
      slot = &out.recent;
    else if (item == "UIDNEXT")
      slot = &out.uidnext;
    else if (item == "UIDVALIDITY")
      slot = &out.uidvalidity;
    else if (item == "UNSEEN")
      slot = &out.unseen;
    else if (item == "DELETED")
      slot = &out.deleted;
    else if (item == "SIZE")
      slot = &out.size;
    else if (item == "HIGHESTMODSEQ")
      slot = &out.highestmodseq;
    if (slot)
      *slot = r.number64();
    else
      r.skip_value();
    r.skip_spaces();
    if (r.at_eol())
      r.fail("unterminated STATUS list");
  }
  r.expect_end();
}

void parse_search(reader& r, search_data& out) {
  while (true) {
    r.skip_spaces();
    if (r.at_eol())
      break;
    if (r.peek() == '(') {
      reader::depth_guard g(r);
      r.expect('(');
      r.skip_spaces();
      if (!iequals(r.atom(), "MODSEQ"))
        r.fail("expected MODSEQ");
      r.sp();
      out.modseq = r.number64();
      r.skip_spaces();
      r.expect(')');
      break;
    }
    out.numbers.push_back(r.number32());
    if (!r.at_eol() && r.peek() != ' ')
      r.fail("expected ' ' between numbers");
  }
  r.expect_end();
}

void parse_esearch(reader& r, esearch_data& out) {
  r.skip_spaces();
  if (r.peek() == '(') {
    reader::depth_guard g(r);
    r.expect('(');
    r.skip_spaces();
    if (!iequals(r.atom(), "TAG"))
      r.fail("expected TAG");
    r.sp();
    r.astring_into(out.tag);
    r.skip_spaces();
    r.expect(')');
  }
  while (true) {
    r.skip_spaces();
    if (r.at_eol())
      break;
    std::string name = upper(r.atom());
    if (name == "UID") {
      out.uid = true;
      continue;
    }
    r.sp();
    if (name == "MIN")
      out.min = r.number32();
    else if (name == "MAX")
      out.max = r.number32();
    else if (name == "COUNT")
      out.count = r.number64();
    else if (name == "ALL")
      out.all = sequence_token(r);
    else if (name == "MODSEQ")
      out.modseq = r.number64();
    else
      r.skip_value();
  }
  r.expect_end();
}

void preview_value(reader& r, std::optional<std::string>& out) {
  // RFC 8970: PREVIEW nstring. Drafts (Dovecot 2.3 PREVIEW=FUZZY, SNIPPET) sent
  // "(FUZZY nstring)".
  if (r.peek() == '(') {
    reader::depth_guard g(r);
    r.expect('(');
    r.skip_spaces();
    r.atom();
    r.sp();
    std::string text;
    if (r.nstring_into(text))
      out = std::move(text);
    r.skip_spaces();
    r.expect(')');
    return;
  }
  std::string text;
  if (r.nstring_into(text))
    out = std::move(text);
}

void parse_fetch(reader& r, fetch_record& rec) {
  r.sp();
  reader::depth_guard g(r);
  r.expect('(');
  r.skip_spaces();
  while (!r.try_char(')')) {
    std::string name = upper(r.item_name());
    if (r.peek() == '[') {
      std::string section = normalize_section(r.skip_bracketed());
      std::optional<std::uint32_t> origin;
      if (r.try_char('<')) {
        origin = r.number32();
        r.expect('>');
      }
      r.sp();
      if (name == "BODY" || name == "BINARY") {
        auto& s = rec.sections.emplace_back();
        s.section = std::move(section);
        s.origin = origin;
        s.binary = name == "BINARY";
        s.nil = !r.nstring_into(s.data);
      } else {
        r.skip_value(); // BINARY.SIZE[...] and unknown sectioned items
      }
    } else {
      r.sp();
      if (name == "UID") {
        rec.uid = r.number32();
      } else if (name == "FLAGS") {
        flag_list_into(r, rec.flags.emplace());
      } else if (name == "INTERNALDATE") {
        r.string_into(rec.internaldate);
      } else if (name == "RFC822.SIZE") {
        rec.size = r.number64();
      } else if (name == "ENVELOPE") {
        parse_envelope(r, rec.envelope.emplace());
      } else if (name == "BODYSTRUCTURE" || name == "BODY") {
        parse_body(r, rec.body_structure.emplace(), std::string(), 0);
      } else if (name == "RFC822" || name == "RFC822.HEADER" || name == "RFC822.TEXT") {
        auto& s = rec.sections.emplace_back();
        s.section = name;
        s.nil = !r.nstring_into(s.data);
      } else if (name == "PREVIEW") {
        preview_value(r, rec.preview);
      } else if (name == "SNIPPET") {
        if (!rec.preview)
          preview_value(r, rec.preview);
        else
          r.skip_value();
      } else if (name == "MODSEQ") {
        reader::depth_guard g2(r);
        r.expect('(');
        r.skip_spaces();
        rec.modseq = r.number64();
        r.skip_spaces();
        r.expect(')');
      } else {
        r.skip_value(); // X-GM-LABELS, EMAILID, THREADID, SAVEDATE...
      }
    }
    if (!r.try_char(' ') && r.peek() != ')')
      r.fail("expected ' ' or ')' after a FETCH item");
    r.skip_spaces();
  }
  r.expect_end();
}

} // namespace

// ---- response_parser --------------------------------------------------------------------------

response_parser::response_parser(parser_limits limits) : limits_(limits) {}

response_parser::response_parser(std::size_t max_line_length, std::size_t max_literal_size) {
  limits_.max_line_length = max_line_length;
  limits_.max_literal_size = max_literal_size;
}

response_parser::~response_parser() = default;

void response_parser::reserve_tail(std::size_t n) {
  if (begin_ == end_) {
    // Everything consumed: restart at the front for free.
    begin_ = end_ = scan_ = line_start_ = 0;
    frame_end_ = 0;
  }
  if (capacity_ - end_ >= n)
    return;
  std::size_t live = end_ - begin_;
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, live);
    scan_ -= begin_;
    line_start_ -= begin_;
    if (frame_end_)
      frame_end_ -= begin_;
    end_ = live;
    begin_ = 0;
    if (capacity_ - end_ >= n)
      return;
  }
  std::size_t cap = std::max<std::size_t>({capacity_ * 2, end_ + n, 16 * 1024});
  auto fresh = std::make_unique_for_overwrite<char[]>(cap);
  if (end_)
    std::memcpy(fresh.get(), buf_.get(), end_);
  buf_ = std::move(fresh);
  capacity_ = cap;
}

void response_parser::feed(std::string_view bytes) {
  if (bytes.empty())
    return;
  reserve_tail(bytes.size());
  std::memcpy(buf_.get() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

std::span<char> response_parser::prepare(std::size_t min_size) {
  // Inside an announced literal, make room for all of it at once: the buffer then grows once
  // instead of doubling (and copying) its way up to a multi-megabyte body.
  reserve_tail(literal_left_ > 0 ? literal_left_ + min_size : min_size);
  return {buf_.get() + end_, capacity_ - end_};
}

void response_parser::commit(std::size_t n) {
  end_ += std::min(n, capacity_ - end_);
}

void response_parser::expect_greeting() {
  greeting_next_ = true;
}

void response_parser::fail_framing(std::string message) {
  failed_ = true;
  error_ = make_failure(error_code::internal, "IMAP response rejected: " + std::move(message),
                        "read", true);
  error_tag_.clear();
}

bool response_parser::frame() {
  const char* buf = buf_.get();
  while (true) {
    if (literal_left_ > 0) {
      std::size_t take = std::min(literal_left_, end_ - scan_);
      scan_ += take;
      literal_left_ -= take;
      if (literal_left_ > 0)
        return false;
      line_start_ = scan_;
    }
    if (scan_ >= end_)
      return false;
    const void* nl = std::memchr(buf + scan_, '\n', end_ - scan_);
    if (!nl) {
      scan_ = end_;
      // The +1 allows for a CR that may be the last byte before its LF.
      if (end_ - line_start_ > limits_.max_line_length + 1) {
        fail_framing("line longer than " + std::to_string(limits_.max_line_length) + " bytes");
      } else if (end_ - begin_ > limits_.max_response_size) {
        fail_framing("response larger than " + std::to_string(limits_.max_response_size) +
                     " bytes");
      }
      return false;
    }
    std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(nl) - buf);
    std::size_t content_end = lf;
    if (content_end > line_start_ && buf[content_end - 1] == '\r')
      --content_end;
    if (content_end - line_start_ > limits_.max_line_length) {
      fail_framing("line longer than " + std::to_string(limits_.max_line_length) + " bytes");
      return false;
    }
    scan_ = lf + 1;
    // A line ending in "{n}" announces n literal bytes that belong to the same response.
    std::size_t i = content_end;
    if (i > line_start_ && buf[i - 1] == '}') {
      --i;
      if (i > line_start_ && buf[i - 1] == '+')
        --i;
      std::size_t digits_end = i;
      while (i > line_start_ && is_digit(buf[i - 1]))
        --i;
      if (i < digits_end && i > line_start_ && buf[i - 1] == '{') {
        if (digits_end - i > 19) {
          fail_framing("literal larger than " + std::to_string(limits_.max_literal_size) +
                       " bytes");
          return false;
        }
        std::size_t n = 0;
        for (std::size_t k = i; k < digits_end; ++k)
          n = n * 10 + static_cast<std::size_t>(buf[k] - '0');
        if (n > limits_.max_literal_size) {
          fail_framing("literal larger than " + std::to_string(limits_.max_literal_size) +
                       " bytes");
          return false;
        }
        if (scan_ - begin_ + n > limits_.max_response_size) {
          fail_framing("response larger than " + std::to_string(limits_.max_response_size) +
                       " bytes");
          return false;
        }
        literal_left_ = n;
        line_start_ = scan_;
        continue;
      }
    }
    frame_end_ = scan_;
    line_start_ = scan_;
    return true;
  }
}

parse_status response_parser::next(response& out) {
  if (failed_)
    return parse_status::error;
  if (!frame_end_ && !frame())
    return failed_ ? parse_status::error : parse_status::need_more;
  const char* begin = buf_.get() + begin_;
  const char* end = buf_.get() + frame_end_;
  begin_ = frame_end_;
  frame_end_ = 0;
  bool greeting_expected = greeting_next_;
  greeting_next_ = false;
  const char* kind = "server";
  std::string tag;
  reader r(begin, end, limits_.max_depth);
  try {
    if (greeting_expected) {
      kind = "greeting";
      r.expect('*');
      r.sp();
      auto& g = out.emplace<greeting>();
      if (!status_word(r.atom(), g.status) || g.status == status_kind::no ||
          g.status == status_kind::bad)
        r.fail("expected OK, PREAUTH or BYE");
      resp_text(r, g.code, g.text, limits_.max_depth);
      return parse_status::response;
    }
    char c = r.peek();
    if (c == '+') {
      kind = "continuation";
      r.try_char('+');
      r.skip_spaces();
      out.emplace<continuation_request>().text = r.rest_of_line();
      return parse_status::response;
    }
    if (c == '*') {
      r.try_char('*');
      r.sp();
      if (is_digit(r.peek())) {
        std::uint32_t n = r.number32();
        r.sp();
        std::string name = upper(r.atom());
        kind = "untagged";
        if (name == "EXISTS" || name == "RECENT") {
          auto& d = out.emplace<count_data>();
          d.kind = name == "EXISTS" ? count_data::kind_t::exists : count_data::kind_t::recent;
          d.count = n;
          r.expect_end();
        } else if (name == "EXPUNGE") {
          out.emplace<expunge_data>().seq = n;
          r.expect_end();
        } else if (name == "FETCH") {
          kind = "FETCH";
          auto& f = out.emplace<fetch_data>();
          f.record.seq = n;
          parse_fetch(r, f.record);
        } else {
          out.emplace<unknown_data>().name = std::move(name);
        }
        return parse_status::response;
      }
      std::string name = upper(r.atom());
      status_kind st;
      if (status_word(name, st)) {
        kind = "status";
        auto& s = out.emplace<untagged_status>();
        s.status = st;
        resp_text(r, s.code, s.text, limits_.max_depth);
      } else if (name == "CAPABILITY") {
        kind = "CAPABILITY";
        auto& d = out.emplace<capability_data>();
        r.skip_spaces();
        while (!r.at_eol()) {
          d.capabilities.emplace_back(r.atom());
          r.skip_spaces();
        }
        r.expect_end();
      } else if (name == "FLAGS") {
        kind = "FLAGS";
        auto& d = out.emplace<flags_data>();
        r.sp();
        flag_list_into(r, d.flags);
        r.expect_end();
      } else if (name == "LIST" || name == "LSUB") {
        kind = "LIST";
        auto& d = out.emplace<list_data>();
        d.lsub = name == "LSUB";
        parse_list(r, d);
      } else if (name == "STATUS") {
        kind = "STATUS";
        parse_status_data(r, out.emplace<status_data>());
      } else if (name == "SEARCH") {
        kind = "SEARCH";
        parse_search(r, out.emplace<search_data>());
      } else if (name == "ESEARCH") {
        kind = "ESEARCH";
        parse_esearch(r, out.emplace<esearch_data>());
      } else {
        out.emplace<unknown_data>().name = std::move(name);
      }
      return parse_status::response;
    }
    // Tagged: tag = 1*<any ASTRING-CHAR except "+">.
    kind = "tagged";
    const char* s = r.pos();
    while (!r.at_end() && r.peek() != '+' &&
           (is_atom_char(static_cast<unsigned char>(r.peek())) || r.peek() == ']'))
      r.try_char(r.peek());
    if (r.pos() == s)
      r.fail("expected '*', '+' or a tag");
    tag.assign(s, static_cast<std::size_t>(r.pos() - s));
    r.sp();
    auto& t = out.emplace<tagged_status>();
    t.tag = tag;
    if (!status_word(r.atom(), t.status) || t.status == status_kind::bye ||
        t.status == status_kind::preauth)
      r.fail("expected OK, NO or BAD");
    resp_text(r, t.code, t.text, limits_.max_depth);
    return parse_status::response;
  } catch (const syntax_error& e) {
    error_ = make_failure(error_code::internal,
                          std::string("malformed IMAP ") + kind + " response: " + e.what +
                              " at byte " + std::to_string(e.offset),
                          "read");
    error_tag_ = std::move(tag);
    return parse_status::error;
  }
}

} // namespace imap_mcp::imap
