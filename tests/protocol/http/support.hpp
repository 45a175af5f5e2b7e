#pragma once

// Helpers that read what the server writes, the way a client would.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace http_test {

/// A response split into status, headers (lower-case names) and raw body bytes.
struct wire_response {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

inline wire_response split_response(std::string_view wire) {
  wire_response r;
  auto head_end = wire.find("\r\n\r\n");
  auto head = wire.substr(0, head_end);
  r.body = std::string(wire.substr(head_end + 4));
  auto line_end = head.find("\r\n");
  auto status_line = head.substr(0, line_end);
  r.status = std::stoi(std::string(status_line.substr(9, 3)));
  head = line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
  while (!head.empty()) {
    auto nl = head.find("\r\n");
    auto line = head.substr(0, nl);
    auto colon = line.find(':');
    std::string name(line.substr(0, colon));
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    r.headers[name] = std::string(value);
    head = nl == std::string_view::npos ? std::string_view{} : head.substr(nl + 2);
  }
  return r;
}

/// Decodes a chunked body; `complete` tells whether the last chunk was seen.
inline std::string dechunk(std::string_view body, bool& complete) {
  std::string out;
  complete = false;
  while (!body.empty()) {
    auto nl = body.find("\r\n");
    auto size = std::stoul(std::string(body.substr(0, nl)), nullptr, 16);
    body.remove_prefix(nl + 2);
    if (size == 0) {
      complete = body == "\r\n";
      return out;
    }
    out.append(body.substr(0, size));
    body.remove_prefix(size + 2);
  }
  return out;
}

/// The data of each `event: message` event of an SSE stream.
inline std::vector<std::string> sse_messages(std::string_view stream) {
  std::vector<std::string> out;
  while (!stream.empty()) {
    auto end = stream.find("\n\n");
    auto event = stream.substr(0, end);
    stream = end == std::string_view::npos ? std::string_view{} : stream.substr(end + 2);
    std::string type, data;
    while (!event.empty()) {
      auto nl = event.find('\n');
      auto line = event.substr(0, nl);
      event = nl == std::string_view::npos ? std::string_view{} : event.substr(nl + 1);
      if (line.rfind("event: ", 0) == 0)
        type = std::string(line.substr(7));
      else if (line.rfind("data: ", 0) == 0)
        data += (data.empty() ? "" : "\n") + std::string(line.substr(6));
    }
    if (type == "message")
      out.push_back(data);
  }
  return out;
}

} // namespace http_test
