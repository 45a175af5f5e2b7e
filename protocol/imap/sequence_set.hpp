#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/util/error.hpp"

namespace imap_mcp::imap {

/// A well-formed IMAP sequence set such as "1:5,7,9:*". It can only be made from numbers,
/// so its text is always safe to put on the wire.
class sequence_set {
public:
  /// An empty set (not sendable; commands reject it).
  sequence_set() = default;

  /// Builds the shortest set for the given UIDs or sequence numbers: sorted, duplicates
  /// removed, consecutive runs compressed ("1:5"). Zero is not a valid UID and is dropped.
  static sequence_set from_numbers(std::span<const std::uint32_t> numbers);

  /// The range first:last, or first:* when last is empty ("everything from first on").
  static sequence_set range(std::uint32_t first, std::optional<std::uint32_t> last = {});

  /// The wire text, e.g. "1:5,7".
  const std::string& text() const { return text_; }
  bool empty() const { return text_.empty(); }

private:
  std::string text_;
};

/// Decodes a sequence set received from the server (ESEARCH ALL, COPYUID, APPENDUID) into
/// numbers in the order given, ranges expanded ("3:1" gives 3,2,1 as RFC 3501 allows either
/// order). '*' is not allowed, and more than max_count numbers is an invalid_input failure, so a
/// hostile "1:4294967295" cannot exhaust memory.
result<std::vector<std::uint32_t>> decode_sequence_set(std::string_view text,
                                                       std::size_t max_count);

} // namespace imap_mcp::imap
