#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace vmime {
class header;
}

/// Glue between vmime's parsed headers and the raw bytes they came from (internal).
namespace imap_mcp::mime {

/// One header field as raw bytes of the buffer vmime parsed: name, and value still folded and
/// encoded.
struct raw_field {
  std::string_view name;
  std::string_view value;
};

/// The prefix of `raw` that holds the header block: up to the first empty (or white-space only)
/// line, and cut before the field line number `max_fields + 1`.
std::string_view header_region(std::string_view raw, std::size_t max_fields);

/// Header blocks bigger than this skip vmime: it parses every address list and message-id
/// list it meets (~3 MB/s), work the raw fields do not need. Real header blocks are a few KiB.
constexpr std::size_t max_vmime_header_bytes = 64 * 1024;

/// Parses `block` (a header region) with vmime and returns its fields as views into `block`.
/// Uses split_plain() when vmime throws or the block is over max_vmime_header_bytes. Never
/// throws.
std::vector<raw_field> split_header(std::string_view block, std::size_t max_fields);

/// Plain line splitter: a field starts at a line beginning with a name and ':', and runs over
/// the following lines that begin with white space.
std::vector<raw_field> split_plain(std::string_view block, std::size_t max_fields);

/// Fields of a header vmime already parsed, as views into `buffer` (the bytes given to vmime,
/// whose offsets the header carries).
std::vector<raw_field> fields_of(const vmime::header& h, std::string_view buffer,
                                 std::size_t max_fields);

/// Value of the first field named `name` (case-insensitive), or an empty view.
std::string_view raw_value(const std::vector<raw_field>& fields, std::string_view name,
                           bool* found = nullptr);

} // namespace imap_mcp::mime
