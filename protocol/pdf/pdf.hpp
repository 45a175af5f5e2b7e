#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "protocol/util/error.hpp"

/// Text extraction from PDF attachments (poppler-cpp adapter). extract_text is pure code (no
/// threads, no I/O); protocol/pdf/isolated.hpp runs it in a child process with a hard deadline.
namespace imap_mcp::pdf {

/// Bounds of one extraction. The defaults only document typical values; callers pass their own.
struct pdf_limits {
  /// Larger inputs are refused before poppler sees a byte.
  std::size_t max_bytes = 5'000'000;
  /// Pages beyond this are not read (the result is marked truncated).
  int max_pages = 500;
  /// Length bound of the returned text in Unicode code points, separators included.
  std::size_t max_chars = 50'000;
  /// Wall-clock budget from the start of the call, checked before each page; 0 reads no page.
  int deadline_ms = 10'000;
};

/// Text of a PDF, normalized: valid UTF-8, no control characters except line breaks, runs of
/// spaces collapsed, at most one blank line in a row, pages separated by one blank line.
struct pdf_text {
  /// The extracted text (UTF-8).
  std::string text;
  /// Number of pages of the document.
  int pages_total = 0;
  /// Pages whose text was extracted (at least in part).
  int pages_read = 0;
  /// True when pages or characters were left out (page, character or time limit, or a stop).
  bool truncated = false;
};

/// Optional observers of a long extraction (each may be empty). They run on the calling thread;
/// an exception thrown by one ends the extraction with an internal failure.
struct pdf_hooks {
  /// Called once the document is open, with its number of pages.
  std::function<void(int)> on_open;
  /// Called with each piece of text as it is appended to the result (a page's text, preceded by
  /// its separator); the concatenation of all pieces is the final text.
  std::function<void(std::string_view)> on_text;
  /// Called after each page with (pages done, pages planned = min(pages_total, max_pages));
  /// feeds MCP progress notifications.
  std::function<void(int, int)> on_page;
  /// Polled before each page; returning true stops like a deadline (text so far, truncated).
  std::function<bool()> stop_requested;
};

/// The checks made before poppler sees a byte: the size limit and a "%PDF-" header within the
/// first KiB. Fails exactly as extract_text would.
status check_input(std::string_view data, const pdf_limits& limits);

/// Extracts the text of the PDF in `data` (not copied; only read during the call).
/// Fails (stage "pdf", never retryable) when the data is larger than `limits.max_bytes`, is not
/// a PDF, is damaged beyond repair, has no pages, or needs a password. Hitting the page,
/// character or time limit is not a failure: the text so far comes back with truncated=true.
/// Thread-safe: concurrent calls on different threads work on separate documents.
/// The deadline is checked between pages; a single crafted page can overrun it by minutes (and
/// use gigabytes): for untrusted input prefer extract_text_isolated (isolated.hpp).
result<pdf_text> extract_text(std::string_view data, const pdf_limits& limits);

/// Same as above, reporting progress and honouring a stop request through `hooks`.
result<pdf_text> extract_text(std::string_view data, const pdf_limits& limits,
                              const pdf_hooks& hooks);

} // namespace imap_mcp::pdf
