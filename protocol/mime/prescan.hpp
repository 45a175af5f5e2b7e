#pragma once

#include <cstddef>
#include <string>
#include <string_view>

/// Linear structure pre-scan run before vmime sees a message (internal).
///
/// vmime parses multipart nesting recursively and in quadratic time, and spends microseconds
/// and hundreds of bytes per header field and per part. The scan bounds all three from above:
/// it counts a level for every line that could be a multipart Content-Type field, anywhere, and
/// closes levels only on lines vmime certainly treats as a delimiter of a known boundary, so
/// its depth is never lower than vmime's.
namespace imap_mcp::mime {

/// Line budgets shared by every scan of one message (encapsulated messages included).
struct scan_budget {
  /// Lines that vmime could read as a header field (`name[ \t]*:` at a line start).
  std::size_t header_lines = 0;
  /// Bytes of those lines plus their continuation lines.
  std::size_t header_bytes = 0;
  /// Lines starting with "--" (every vmime boundary line does).
  std::size_t boundary_lines = 0;
};

/// What the scan found.
struct scan_result {
  /// Multipart nesting exceeded max_depth.
  bool too_deep = false;
  /// Deepest nesting seen (bounded by max_depth + 1).
  int depth = 0;
  /// Where the message must be cut because a budget ran out (npos: no cut).
  std::size_t cut = std::string_view::npos;
};

/// Scans `raw` and consumes `budget`.
scan_result prescan(std::string_view raw, int max_depth, scan_budget& budget);

} // namespace imap_mcp::mime
