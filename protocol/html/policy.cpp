// The allow-list: which elements, attributes and URLs survive sanitizing.

#include "protocol/html/detail.hpp"
#include "protocol/util/utf8.hpp"
#include "protocol/mime/utf8.hpp"

namespace imap_mcp::html::detail {

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  for (auto n : names)
    if (n == name)
      return true;
  return false;
}

} // namespace

document::document(std::string_view html) : options_(kGumboDefaultOptions) {
  options_.max_errors = 0;
  options_.stop_on_first_error = false;
  output_ = gumbo_parse_with_options(&options_, html.data(), html.size());
}

document::~document() {
  if (output_ != nullptr)
    gumbo_destroy_output(&options_, output_);
}

action classify(const GumboNode& node) {
  if (node.type == GUMBO_NODE_TEMPLATE)
    return action::drop;
  if (node.type != GUMBO_NODE_ELEMENT)
    return action::unwrap;
  if (node.v.element.tag_namespace != GUMBO_NAMESPACE_HTML)
    return action::drop;
  switch (node.v.element.tag) {
  case GUMBO_TAG_P:
  case GUMBO_TAG_BR:
  case GUMBO_TAG_DIV:
  case GUMBO_TAG_SPAN:
  case GUMBO_TAG_A:
  case GUMBO_TAG_B:
  case GUMBO_TAG_I:
  case GUMBO_TAG_U:
  case GUMBO_TAG_S:
  case GUMBO_TAG_STRIKE:
  case GUMBO_TAG_EM:
  case GUMBO_TAG_STRONG:
  case GUMBO_TAG_SMALL:
  case GUMBO_TAG_BIG:
  case GUMBO_TAG_SUB:
  case GUMBO_TAG_SUP:
  case GUMBO_TAG_MARK:
  case GUMBO_TAG_INS:
  case GUMBO_TAG_DEL:
  case GUMBO_TAG_ABBR:
  case GUMBO_TAG_ACRONYM:
  case GUMBO_TAG_CITE:
  case GUMBO_TAG_Q:
  case GUMBO_TAG_DFN:
  case GUMBO_TAG_KBD:
  case GUMBO_TAG_SAMP:
  case GUMBO_TAG_VAR:
  case GUMBO_TAG_TT:
  case GUMBO_TAG_CODE:
  case GUMBO_TAG_PRE:
  case GUMBO_TAG_BLOCKQUOTE:
  case GUMBO_TAG_FONT:
  case GUMBO_TAG_CENTER:
  case GUMBO_TAG_UL:
  case GUMBO_TAG_OL:
  case GUMBO_TAG_LI:
  case GUMBO_TAG_DL:
  case GUMBO_TAG_DT:
  case GUMBO_TAG_DD:
  case GUMBO_TAG_TABLE:
  case GUMBO_TAG_THEAD:
  case GUMBO_TAG_TBODY:
  case GUMBO_TAG_TFOOT:
  case GUMBO_TAG_TR:
  case GUMBO_TAG_TD:
  case GUMBO_TAG_TH:
  case GUMBO_TAG_CAPTION:
  case GUMBO_TAG_COL:
  case GUMBO_TAG_COLGROUP:
  case GUMBO_TAG_H1:
  case GUMBO_TAG_H2:
  case GUMBO_TAG_H3:
  case GUMBO_TAG_H4:
  case GUMBO_TAG_H5:
  case GUMBO_TAG_H6:
  case GUMBO_TAG_IMG:
  case GUMBO_TAG_HR:
  case GUMBO_TAG_ADDRESS:
  case GUMBO_TAG_ARTICLE:
  case GUMBO_TAG_SECTION:
  case GUMBO_TAG_HEADER:
  case GUMBO_TAG_FOOTER:
  case GUMBO_TAG_NAV:
  case GUMBO_TAG_MAIN:
  case GUMBO_TAG_ASIDE:
  case GUMBO_TAG_FIGURE:
  case GUMBO_TAG_FIGCAPTION:
  case GUMBO_TAG_DETAILS:
  case GUMBO_TAG_SUMMARY:
  case GUMBO_TAG_TIME:
  case GUMBO_TAG_WBR:
  case GUMBO_TAG_BDI:
  case GUMBO_TAG_BDO:
  case GUMBO_TAG_RUBY:
  case GUMBO_TAG_RT:
  case GUMBO_TAG_RP:
    return action::keep;

  case GUMBO_TAG_HEAD:
  case GUMBO_TAG_TITLE:
  case GUMBO_TAG_META:
  case GUMBO_TAG_LINK:
  case GUMBO_TAG_BASE:
  case GUMBO_TAG_BASEFONT:
  case GUMBO_TAG_BGSOUND:
  case GUMBO_TAG_STYLE:
  case GUMBO_TAG_SCRIPT:
  case GUMBO_TAG_NOSCRIPT:
  case GUMBO_TAG_TEMPLATE:
  case GUMBO_TAG_IFRAME:
  case GUMBO_TAG_FRAME:
  case GUMBO_TAG_FRAMESET:
  case GUMBO_TAG_NOFRAMES:
  case GUMBO_TAG_NOEMBED:
  case GUMBO_TAG_OBJECT:
  case GUMBO_TAG_EMBED:
  case GUMBO_TAG_APPLET:
  case GUMBO_TAG_PARAM:
  case GUMBO_TAG_FORM:
  case GUMBO_TAG_INPUT:
  case GUMBO_TAG_BUTTON:
  case GUMBO_TAG_SELECT:
  case GUMBO_TAG_OPTION:
  case GUMBO_TAG_OPTGROUP:
  case GUMBO_TAG_TEXTAREA:
  case GUMBO_TAG_DATALIST:
  case GUMBO_TAG_KEYGEN:
  case GUMBO_TAG_OUTPUT:
  case GUMBO_TAG_PROGRESS:
  case GUMBO_TAG_METER:
  case GUMBO_TAG_ISINDEX:
  case GUMBO_TAG_MENUITEM:
  case GUMBO_TAG_SVG:
  case GUMBO_TAG_MATH:
  case GUMBO_TAG_CANVAS:
  case GUMBO_TAG_AUDIO:
  case GUMBO_TAG_VIDEO:
  case GUMBO_TAG_SOURCE:
  case GUMBO_TAG_TRACK:
  case GUMBO_TAG_MAP:
  case GUMBO_TAG_AREA:
  case GUMBO_TAG_SPACER:
  case GUMBO_TAG_NEXTID:
  case GUMBO_TAG_XMP:
  case GUMBO_TAG_PLAINTEXT:
    return action::drop;

  default:
    // html, body, label, fieldset, legend, marquee, unknown and custom tags (Outlook's o:p...).
    return action::unwrap;
  }
}

bool is_void(GumboTag tag) {
  switch (tag) {
  case GUMBO_TAG_AREA:
  case GUMBO_TAG_BASE:
  case GUMBO_TAG_BASEFONT:
  case GUMBO_TAG_BGSOUND:
  case GUMBO_TAG_BR:
  case GUMBO_TAG_COL:
  case GUMBO_TAG_EMBED:
  case GUMBO_TAG_FRAME:
  case GUMBO_TAG_HR:
  case GUMBO_TAG_IMG:
  case GUMBO_TAG_IMAGE:
  case GUMBO_TAG_INPUT:
  case GUMBO_TAG_KEYGEN:
  case GUMBO_TAG_LINK:
  case GUMBO_TAG_META:
  case GUMBO_TAG_PARAM:
  case GUMBO_TAG_SOURCE:
  case GUMBO_TAG_TRACK:
  case GUMBO_TAG_WBR:
    return true;
  default:
    return false;
  }
}

bool is_block(GumboTag tag) {
  switch (tag) {
  case GUMBO_TAG_P:
  case GUMBO_TAG_DIV:
  case GUMBO_TAG_PRE:
  case GUMBO_TAG_BLOCKQUOTE:
  case GUMBO_TAG_CENTER:
  case GUMBO_TAG_UL:
  case GUMBO_TAG_OL:
  case GUMBO_TAG_LI:
  case GUMBO_TAG_DL:
  case GUMBO_TAG_DT:
  case GUMBO_TAG_DD:
  case GUMBO_TAG_TABLE:
  case GUMBO_TAG_THEAD:
  case GUMBO_TAG_TBODY:
  case GUMBO_TAG_TFOOT:
  case GUMBO_TAG_TR:
  case GUMBO_TAG_CAPTION:
  case GUMBO_TAG_H1:
  case GUMBO_TAG_H2:
  case GUMBO_TAG_H3:
  case GUMBO_TAG_H4:
  case GUMBO_TAG_H5:
  case GUMBO_TAG_H6:
  case GUMBO_TAG_HR:
  case GUMBO_TAG_ADDRESS:
  case GUMBO_TAG_ARTICLE:
  case GUMBO_TAG_SECTION:
  case GUMBO_TAG_HEADER:
  case GUMBO_TAG_FOOTER:
  case GUMBO_TAG_NAV:
  case GUMBO_TAG_MAIN:
  case GUMBO_TAG_ASIDE:
  case GUMBO_TAG_FIGURE:
  case GUMBO_TAG_FIGCAPTION:
  case GUMBO_TAG_DETAILS:
  case GUMBO_TAG_SUMMARY:
  case GUMBO_TAG_FIELDSET:
  case GUMBO_TAG_LEGEND:
  case GUMBO_TAG_BODY:
  case GUMBO_TAG_HTML:
  case GUMBO_TAG_LISTING:
  case GUMBO_TAG_DIR:
  case GUMBO_TAG_MENU:
  case GUMBO_TAG_HGROUP:
    return true;
  default:
    return false;
  }
}

bool is_url_attribute(std::string_view name) {
  return name == "href" || name == "src";
}

bool attribute_allowed(GumboTag tag, std::string_view name) {
  if (one_of(name, {"title", "dir", "lang"}))
    return true;
  switch (tag) {
  case GUMBO_TAG_A:
    return name == "href";
  case GUMBO_TAG_IMG:
    return one_of(name, {"src", "alt", "width", "height", "border", "align"});
  case GUMBO_TAG_TD:
  case GUMBO_TAG_TH:
    return one_of(name, {"colspan", "rowspan", "align", "valign", "width", "height", "nowrap",
                         "bgcolor", "scope", "abbr"});
  case GUMBO_TAG_TABLE:
    return one_of(name,
                  {"border", "cellpadding", "cellspacing", "width", "align", "bgcolor", "summary"});
  case GUMBO_TAG_TR:
  case GUMBO_TAG_THEAD:
  case GUMBO_TAG_TBODY:
  case GUMBO_TAG_TFOOT:
    return one_of(name, {"align", "valign", "bgcolor"});
  case GUMBO_TAG_COL:
  case GUMBO_TAG_COLGROUP:
    return one_of(name, {"span", "width", "align", "valign"});
  case GUMBO_TAG_OL:
    return one_of(name, {"start", "type", "reversed"});
  case GUMBO_TAG_UL:
    return name == "type";
  case GUMBO_TAG_LI:
    return one_of(name, {"value", "type"});
  case GUMBO_TAG_FONT:
    return one_of(name, {"color", "size", "face"});
  case GUMBO_TAG_HR:
    return one_of(name, {"width", "size", "align", "noshade"});
  case GUMBO_TAG_INS:
  case GUMBO_TAG_DEL:
  case GUMBO_TAG_TIME:
    return name == "datetime";
  case GUMBO_TAG_P:
  case GUMBO_TAG_DIV:
  case GUMBO_TAG_H1:
  case GUMBO_TAG_H2:
  case GUMBO_TAG_H3:
  case GUMBO_TAG_H4:
  case GUMBO_TAG_H5:
  case GUMBO_TAG_H6:
  case GUMBO_TAG_CAPTION:
    return name == "align";
  default:
    return false;
  }
}

std::optional<std::string> safe_url(std::string_view url, bool for_src) {
  std::string u;
  u.reserve(url.size());
  for (char c : url)
    if (c != '\t' && c != '\n' && c != '\r')
      u.push_back(c);
  // WHATWG URL parsing strips leading and trailing C0 controls and spaces.
  std::size_t b = 0, e = u.size();
  while (b < e && static_cast<unsigned char>(u[b]) <= 0x20)
    ++b;
  while (e > b && static_cast<unsigned char>(u[e - 1]) <= 0x20)
    --e;
  u = u.substr(b, e - b);
  if (u.empty())
    return std::nullopt;
  for (unsigned char c : u)
    if (c < 0x20 || c == 0x7F)
      return std::nullopt;
  if (u.front() == '#') {
    if (for_src)
      return std::nullopt;
    return u;
  }
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
  const char first = lower(u.front());
  if (first < 'a' || first > 'z')
    return std::nullopt;
  std::string scheme;
  std::size_t i = 0;
  for (; i < u.size(); ++i) {
    const char c = lower(u[i]);
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!ok)
      break;
    scheme.push_back(c);
  }
  if (i >= u.size() || u[i] != ':')
    return std::nullopt;
  const bool allowed =
      scheme == "http" || scheme == "https" || scheme == "cid" || (!for_src && scheme == "mailto");
  if (!allowed)
    return std::nullopt;
  return u;
}

std::string_view tag_name(const GumboNode& element) {
  return gumbo_normalized_tagname(element.v.element.tag);
}

std::string_view well_formed(const char* gumbo_text, std::string& storage) {
  const std::string_view text = gumbo_text != nullptr ? gumbo_text : "";
  if (utf8::is_valid(text))
    return text;
  storage = mime::repair_utf8(text);
  return storage;
}

} // namespace imap_mcp::html::detail
