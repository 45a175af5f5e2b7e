#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "protocol/http/request.hpp"

namespace imap_mcp::http {

/// Bounds applied while a request is being read, before anything is buffered beyond them.
struct parser_limits {
  std::size_t max_header_bytes; ///< request line plus headers; beyond: 431
  std::size_t max_headers;      ///< header lines; beyond: 431
  std::size_t max_body_bytes;   ///< declared or received body; beyond: 413
};

/// What one feed() call found.
enum class parse_state {
  need_more, ///< the request is not complete yet; every byte was consumed
  complete,  ///< a whole request is ready in take(); bytes after it were not consumed
  error,     ///< malformed or over a limit: answer error_status() and close
};

/// The outcome of one feed() call.
struct parse_result {
  parse_state state = parse_state::need_more;
  /// Bytes of the input that belong to this request (the rest is the next pipelined one).
  std::size_t consumed = 0;
};

/// A byte-fed, resumable HTTP/1.x request parser on top of http-parser. Feed it bytes as
/// they arrive; it stops after each complete request so pipelined requests are handled one
/// at a time. After `complete`, take() the request, then reset() before the next one.
/// After `error`, the connection must be closed.
class request_parser {
public:
  explicit request_parser(parser_limits limits);
  ~request_parser();
  request_parser(const request_parser&) = delete;
  request_parser& operator=(const request_parser&) = delete;

  /// Consumes bytes of the current request.
  parse_result feed(std::string_view bytes);

  /// The status to answer after `error`: 400 (malformed), 413 (body too large),
  /// 431 (headers too large), 505 (HTTP version), 501 (unsupported transfer coding).
  int error_status() const;
  /// A short human reason for the error, safe to log and to send (no request bytes).
  std::string_view error_reason() const;

  /// True once any byte of the current request has arrived (for slow-client timeouts).
  bool started() const;
  /// True once the request line and headers are complete.
  bool headers_complete() const;
  /// True (once) when the client sent `Expect: 100-continue` and waits for an interim
  /// answer before sending the body; clears the flag.
  bool take_continue();

  /// The complete request (valid after `complete`, until reset()).
  request& current();
  /// Prepares for the next request on the same connection.
  void reset();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace imap_mcp::http
