#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/util/error.hpp"

/// A small blocking HTTP/1.1 client for the load harness: keep-alive, Content-Length and
/// chunked bodies, Server-Sent Events. One connection per agent, used by one thread.
namespace imap_mcp::load {

/// One parsed HTTP response.
struct http_response {
  int status = 0;
  /// Header names in lower case; a repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  std::string body;
  /// The header's value, or "" when absent (name in lower case).
  std::string header(const std::string& name) const;
  /// True when the server will close the connection after this response.
  bool closes() const;
};

/// Byte-fed, resumable parser of one HTTP/1.1 response (status line, headers, then a body
/// framed by Content-Length, chunked encoding, or the end of the connection). Interim 1xx
/// responses are skipped. Limits keep a broken peer from growing memory without bound.
class response_parser {
public:
  /// What feed() found.
  enum class state { need_more, done, error };

  /// `max_head` bounds the status line and headers, `max_body` the body.
  explicit response_parser(std::size_t max_head = 64 * 1024,
                           std::size_t max_body = 64 * 1024 * 1024);

  /// Consumes bytes; returns done once a whole response is parsed (bytes after it are kept
  /// for the next response: see take_rest()), error on malformed input (see error_text()).
  state feed(std::string_view bytes);
  /// Tells the parser the peer closed: completes a read-until-close body, else an error.
  state finish();
  /// The parsed response (valid after done).
  http_response& response() { return response_; }
  /// Bytes received after the end of the parsed response.
  std::string take_rest() { return std::exchange(buffer_, {}); }
  /// Why parsing failed.
  const std::string& error_text() const { return error_; }
  /// True when no byte of a response was seen yet.
  bool pristine() const { return pristine_; }
  /// Prepares for the next response. `no_body` for answers to HEAD (none are sent here).
  void reset();

private:
  enum class phase {
    head,
    body_length,
    chunk_size,
    chunk_data,
    chunk_crlf,
    trailers,
    until_close,
    complete,
    failed
  };
  state fail(std::string why);
  state parse_head();
  state run();

  std::size_t max_head_, max_body_;
  phase phase_ = phase::head;
  std::string buffer_;
  std::size_t remaining_ = 0;
  http_response response_;
  std::string error_;
  bool pristine_ = true;
};

/// The `data` payloads of the events of a text/event-stream body, in order (multi-line data
/// joined with "\n", comments and other fields ignored).
std::vector<std::string> sse_data(std::string_view body);

/// Outcome class of a failed exchange, used as the report's transport error key.
enum class transport_failure { connect, timeout, closed, protocol, aborted };

/// The report key of a transport failure ("connect", "timeout", ...).
const char* failure_key(transport_failure f);

/// A failed exchange: its class and a human message.
struct http_error {
  transport_failure kind = transport_failure::protocol;
  std::string message;
};

/// One keep-alive HTTP/1.1 connection to host:port, reconnecting when the server closed it.
/// Used by one thread; abort() may be called from any other thread.
class http_connection {
public:
  http_connection(std::string host, std::uint16_t port, int connect_timeout_ms,
                  int request_timeout_ms);
  ~http_connection();
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  /// Sends one request and reads its whole response. `headers` are added to Host,
  /// Content-Length and Connection: keep-alive. A reused connection that the server had
  /// closed before reading the request is reopened once, transparently.
  std::pair<http_response, std::optional<http_error>>
  request(const std::string& method, const std::string& path,
          const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body);
  /// Makes the blocked and every later request fail at once.
  void abort();
  /// Closes the connection (the next request reconnects).
  void close();
  /// Connections opened so far.
  std::uint64_t connects() const { return connects_; }

private:
  std::optional<http_error> open();
  std::optional<http_error> exchange(const std::string& wire, http_response& out,
                                     bool& nothing_received);

  std::string host_;
  std::uint16_t port_;
  int connect_timeout_ms_, request_timeout_ms_;
  /// Guards fd_ against abort() racing close(): a closed number may be reused at once.
  std::mutex fd_mutex_;
  int fd_ = -1;
  std::atomic<bool> aborted_{false};
  std::uint64_t connects_ = 0;
  std::string leftover_;
};

} // namespace imap_mcp::load
