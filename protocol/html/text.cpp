// Text rendering of HTML (html::to_text) and previews (html::snippet).

#include <algorithm>
#include <vector>

#include "protocol/html/detail.hpp"
#include "protocol/mime/utf8.hpp"

namespace imap_mcp::html {

namespace {

using namespace detail;

/// Decodes one code point of valid UTF-8 at `i` and advances `i`.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80 || i + 1 >= s.size()) {
    ++i;
    return b0;
  }
  auto cont = [&](std::size_t k) {
    return static_cast<char32_t>(static_cast<unsigned char>(s[k]) & 0x3F);
  };
  if (b0 < 0xE0) {
    const char32_t cp = (static_cast<char32_t>(b0 & 0x1F) << 6) | cont(i + 1);
    i += 2;
    return cp;
  }
  if (b0 < 0xF0 && i + 2 < s.size()) {
    const char32_t cp = (static_cast<char32_t>(b0 & 0x0F) << 12) | (cont(i + 1) << 6) | cont(i + 2);
    i += 3;
    return cp;
  }
  if (i + 3 < s.size()) {
    const char32_t cp = (static_cast<char32_t>(b0 & 0x07) << 18) | (cont(i + 1) << 12) |
                        (cont(i + 2) << 6) | cont(i + 3);
    i += 4;
    return cp;
  }
  ++i;
  return 0xFFFD;
}

/// White space for collapsing: ASCII blanks, NBSP and the Unicode space separators.
bool is_space_cp(char32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' ||
         cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0x1680;
}

/// Invisible characters newsletters pad previews with (zero-width joiners, BOM, soft hyphen,
/// combining grapheme joiner).
bool is_invisible_cp(char32_t cp) {
  return (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF || cp == 0x00AD ||
         cp == 0x034F || cp == 0x180E;
}

/// Accumulates rendered text: collapses white space, turns block boundaries into at most one
/// blank line, prefixes quoted lines with "> " and list items with "- ".
class text_builder {
public:
  void block(int newlines) {
    if (newlines > breaks_)
      breaks_ = newlines;
    space_ = false;
  }

  void line_break() {
    flush_breaks();
    out_.push_back('\n');
    line_start_ = true;
    space_ = false;
  }

  void set_item_prefix(std::string prefix) { item_prefix_ = std::move(prefix); }
  void quote(int delta) { quote_depth_ += delta; }

  /// Inline text; white space collapses unless `pre`.
  void text(std::string_view t, bool pre) {
    std::size_t i = 0;
    while (i < t.size()) {
      const std::size_t start = i;
      const char32_t cp = next_code_point(t, i);
      if (is_invisible_cp(cp))
        continue;
      if (pre) {
        if (cp == '\n') {
          line_break();
          continue;
        }
        if (cp == '\r')
          continue;
        if (cp == 0xA0) {
          put(" ");
          continue;
        }
        put(t.substr(start, i - start));
        continue;
      }
      if (is_space_cp(cp)) {
        if (!line_start_)
          space_ = true;
        continue;
      }
      if (cp < 0x20 || cp == 0x7F)
        continue;
      put(t.substr(start, i - start));
    }
  }

  std::size_t size() const { return out_.size(); }
  std::string_view since(std::size_t pos) const { return std::string_view(out_).substr(pos); }
  void space() {
    if (!line_start_)
      space_ = true;
  }

  std::string finish() {
    // Trailing spaces on lines and blank lines at the ends are noise.
    std::string result;
    result.reserve(out_.size());
    std::size_t pos = 0;
    while (pos <= out_.size()) {
      auto nl = out_.find('\n', pos);
      if (nl == std::string::npos)
        nl = out_.size();
      auto line = std::string_view(out_).substr(pos, nl - pos);
      while (!line.empty() && line.back() == ' ')
        line.remove_suffix(1);
      result.append(line);
      if (nl < out_.size())
        result.push_back('\n');
      pos = nl + 1;
    }
    std::size_t b = 0, e = result.size();
    while (b < e && (result[b] == '\n' || result[b] == ' '))
      ++b;
    while (e > b && (result[e - 1] == '\n' || result[e - 1] == ' '))
      --e;
    return result.substr(b, e - b);
  }

private:
  void flush_breaks() {
    if (breaks_ > 0 && !out_.empty()) {
      // Count newlines already at the end so block boundaries never stack up.
      int have = 0;
      for (std::size_t k = out_.size(); k-- > 0 && out_[k] == '\n' && have < 2;)
        ++have;
      for (int k = have; k < breaks_; ++k)
        out_.push_back('\n');
      line_start_ = true;
    }
    breaks_ = 0;
  }

  void put(std::string_view s) {
    flush_breaks();
    if (line_start_) {
      for (int q = 0; q < quote_depth_; ++q)
        out_ += "> ";
      if (!item_prefix_.empty()) {
        out_ += item_prefix_;
        item_prefix_.clear();
      }
      line_start_ = false;
      space_ = false;
    } else if (space_) {
      out_.push_back(' ');
      space_ = false;
    }
    out_.append(s);
  }

  std::string out_;
  int breaks_ = 0;
  bool space_ = false;
  bool line_start_ = true;
  int quote_depth_ = 0;
  std::string item_prefix_;
};

std::string attribute(const GumboNode& node, const char* name) {
  const auto* a = gumbo_get_attribute(&node.v.element.attributes, name);
  std::string repaired;
  return a ? std::string(well_formed(a->value, repaired)) : std::string();
}

std::string_view trim_view(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

/// Whether a link's URL adds anything to its text ("example.com" vs "https://example.com/").
bool url_differs(std::string_view text, std::string_view url) {
  auto strip = [](std::string_view u) {
    for (std::string_view p : {"mailto:", "https://", "http://"}) {
      if (u.size() >= p.size()) {
        bool same = true;
        for (std::size_t k = 0; k < p.size(); ++k)
          if ((u[k] | 0x20) != p[k] && u[k] != p[k])
            same = false;
        if (same) {
          u.remove_prefix(p.size());
          break;
        }
      }
    }
    while (!u.empty() && u.back() == '/')
      u.remove_suffix(1);
    return u;
  };
  return strip(text) != strip(url);
}

std::string render(std::string_view html, const html_limits& lim) {
  const auto norm = normalize(html, lim);
  document doc(norm.html);
  if (doc.root() == nullptr)
    return {};

  text_builder b;
  struct frame {
    const GumboNode* node;
    bool leaving;
  };
  struct link {
    std::size_t start;
    std::string url;
  };
  std::vector<frame> stack{{doc.root(), false}};
  std::vector<link> links;
  std::vector<int> lists; // nesting of ul/ol, for item indentation
  int pre = 0;
  auto push_children = [&stack](const GumboVector& children) {
    for (unsigned i = children.length; i-- > 0;)
      stack.push_back({static_cast<const GumboNode*>(children.data[i]), false});
  };
  auto breaks_for = [](GumboTag t) {
    switch (t) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_TABLE:
      return 2;
    default:
      return 1;
    }
  };

  while (!stack.empty()) {
    const frame f = stack.back();
    stack.pop_back();
    const GumboNode& node = *f.node;
    if (node.type == GUMBO_NODE_DOCUMENT) {
      push_children(node.v.document.children);
      continue;
    }
    if (node.type == GUMBO_NODE_TEXT || node.type == GUMBO_NODE_WHITESPACE ||
        node.type == GUMBO_NODE_CDATA) {
      std::string repaired;
      b.text(well_formed(node.v.text.text, repaired), pre > 0);
      continue;
    }
    if (node.type != GUMBO_NODE_ELEMENT)
      continue;
    const GumboTag tag = node.v.element.tag;
    if (f.leaving) {
      if (is_block(tag))
        b.block(breaks_for(tag));
      switch (tag) {
      case GUMBO_TAG_PRE:
        --pre;
        break;
      case GUMBO_TAG_BLOCKQUOTE:
        b.quote(-1);
        break;
      case GUMBO_TAG_UL:
      case GUMBO_TAG_OL:
        if (!lists.empty())
          lists.pop_back();
        break;
      case GUMBO_TAG_A:
        if (!links.empty()) {
          const auto l = std::move(links.back());
          links.pop_back();
          if (!l.url.empty()) {
            const auto label = trim_view(b.since(l.start));
            if (label.empty())
              b.text(l.url, false);
            else if (url_differs(label, l.url))
              b.text(" (" + l.url + ")", false);
          }
        }
        break;
      default:
        break;
      }
      continue;
    }
    if (classify(node) == action::drop)
      continue;
    switch (tag) {
    case GUMBO_TAG_BR:
      b.line_break();
      continue;
    case GUMBO_TAG_IMG: {
      const auto alt = attribute(node, "alt");
      if (!trim_view(alt).empty())
        b.text("[" + alt + "]", false);
      continue;
    }
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
      b.space();
      break;
    default:
      break;
    }
    if (is_void(tag)) {
      if (is_block(tag))
        b.block(1);
      continue;
    }
    if (is_block(tag))
      b.block(breaks_for(tag));
    switch (tag) {
    case GUMBO_TAG_PRE:
      ++pre;
      break;
    case GUMBO_TAG_BLOCKQUOTE:
      b.quote(1);
      break;
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
      lists.push_back(1);
      break;
    case GUMBO_TAG_LI:
      b.set_item_prefix(std::string(lists.size() > 1 ? 2 * (lists.size() - 1) : 0, ' ') + "- ");
      break;
    case GUMBO_TAG_A: {
      const auto href = attribute(node, "href");
      auto url = safe_url(href, false);
      // In-page anchors say nothing useful in plain text.
      if (url && url->front() == '#')
        url.reset();
      links.push_back({b.size(), url ? *url : std::string()});
      break;
    }
    default:
      break;
    }
    stack.push_back({f.node, true});
    push_children(node.v.element.children);
  }
  return b.finish();
}

/// `s` without an incomplete multi-byte sequence at its very end (partial fetches cut bodies
/// anywhere), repaired when anything else is ill-formed.
std::string_view drop_incomplete_tail(std::string_view s) {
  std::size_t k = s.size();
  std::size_t back = 0;
  while (k > 0 && back < 3 && (static_cast<unsigned char>(s[k - 1]) & 0xC0) == 0x80) {
    --k;
    ++back;
  }
  if (k == 0)
    return s;
  const auto lead = static_cast<unsigned char>(s[k - 1]);
  std::size_t need = 0;
  if (lead >= 0xF0)
    need = 3;
  else if (lead >= 0xE0)
    need = 2;
  else if (lead >= 0xC0)
    need = 1;
  if (need > back)
    return s.substr(0, k - 1);
  return s;
}

} // namespace

std::string to_text(std::string_view html, const html_limits& lim) {
  try {
    return render(html, lim);
  } catch (...) {
    return {};
  }
}

std::string snippet(std::string_view text_or_html, bool is_html, std::size_t max_chars) {
  try {
    std::string storage;
    std::string_view s = text_or_html;
    if (is_html) {
      storage = render(s, html_limits{});
      s = storage;
    } else {
      s = drop_incomplete_tail(s);
      if (!mime::is_valid_utf8(s)) {
        storage = mime::repair_utf8(s);
        s = storage;
      }
      // Text decoded from a partial fetch ends in U+FFFD where a character was cut.
      if (s.size() >= 3 && s.substr(s.size() - 3) == "\xEF\xBF\xBD")
        s.remove_suffix(3);
    }
    std::string out;
    out.reserve(std::min<std::size_t>(s.size(), max_chars * 4));
    std::size_t count = 0;
    bool space = false;
    std::size_t i = 0;
    while (i < s.size()) {
      const std::size_t start = i;
      const char32_t cp = next_code_point(s, i);
      if (is_invisible_cp(cp))
        continue;
      if (is_space_cp(cp) || cp < 0x20 || cp == 0x7F) {
        space = !out.empty();
        continue;
      }
      const std::size_t needed = space ? 2 : 1;
      if (count + needed > max_chars)
        break;
      if (space) {
        out.push_back(' ');
        ++count;
        space = false;
      }
      out.append(s.substr(start, i - start));
      ++count;
    }
    return out;
  } catch (...) {
    return {};
  }
}

} // namespace imap_mcp::html
