// Pre-gumbo normalizer: size cap, raw-text removal, explicit nesting, depth cap.

#include <array>
#include <cstdint>
#include <vector>

#include "protocol/html/detail.hpp"

namespace imap_mcp::html::detail {

namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Attributes kept per tag. gumbo checks every attribute against all earlier ones for
/// duplicates, so one tag with 50,000 attributes costs it seconds; mail needs a handful.
constexpr std::size_t max_attributes = 64;

/// A start or end tag as the HTML tokenizer reads it.
struct tag_token {
  std::string name;      // ASCII lower case
  std::size_t begin = 0; // the '<'
  std::size_t end = 0;   // just past the '>'
  bool self_closing = false;
  std::size_t attributes = 0;
  /// Where attribute number max_attributes + 1 starts (0: not that many).
  std::size_t cut = 0;
};

/// Reads a tag whose name starts at `p` (after "<" or "</"), following the tokenizer's tag
/// name, attribute name and attribute value states, so quotes hide '>' exactly where they do
/// for gumbo. False when the input ends inside the tag (the tokenizer drops such a tag).
bool read_tag(std::string_view s, std::size_t p, tag_token& t) {
  enum class st {
    name,
    before_attr_name,
    attr_name,
    after_attr_name,
    before_value,
    value_dq,
    value_sq,
    value_unquoted,
    after_value_quoted,
    self_closing
  };
  t.name.clear();
  t.self_closing = false;
  t.attributes = 0;
  t.cut = 0;
  auto new_attribute = [&t](std::size_t at) {
    if (++t.attributes == max_attributes + 1)
      t.cut = at;
  };
  st state = st::name;
  for (std::size_t i = p; i < s.size(); ++i) {
    const char c = s[i];
    switch (state) {
    case st::name:
      if (is_space(c))
        state = st::before_attr_name;
      else if (c == '/')
        state = st::self_closing;
      else if (c == '>') {
        t.end = i + 1;
        return true;
      } else if (t.name.size() < 64)
        t.name.push_back(lower(c));
      break;
    case st::before_attr_name:
      if (is_space(c))
        break;
      if (c == '/')
        state = st::self_closing;
      else if (c == '>') {
        t.end = i + 1;
        return true;
      } else {
        state = st::attr_name;
        new_attribute(i);
      }
      break;
    case st::attr_name:
      if (is_space(c))
        state = st::after_attr_name;
      else if (c == '/')
        state = st::self_closing;
      else if (c == '=')
        state = st::before_value;
      else if (c == '>') {
        t.end = i + 1;
        return true;
      }
      break;
    case st::after_attr_name:
      if (is_space(c))
        break;
      if (c == '/')
        state = st::self_closing;
      else if (c == '=')
        state = st::before_value;
      else if (c == '>') {
        t.end = i + 1;
        return true;
      } else {
        state = st::attr_name;
        new_attribute(i);
      }
      break;
    case st::before_value:
      if (is_space(c))
        break;
      if (c == '"')
        state = st::value_dq;
      else if (c == '\'')
        state = st::value_sq;
      else if (c == '>') {
        t.end = i + 1;
        return true;
      } else
        state = st::value_unquoted;
      break;
    case st::value_dq:
      if (c == '"')
        state = st::after_value_quoted;
      break;
    case st::value_sq:
      if (c == '\'')
        state = st::after_value_quoted;
      break;
    case st::value_unquoted:
      if (is_space(c))
        state = st::before_attr_name;
      else if (c == '>') {
        t.end = i + 1;
        return true;
      }
      break;
    case st::after_value_quoted:
      if (is_space(c))
        state = st::before_attr_name;
      else if (c == '/')
        state = st::self_closing;
      else if (c == '>') {
        t.end = i + 1;
        return true;
      } else {
        state = st::before_attr_name;
        --i; // reconsume
      }
      break;
    case st::self_closing:
      if (c == '>') {
        t.self_closing = true;
        t.end = i + 1;
        return true;
      }
      state = st::before_attr_name;
      --i; // reconsume
      break;
    }
  }
  return false;
}

std::size_t skip_to_gt(std::string_view s, std::size_t p) {
  const auto gt = s.find('>', p);
  return gt == std::string_view::npos ? s.size() : gt + 1;
}

/// `p` is just past "<!--".
std::size_t skip_comment(std::string_view s, std::size_t p) {
  if (p < s.size() && s[p] == '>')
    return p + 1; // <!-->
  if (p + 1 < s.size() && s[p] == '-' && s[p + 1] == '>')
    return p + 2; // <!--->
  auto a = s.find("-->", p);
  auto b = s.find("--!>", p);
  if (a == std::string_view::npos && b == std::string_view::npos)
    return s.size();
  if (b == std::string_view::npos || (a != std::string_view::npos && a < b))
    return a + 3;
  return b + 4;
}

bool name_at(std::string_view s, std::size_t p, std::string_view name) {
  if (p + name.size() > s.size())
    return false;
  for (std::size_t k = 0; k < name.size(); ++k)
    if (lower(s[p + k]) != name[k])
      return false;
  return true;
}

/// Position of the end tag `</name` that closes a raw-text element (followed by white space,
/// '/', '>' or the end), or npos.
std::size_t find_end_tag(std::string_view s, std::size_t from, std::string_view name) {
  std::size_t p = from;
  while (true) {
    p = s.find("</", p);
    if (p == std::string_view::npos)
      return p;
    const auto after = p + 2 + name.size();
    if (name_at(s, p + 2, name) &&
        (after >= s.size() || is_space(s[after]) || s[after] == '/' || s[after] == '>'))
      return p;
    p += 2;
  }
}

/// Position just past the raw-text element's end tag (or the end of input).
std::size_t skip_raw_text(std::string_view s, std::size_t from, std::string_view name) {
  const auto p = find_end_tag(s, from, name);
  if (p == std::string_view::npos)
    return s.size();
  tag_token t;
  if (!read_tag(s, p + 2, t))
    return s.size();
  return t.end;
}

/// Skips a foreign (svg/math) subtree whose start tag ended at `from`, counting nested
/// elements of the same name; its content is tokenized as tags and CDATA, not raw text.
std::size_t skip_foreign(std::string_view s, std::size_t from, std::string_view name) {
  int depth = 1;
  std::size_t p = from;
  tag_token t;
  while (p < s.size()) {
    const auto lt = s.find('<', p);
    if (lt == std::string_view::npos || lt + 1 >= s.size())
      return s.size();
    const char c = s[lt + 1];
    if (c == '!') {
      if (s.compare(lt, 4, "<!--") == 0) {
        p = skip_comment(s, lt + 4);
      } else if (s.compare(lt, 9, "<![CDATA[") == 0) {
        const auto e = s.find("]]>", lt + 9);
        p = e == std::string_view::npos ? s.size() : e + 3;
      } else {
        p = skip_to_gt(s, lt + 2);
      }
    } else if (c == '?') {
      p = skip_to_gt(s, lt + 2);
    } else if (c == '/' && lt + 2 < s.size() && is_alpha(s[lt + 2])) {
      if (!read_tag(s, lt + 2, t))
        return s.size();
      p = t.end;
      if (t.name == name && --depth == 0)
        return p;
    } else if (is_alpha(c)) {
      if (!read_tag(s, lt + 1, t))
        return s.size();
      p = t.end;
      if (t.name == name && !t.self_closing)
        ++depth;
    } else {
      p = lt + 1;
    }
  }
  return s.size();
}

void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    default:
      out.push_back(c);
    }
  }
}

bool in_list(GumboTag t, std::initializer_list<GumboTag> tags) {
  for (auto x : tags)
    if (x == t)
      return true;
  return false;
}

/// Elements that stop the search for an open li/dd/dt (HTML's "special" category minus
/// address, div and p).
bool list_barrier(GumboTag t) {
  switch (t) {
  case GUMBO_TAG_ADDRESS:
  case GUMBO_TAG_DIV:
  case GUMBO_TAG_P:
  case GUMBO_TAG_UNKNOWN:
    return false;
  default:
    // Formatting and phrasing elements are not special; everything block-like is.
    return is_block(t) || in_list(t, {GUMBO_TAG_TD, GUMBO_TAG_TH, GUMBO_TAG_BUTTON,
                                      GUMBO_TAG_OBJECT, GUMBO_TAG_APPLET, GUMBO_TAG_MARQUEE,
                                      GUMBO_TAG_TEMPLATE, GUMBO_TAG_SELECT, GUMBO_TAG_FORM});
  }
}

/// Boundaries of HTML's "button scope", used when a block start closes an open p.
bool button_scope_barrier(GumboTag t) {
  return in_list(t, {GUMBO_TAG_APPLET, GUMBO_TAG_CAPTION, GUMBO_TAG_HTML, GUMBO_TAG_TABLE,
                     GUMBO_TAG_TD, GUMBO_TAG_TH, GUMBO_TAG_MARQUEE, GUMBO_TAG_OBJECT,
                     GUMBO_TAG_TEMPLATE, GUMBO_TAG_BUTTON});
}

bool table_barrier(GumboTag t) {
  return in_list(t, {GUMBO_TAG_TABLE, GUMBO_TAG_HTML, GUMBO_TAG_TEMPLATE});
}

bool closes_p(GumboTag t) {
  return in_list(t,
                 {GUMBO_TAG_ADDRESS, GUMBO_TAG_ARTICLE,  GUMBO_TAG_ASIDE,      GUMBO_TAG_BLOCKQUOTE,
                  GUMBO_TAG_CENTER,  GUMBO_TAG_DETAILS,  GUMBO_TAG_DIR,        GUMBO_TAG_DIV,
                  GUMBO_TAG_DL,      GUMBO_TAG_FIELDSET, GUMBO_TAG_FIGCAPTION, GUMBO_TAG_FIGURE,
                  GUMBO_TAG_FOOTER,  GUMBO_TAG_HEADER,   GUMBO_TAG_HGROUP,     GUMBO_TAG_MAIN,
                  GUMBO_TAG_MENU,    GUMBO_TAG_NAV,      GUMBO_TAG_OL,         GUMBO_TAG_P,
                  GUMBO_TAG_SECTION, GUMBO_TAG_SUMMARY,  GUMBO_TAG_UL,         GUMBO_TAG_H1,
                  GUMBO_TAG_H2,      GUMBO_TAG_H3,       GUMBO_TAG_H4,         GUMBO_TAG_H5,
                  GUMBO_TAG_H6,      GUMBO_TAG_PRE,      GUMBO_TAG_LISTING,    GUMBO_TAG_FORM,
                  GUMBO_TAG_HR,      GUMBO_TAG_LI,       GUMBO_TAG_DD,         GUMBO_TAG_DT,
                  GUMBO_TAG_TABLE});
}

bool is_heading(GumboTag t) {
  return in_list(
      t, {GUMBO_TAG_H1, GUMBO_TAG_H2, GUMBO_TAG_H3, GUMBO_TAG_H4, GUMBO_TAG_H5, GUMBO_TAG_H6});
}

enum : unsigned char {
  f_closes_p = 1,
  f_list_barrier = 2,
  f_button_barrier = 4,
  f_table_barrier = 8,
  f_heading = 16,
};

/// The predicates above as one table lookup per tag (they run for every start tag).
unsigned char flags(GumboTag t) {
  static const auto table = [] {
    std::array<unsigned char, GUMBO_TAG_LAST + 1> a{};
    for (int i = 0; i <= GUMBO_TAG_LAST; ++i) {
      const auto tag = static_cast<GumboTag>(i);
      a[i] = static_cast<unsigned char>(
          (closes_p(tag) ? f_closes_p : 0) | (list_barrier(tag) ? f_list_barrier : 0) |
          (button_scope_barrier(tag) ? f_button_barrier : 0) |
          (table_barrier(tag) ? f_table_barrier : 0) | (is_heading(tag) ? f_heading : 0));
    }
    return a;
  }();
  return table[static_cast<std::size_t>(t)];
}

/// End tags that are searched for at most this deep in the open-element stack, so that stray
/// end tags over a huge stack of dropped elements stay cheap.
constexpr std::size_t end_tag_search_window = 128;

class normalizer {
public:
  normalizer(std::string_view s, const html_limits& lim, std::string& out)
      : s_(s), max_depth_(lim.max_depth < 1 ? 1 : static_cast<std::size_t>(lim.max_depth)),
        out_(out) {}

  void run() {
    std::size_t i = 0;
    tag_token t;
    while (i < s_.size()) {
      const auto lt = s_.find('<', i);
      if (lt == std::string_view::npos) {
        out_.append(s_.substr(i));
        break;
      }
      out_.append(s_.substr(i, lt - i));
      if (lt + 1 >= s_.size()) {
        out_ += "&lt;";
        break;
      }
      const char c = s_[lt + 1];
      if (is_alpha(c)) {
        if (!read_tag(s_, lt + 1, t))
          break; // EOF inside a tag: the tokenizer drops it
        t.begin = lt;
        i = start_tag(t);
      } else if (c == '/') {
        if (lt + 2 < s_.size() && is_alpha(s_[lt + 2])) {
          if (!read_tag(s_, lt + 2, t))
            break;
          t.begin = lt;
          end_tag(t);
          i = t.end;
        } else if (lt + 2 < s_.size() && s_[lt + 2] == '>') {
          i = lt + 3; // "</>" is ignored
        } else if (lt + 2 >= s_.size()) {
          break;
        } else {
          i = skip_to_gt(s_, lt + 2); // bogus comment
        }
      } else if (c == '!') {
        i = s_.compare(lt, 4, "<!--") == 0 ? skip_comment(s_, lt + 4) : skip_to_gt(s_, lt + 2);
      } else if (c == '?') {
        i = skip_to_gt(s_, lt + 2);
      } else {
        out_ += "&lt;";
        i = lt + 1;
      }
    }
    close_from(0);
  }

private:
  /// One open element; kept small because dropped (too deep) elements stay on the stack too.
  struct entry {
    GumboTag tag;
    /// Index into names_ for unknown tags.
    std::uint32_t name;
    bool kept;
  };

  static GumboTag lookup(const std::string& name) {
    if (name.empty())
      return GUMBO_TAG_UNKNOWN;
    return gumbo_tagn_enum(name.data(), static_cast<unsigned int>(name.size()));
  }

  bool matches(const entry& e, GumboTag tag, const std::string& name) const {
    return e.tag == tag && (tag != GUMBO_TAG_UNKNOWN || names_[e.name] == name);
  }

  /// Interned name of an unknown tag (custom elements repeat a few names many times).
  std::uint32_t intern(const std::string& name) {
    for (std::size_t i = names_.size(); i-- > 0 && i + 8 >= names_.size();)
      if (names_[i] == name)
        return static_cast<std::uint32_t>(i);
    names_.push_back(name);
    return static_cast<std::uint32_t>(names_.size() - 1);
  }

  /// Name written for an element. A form becomes a datalist: both are dropped with their
  /// content by the sanitizer, but gumbo 0.10.1 removes a form from its open elements without
  /// flushing pending text, which would move the form's last text out of it.
  std::string_view output_name(const entry& e) const {
    if (e.tag == GUMBO_TAG_UNKNOWN)
      return names_[e.name];
    if (e.tag == GUMBO_TAG_FORM)
      return "datalist";
    return gumbo_normalized_tagname(e.tag);
  }

  /// Emits end tags for the kept entries from the top down to index k, and pops them.
  void close_from(std::size_t k) {
    while (stack_.size() > k) {
      const auto& e = stack_.back();
      if (e.kept) {
        out_ += "</";
        out_ += output_name(e);
        out_ += ">";
        --kept_;
      }
      pop();
    }
  }

  /// Index of the nearest open `tag` above any element with `barrier` flags, or npos.
  std::size_t find_open(std::initializer_list<GumboTag> tags, unsigned char barrier) const {
    bool any = false;
    for (auto t : tags)
      any = any || open_count_[t] > 0;
    if (!any)
      return std::string_view::npos;
    const std::size_t stop =
        stack_.size() > end_tag_search_window ? stack_.size() - end_tag_search_window : 0;
    for (std::size_t k = stack_.size(); k-- > stop;) {
      if (in_list(stack_[k].tag, tags))
        return k;
      if (flags(stack_[k].tag) & barrier)
        return std::string_view::npos;
    }
    return std::string_view::npos;
  }

  void push(GumboTag tag, const std::string& name, bool kept) {
    stack_.push_back({tag, tag == GUMBO_TAG_UNKNOWN ? intern(name) : 0u, kept});
    ++open_count_[tag];
  }

  void pop() {
    --open_count_[stack_.back().tag];
    stack_.pop_back();
  }

  /// HTML closes some open elements when certain start tags arrive; do it explicitly.
  void implicit_closes(GumboTag tag) {
    auto close = [this](std::size_t k) {
      if (k != std::string_view::npos)
        close_from(k);
    };
    const auto f = flags(tag);
    if (f & f_closes_p)
      close(find_open({GUMBO_TAG_P}, f_button_barrier));
    switch (tag) {
    case GUMBO_TAG_LI:
      close(find_open({GUMBO_TAG_LI}, f_list_barrier));
      break;
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DT:
      close(find_open({GUMBO_TAG_DD, GUMBO_TAG_DT}, f_list_barrier));
      break;
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
      close(find_open({GUMBO_TAG_TD, GUMBO_TAG_TH}, f_table_barrier));
      break;
    case GUMBO_TAG_TR:
      close(find_open({GUMBO_TAG_TR}, f_table_barrier));
      break;
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TFOOT:
      close(find_open({GUMBO_TAG_THEAD, GUMBO_TAG_TBODY, GUMBO_TAG_TFOOT}, f_table_barrier));
      break;
    case GUMBO_TAG_OPTION:
      if (!stack_.empty() && stack_.back().tag == GUMBO_TAG_OPTION)
        close(stack_.size() - 1);
      break;
    case GUMBO_TAG_OPTGROUP:
      if (!stack_.empty() && stack_.back().tag == GUMBO_TAG_OPTION)
        close(stack_.size() - 1);
      if (!stack_.empty() && stack_.back().tag == GUMBO_TAG_OPTGROUP)
        close(stack_.size() - 1);
      break;
    case GUMBO_TAG_A:
      // Links never nest: a new one ends the open one.
      close(find_open({GUMBO_TAG_A}, 0));
      break;
    default:
      if ((f & f_heading) && !stack_.empty() && (flags(stack_.back().tag) & f_heading))
        close(stack_.size() - 1);
      break;
    }
  }

  /// Handles a start tag; returns where scanning continues.
  std::size_t start_tag(const tag_token& t) {
    const GumboTag tag = lookup(t.name);
    switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_NOEMBED:
    case GUMBO_TAG_NOFRAMES:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_TITLE:
      return skip_raw_text(s_, t.end, t.name);
    case GUMBO_TAG_XMP: {
      const auto e = find_end_tag(s_, t.end, t.name);
      const auto stop = e == std::string_view::npos ? s_.size() : e;
      append_escaped(out_, s_.substr(t.end, stop - t.end));
      return e == std::string_view::npos ? s_.size() : skip_raw_text(s_, e, t.name);
    }
    case GUMBO_TAG_PLAINTEXT:
      append_escaped(out_, s_.substr(t.end));
      return s_.size();
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
      return t.self_closing ? t.end : skip_foreign(s_, t.end, t.name);
    case GUMBO_TAG_HTML:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_HEAD: {
      // Only the first of each opens an element; repeats merely merge attributes in HTML.
      bool& seen = tag == GUMBO_TAG_HTML   ? seen_html_
                   : tag == GUMBO_TAG_BODY ? seen_body_
                                           : seen_head_;
      if (seen)
        return t.end;
      seen = true;
      break;
    }
    default:
      break;
    }
    if (is_void(tag)) {
      if (kept_ < max_depth_)
        emit_tag(t);
      return t.end;
    }
    implicit_closes(tag);
    const bool keep = kept_ < max_depth_;
    push(tag, t.name, keep);
    if (keep) {
      ++kept_;
      if (tag == GUMBO_TAG_FORM)
        out_ += "<datalist>";
      else
        emit_tag(t);
    }
    return t.end;
  }

  /// A start tag as written, without attributes beyond max_attributes.
  void emit_tag(const tag_token& t) {
    if (t.cut == 0) {
      out_.append(s_.substr(t.begin, t.end - t.begin));
    } else {
      out_.append(s_.substr(t.begin, t.cut - t.begin));
      out_.push_back('>');
    }
  }

  void end_tag(const tag_token& t) {
    const GumboTag tag = lookup(t.name);
    if (tag == GUMBO_TAG_BR) {
      // "</br>" is read as "<br>" by HTML parsers.
      if (kept_ < max_depth_)
        out_ += "<br>";
      return;
    }
    if (tag != GUMBO_TAG_UNKNOWN && open_count_[tag] == 0)
      return; // stray
    const std::size_t stop =
        stack_.size() > end_tag_search_window ? stack_.size() - end_tag_search_window : 0;
    for (std::size_t k = stack_.size(); k-- > stop;) {
      if (matches(stack_[k], tag, t.name)) {
        close_from(k);
        return;
      }
    }
    // Stray end tag: dropped.
  }

  std::string_view s_;
  std::size_t max_depth_;
  std::string& out_;
  std::vector<entry> stack_;
  std::vector<std::string> names_;
  /// Open entries per tag, so most searches of the stack are skipped outright.
  std::array<std::uint32_t, GUMBO_TAG_LAST + 1> open_count_{};
  std::size_t kept_ = 0;
  bool seen_html_ = false, seen_body_ = false, seen_head_ = false;
};

} // namespace

normalized normalize(std::string_view html, const html_limits& lim) {
  normalized r;
  std::size_t n = html.size();
  if (n > lim.max_bytes) {
    n = lim.max_bytes;
    while (n > 0 && (static_cast<unsigned char>(html[n]) & 0xC0) == 0x80)
      --n;
    r.cut = true;
  }
  const auto s = html.substr(0, n);
  r.html.reserve(s.size() + s.size() / 8 + 64);
  normalizer(s, lim, r.html).run();
  return r;
}

} // namespace imap_mcp::html::detail
