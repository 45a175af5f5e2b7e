#pragma once

#include <cstddef>
#include <string_view>

#include "protocol/pdf/pdf.hpp"
#include "protocol/util/error.hpp"

namespace imap_mcp::pdf {

/// Bounds of the helper process of extract_text_isolated (the pdf_limits apply as well).
struct isolation_limits {
  /// Address space the child may map beyond what it inherits from this process (RLIMIT_AS);
  /// 0 leaves it unbounded. Approximate: memory that is free inside the inherited heaps can be
  /// reused without new mappings and comes on top. The deadline is the hard bound; this one
  /// stops the steep early growth of a hostile page. No effect under AddressSanitizer, whose
  /// allocator maps its whole heap at start-up.
  std::size_t max_memory_bytes = 512'000'000;
  /// Readers started through a zygote (zygote.hpp): how long the zygote may take to report that
  /// a reader ended (or was killed) before it is considered stuck, killed, and replaced by direct
  /// forks. It answers in well under a millisecond when healthy; this only bounds a broken one.
  int zygote_grace_ms = 2'000;
};

class zygote_channel;

/// extract_text run in a forked child process that is killed when the deadline passes.
///
/// Why: poppler cannot be interrupted inside a page, and a crafted page (a few hundred KB of text
/// at scattered positions, a few dozen KB compressed) costs it minutes and gigabytes. In a child,
/// the deadline and a memory cap hold whatever the input is, and a crash stays in the child.
///
/// Results match extract_text: the child streams the text page by page, so a deadline that
/// passes mid-document still returns the text read so far (truncated=true). Additional outcomes:
/// error_code::timeout (stage "pdf", retryable) when the deadline passes before the document is
/// open; error_code::internal when the child cannot be started or ends abnormally (crash, memory
/// cap) before sending any text (text already received is returned, truncated).
///
/// The calling thread blocks until the child ends or is killed; hooks run on it, and
/// stop_requested is polled as pages arrive (a slow page is bounded by the deadline only).
/// The child runs nothing but the extraction, closes every inherited descriptor except its pipe
/// and leaves with _exit (no atexit handlers, no stdio flush, so stdout stays untouched). In a
/// multithreaded process a lock held by another thread at fork time can stall the child; the
/// deadline bounds that too. Linux/POSIX only.
result<pdf_text> extract_text_isolated(std::string_view data, const pdf_limits& limits,
                                       const isolation_limits& isolation,
                                       const pdf_hooks& hooks = {});

/// Same as above, with the reader process forked by the zygote behind `channel` instead of by
/// this process (much cheaper; see zygote.hpp). Results, limits and guarantees are the same; the
/// address-space cap counts from the reader's own, small, size. The channel carries one document
/// at a time: use one per worker thread. With a null channel, or when the zygote is gone, the
/// reader is forked directly (a lost zygote is logged once); a document whose reader was lost
/// with the zygote before it sent anything is retried that way within the same deadline.
result<pdf_text> extract_text_isolated(std::string_view data, const pdf_limits& limits,
                                       const isolation_limits& isolation, const pdf_hooks& hooks,
                                       zygote_channel* channel);

} // namespace imap_mcp::pdf
