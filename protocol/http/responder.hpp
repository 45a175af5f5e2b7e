#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/http/response.hpp"

namespace imap_mcp::http {

/// Writes the answer to one MCP POST as the session's messages arrive: a response that
/// comes first is sent as `application/json`; a notification that comes first (progress)
/// switches to `text/event-stream`, and every later message becomes one SSE event until the
/// response ends the stream. A client that accepts only SSE always gets a stream.
class post_responder {
public:
  /// `headers`: extra headers for the answer (session id, CORS); `sse_only`: the client's
  /// Accept allows text/event-stream but not application/json.
  post_responder(std::vector<std::pair<std::string, std::string>> headers, bool sse_only);

  /// Appends what one outbound message makes the answer write. True once the answer is
  /// complete (after the response).
  bool on_message(std::string_view message, bool is_response, connection_mode mode,
                  std::string& out);

  /// Ends the answer without the session's response (call cancelled, lost, or the server is
  /// stopping): a stream ends after an optional last `error_message` event; a POST with
  /// nothing written yet gets `error_message` as JSON, or 202 without a body when empty.
  void finish(std::string_view error_message, connection_mode mode, std::string& out);

  /// The status line written so far (0 before anything was written).
  int status() const { return status_; }
  /// Body bytes written so far (for the access log).
  std::size_t body_bytes() const { return body_bytes_; }
  bool streaming() const { return state_ == state::streaming; }
  bool done() const { return state_ == state::done; }

private:
  enum class state { idle, streaming, done };
  void start_stream(connection_mode mode, std::string& out);
  void write_plain(int status, std::string_view content_type, std::string_view body,
                   connection_mode mode, std::string& out);

  std::vector<std::pair<std::string, std::string>> headers_;
  bool sse_only_;
  state state_ = state::idle;
  int status_ = 0;
  std::size_t body_bytes_ = 0;
};

} // namespace imap_mcp::http
