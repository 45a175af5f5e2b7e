// Fuzz target: the PDF adapter (protocol/pdf extract_text), in-process with small page,
// character and time limits. Run with -timeout and -rss_limit_mb (scripts/fuzz does): a
// crafted page can overrun the deadline inside poppler, which extract_text_isolated bounds in
// production; here such an input shows up as a timeout finding.
//
// Properties: nothing crashes or throws; failures are pdf-stage failures; the text is valid
// UTF-8 within the character cap; page counts are consistent.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/mime/utf8.hpp"
#include "protocol/pdf/pdf.hpp"
#include "tests/fuzz/check.hpp"

using namespace imap_mcp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  pdf::pdf_limits lim;
  lim.max_bytes = 1'000'000;
  lim.max_pages = 4;
  lim.max_chars = 4000;
  lim.deadline_ms = 2000;

  auto text = pdf::extract_text(bytes, lim);
  if (!text) {
    fuzz::check(text.error().code != error_code::internal || !text.error().message.empty(),
                "an internal failure without a message");
    return 0;
  }
  fuzz::check_utf8(text->text, "extracted text is not UTF-8");
  fuzz::check(mime::count_code_points(text->text) <= lim.max_chars,
              "extracted text is longer than max_chars");
  fuzz::check(text->pages_read <= text->pages_total && text->pages_read <= lim.max_pages,
              "more pages read than the document has or the limit allows");
  return 0;
}
