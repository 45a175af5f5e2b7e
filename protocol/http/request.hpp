#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imap_mcp::http {

/// One parsed HTTP/1.x request. Header names are lower case; values keep their bytes with
/// surrounding blanks removed. Repeated headers stay separate entries in arrival order.
struct request {
  std::string method; ///< e.g. "POST" (as http-parser names it)
  std::string target; ///< request-target as sent, e.g. "/mcp?x=1"
  std::string path;   ///< target without query or fragment, e.g. "/mcp"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  unsigned short version_major = 1;
  unsigned short version_minor = 1;
  /// Whether the connection may stay open after the answer (HTTP/1.1 default, or
  /// HTTP/1.0 with keep-alive), as the client asked.
  bool keep_alive = true;

  /// The first header of that (lower-case) name, or nullptr.
  const std::string* header(std::string_view lower_name) const;
  /// How many headers of that (lower-case) name were sent.
  std::size_t header_count(std::string_view lower_name) const;
  /// Empties the request for reuse, keeping small buffers and dropping large ones.
  void clear();
};

} // namespace imap_mcp::http
