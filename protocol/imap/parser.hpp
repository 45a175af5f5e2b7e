#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "protocol/imap/response.hpp"
#include "protocol/imap/sequence_set.hpp"
#include "protocol/util/error.hpp"

namespace imap_mcp::imap {

/// Memory and recursion bounds of one parser (one connection).
struct parser_limits {
  /// Longest line (text between literals, without CRLF). A "* SEARCH" answer with all UIDs of
  /// a big mailbox is one line, hence the generous default.
  std::size_t max_line_length = 8 * 1024 * 1024;
  /// Largest literal (a message body or body part).
  std::size_t max_literal_size = 64 * 1024 * 1024;
  /// Largest whole response (all lines and literals together).
  std::size_t max_response_size = 96 * 1024 * 1024;
  /// Deepest nesting of parenthesized lists (BODYSTRUCTURE, extension data).
  int max_depth = 100;
};

/// Outcome of response_parser::next().
enum class parse_status {
  /// No complete response is buffered yet; feed more bytes.
  need_more,
  /// A response was written to the output argument.
  response,
  /// The next response is malformed or exceeds a limit; see error().
  error,
};

/// A byte-fed, resumable IMAP response parser. Bytes arrive in any chunking (a literal may be
/// split at any byte); next() returns each complete response once all its lines and literals
/// are buffered. Framing work is linear in the input: every byte is scanned once to find
/// line ends and skipped over inside literals, then parsed once in place.
///
/// Two kinds of errors exist. A response that is framed correctly but does not follow the
/// grammar is consumed and reported once; parsing continues with the next response. A
/// framing error (a line or literal over its limit) leaves the stream position unknown: the
/// parser stays failed() and every further next() reports the same error.
class response_parser {
public:
  /// A parser with the given bounds.
  explicit response_parser(parser_limits limits = {});
  /// A parser with the default bounds except line length and literal size.
  response_parser(std::size_t max_line_length, std::size_t max_literal_size);

  response_parser(const response_parser&) = delete;
  response_parser& operator=(const response_parser&) = delete;
  response_parser(response_parser&&) noexcept = default;
  response_parser& operator=(response_parser&&) noexcept = default;
  ~response_parser();

  /// Appends received bytes.
  void feed(std::string_view bytes);

  /// Returns a writable area of at least min_size bytes at the end of the buffer, so a read
  /// can go straight into the parser without an extra copy. Follow with commit().
  std::span<char> prepare(std::size_t min_size);

  /// Declares that n bytes of the area from prepare() were filled.
  void commit(std::size_t n);

  /// Makes the next response parse as a greeting (OK, PREAUTH or BYE; anything else is an
  /// error). A client calls this once before reading the first response.
  void expect_greeting();

  /// Parses the next complete response into out.
  parse_status next(response& out);

  /// The last error; its message says what was wrong and where, never quoting message data.
  const failure& error() const { return error_; }

  /// The tag of the last malformed response when it was a tagged one, else empty; lets a
  /// client fail the command it belongs to instead of waiting for a tag that never comes.
  const std::string& error_tag() const { return error_tag_; }

  /// True after a framing error: the parser cannot continue.
  bool failed() const { return failed_; }

  /// Bytes buffered and not yet returned as responses.
  std::size_t buffered() const { return end_ - begin_; }

  /// The bounds in use.
  const parser_limits& limits() const { return limits_; }

private:
  bool frame();
  void fail_framing(std::string message);
  void reserve_tail(std::size_t n);

  parser_limits limits_;
  std::unique_ptr<char[]> buf_;
  std::size_t capacity_ = 0;
  /// Start of the current (unconsumed) response.
  std::size_t begin_ = 0;
  /// End of the buffered bytes.
  std::size_t end_ = 0;
  /// Where scanning for the next line end continues.
  std::size_t scan_ = 0;
  /// Start of the current line (for the line-length limit).
  std::size_t line_start_ = 0;
  /// Literal bytes still to skip before scanning resumes.
  std::size_t literal_left_ = 0;
  /// End of a completely framed response, or 0 when none is framed yet.
  std::size_t frame_end_ = 0;
  bool greeting_next_ = false;
  bool failed_ = false;
  failure error_;
  std::string error_tag_;
};

} // namespace imap_mcp::imap
