// Fuzz target: the MIME adapter (protocol/mime): parse_message, render_body and the header
// helpers, on raw message bytes.
//
// Properties: nothing throws or crashes (vmime throws on malformed input; the adapter must
// catch); everything meant for JSON is valid UTF-8 (header values, text part bodies, the
// rendered body, sanitized HTML); part ids are IMAP section numbers; the rendered text
// respects its length cap.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/mime/mime.hpp"
#include "protocol/mime/utf8.hpp"
#include "tests/fuzz/check.hpp"

using namespace imap_mcp;

namespace {

bool section_number(std::string_view id) {
  if (id.empty() || id.front() == '.' || id.back() == '.')
    return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (c == '.' ? id[i - 1] == '.' : (c < '0' || c > '9'))
      return false;
  }
  return true;
}

constexpr std::string_view charsets[] = {"",         "utf-8",     "iso-8859-1", "windows-1252",
                                         "shift_jis", "iso-2022-jp", "utf-16",  "utf-7",
                                         "gb18030",  "koi8-r",    "x-unknown"};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  fuzz::splitter split(raw);

  // Small caps so the refusal and truncation paths run too.
  mime::limits lim;
  lim.max_message_bytes = 256 * 1024;
  lim.max_depth = 12;
  lim.max_parts = 40;
  lim.max_header_lines = 2000;
  lim.max_header_bytes = 64 * 1024;
  lim.max_boundary_lines = 500;

  if (auto msg = mime::parse_message(raw, lim)) {
    for (const auto& h : msg->headers)
      fuzz::check_utf8(h.value, "a decoded header value is not UTF-8");
    for (const auto& p : msg->parts) {
      fuzz::check(section_number(p.part_id), "a part id is not a section number");
      fuzz::check_utf8(p.filename, "a file name is not UTF-8");
      if (p.content_type.rfind("text/", 0) == 0)
        fuzz::check_utf8(p.body, "a text part body is not UTF-8");
    }
    mime::render_options opt;
    opt.body_max_chars = 1 + split.next(300);
    opt.include_html = true;
    const auto body = mime::render_body(msg->parts, opt);
    fuzz::check_utf8(body.body_text, "body_text is not UTF-8");
    fuzz::check(mime::count_code_points(body.body_text) <= opt.body_max_chars,
                "body_text is longer than body_max_chars");
    if (body.body_html)
      fuzz::check_utf8(*body.body_html, "body_html is not UTF-8");
  } else {
    fuzz::check(msg.error().code == error_code::invalid_input ||
                    msg.error().code == error_code::internal,
                "an unexpected error code from parse_message");
  }

  // The header helpers get single field values (first line of the input, folded rest).
  const auto line = raw.substr(0, std::min<std::size_t>(raw.find('\n'), 4096));
  fuzz::check_utf8(mime::decode_header_value(line), "decode_header_value is not UTF-8");
  fuzz::check_utf8(mime::format_addresses(line), "format_addresses is not UTF-8");
  fuzz::check_utf8(mime::content_param(line, "filename"), "content_param is not UTF-8");
  (void)mime::content_value(line);
  const auto charset = charsets[split.next(std::size(charsets)) - 1];
  fuzz::check_utf8(mime::to_utf8(raw.substr(0, 4096), charset), "to_utf8 is not UTF-8");
  if (auto decoded = mime::decode_transfer(raw.substr(0, 4096),
                                           split.next(2) == 1 ? "base64" : "quoted-printable"))
    (void)decoded->size();
  return 0;
}
