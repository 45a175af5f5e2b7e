#include "protocol/pdf/pdf.hpp"

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <string>

#include "protocol/pdf/poppler_init.hpp"
#include "protocol/pdf/text.hpp"
#include "protocol/util/log.hpp"

namespace imap_mcp::pdf {

namespace {

constexpr const char* stage = "pdf";

/// PDF readers accept the header anywhere in the first KiB (some mailers prepend junk).
constexpr std::size_t header_window = 1024;

void discard_poppler_message(const std::string&, void*) {}

/// A minimal valid one-page PDF, opened once and never closed. poppler-cpp builds its global
/// tables (GlobalParams) when the first document opens and frees them when the last one closes;
/// without a document kept open, every call pays that set-up again (about 2 ms, ten times the
/// work of extracting a small PDF).
constexpr std::string_view keeper_pdf =
    "%PDF-1.4\n"
    "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1 1] >>\n"
    "endobj\n"
    "xref\n0 4\n"
    "0000000000 65535 f \n"
    "0000000009 00000 n \n"
    "0000000058 00000 n \n"
    "0000000115 00000 n \n"
    "trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n182\n%%EOF\n";

} // namespace

// poppler writes parser complaints about damaged files to stderr by default; they would flood the
// server log with attacker-controlled text.
void detail::init_poppler() {
  static std::once_flag once;
  std::call_once(once, [] {
    poppler::set_debug_error_function(&discard_poppler_message, nullptr);
    // Deliberately leaked (see keeper_pdf); it reads only the static literal.
    static const poppler::document* keeper = poppler::document::load_from_raw_data(
        keeper_pdf.data(), static_cast<int>(keeper_pdf.size()));
    if (!keeper) {
      LOG_WARN("pdf", "poppler keep-alive document did not load; PDF extraction will be slower");
      return;
    }
    // One text extraction loads what poppler loads lazily on first use (iconv modules through
    // dlopen, time zone data): forked readers then inherit it instead of each loading it again.
    std::unique_ptr<poppler::page> page(keeper->create_page(0));
    if (page)
      (void)page->text(poppler::rectf(), poppler::page::physical_layout).to_utf8();
  });
}

namespace {

failure pdf_failure(std::string message, error_code code = error_code::invalid_input) {
  return make_failure(code, std::move(message), stage);
}

std::u16string to_u16(const poppler::ustring& s) {
  std::u16string out(s.size(), u'\0');
  for (std::size_t i = 0; i < s.size(); ++i)
    out[i] = static_cast<char16_t>(s[i]);
  return out;
}

void trim_trailing_whitespace(std::string& s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n'))
    s.pop_back();
}

result<pdf_text> extract(std::string_view data, const pdf_limits& limits, const pdf_hooks& hooks) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::milliseconds(limits.deadline_ms);

  if (auto checked = check_input(data, limits); !checked)
    return checked.error();

  detail::init_poppler();
  // load_from_raw_data keeps pointing into `data`, which outlives `doc` (both live in this call).
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(data.data(), static_cast<int>(data.size())));
  if (!doc)
    return pdf_failure("PDF is damaged and cannot be read");
  if (doc->is_locked())
    return pdf_failure("PDF is encrypted");

  pdf_text out;
  out.pages_total = doc->pages();
  if (out.pages_total <= 0)
    return pdf_failure("PDF has no readable pages");

  if (hooks.on_open)
    hooks.on_open(out.pages_total);
  const int planned = std::min(out.pages_total, std::max(limits.max_pages, 0));
  std::size_t chars = 0;
  for (int index = 0; index < out.pages_total; ++index) {
    if (index >= planned || clock::now() >= deadline ||
        (hooks.stop_requested && hooks.stop_requested())) {
      out.truncated = true;
      break;
    }
    std::unique_ptr<poppler::page> page(doc->create_page(index));
    // Physical layout keeps table rows (invoice lines) on one line; the padding it adds for
    // alignment collapses into single spaces during normalization.
    std::string page_text =
        page ? normalize_text(to_u16(page->text(poppler::rectf(), poppler::page::physical_layout)))
             : std::string{};
    if (!page_text.empty()) {
      if (!out.text.empty())
        page_text.insert(0, "\n\n");
      const std::size_t n = count_code_points(page_text);
      if (chars + n > limits.max_chars) {
        page_text.resize(prefix_bytes(page_text, limits.max_chars - chars));
        trim_trailing_whitespace(page_text);
        if (!page_text.empty()) {
          out.text += page_text;
          ++out.pages_read;
          if (hooks.on_text)
            hooks.on_text(page_text);
        }
        out.truncated = true;
        break;
      }
      out.text += page_text;
      chars += n;
      if (hooks.on_text)
        hooks.on_text(page_text);
    }
    ++out.pages_read;
    if (hooks.on_page)
      hooks.on_page(index + 1, planned);
  }
  LOG_DEBUG("pdf", "read " << out.pages_read << " of " << out.pages_total << " page(s) from "
                           << data.size() << " bytes" << (out.truncated ? " (truncated)" : ""));
  return out;
}

} // namespace

status check_input(std::string_view data, const pdf_limits& limits) {
  // poppler takes an int length; larger inputs are refused like any other oversized one.
  const std::size_t byte_limit = std::min<std::size_t>(limits.max_bytes, INT_MAX);
  if (data.size() > byte_limit)
    return pdf_failure("PDF is " + std::to_string(data.size()) + " bytes; the limit is " +
                       std::to_string(byte_limit));
  if (data.substr(0, header_window).find("%PDF-") == std::string_view::npos)
    return pdf_failure("data is not a PDF (no %PDF- header)");
  return ok_status();
}

result<pdf_text> extract_text(std::string_view data, const pdf_limits& limits) {
  return extract_text(data, limits, pdf_hooks{});
}

result<pdf_text> extract_text(std::string_view data, const pdf_limits& limits,
                              const pdf_hooks& hooks) {
  // poppler is C++ with exceptions in places (std::bad_alloc, container checks) and so are the
  // hooks; none may reach the caller.
  try {
    return extract(data, limits, hooks);
  } catch (const std::bad_alloc&) {
    return pdf_failure("out of memory while reading PDF", error_code::internal);
  } catch (const std::exception& e) {
    return pdf_failure(std::string("unexpected error while reading PDF: ") + e.what(),
                       error_code::internal);
  } catch (...) {
    return pdf_failure("unexpected error while reading PDF", error_code::internal);
  }
}

} // namespace imap_mcp::pdf
