#include "protocol/http/response.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

namespace imap_mcp::http {

namespace {

void append_number(std::string& out, unsigned long long n, int base = 10) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n, base);
  (void)ec; // 24 bytes always fit a 64-bit number
  out.append(buf, end);
}

void append_head(std::string& out, int status, std::span<const header_field> headers,
                 connection_mode mode) {
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<unsigned>(status));
  out.push_back(' ');
  out.append(reason_phrase(status));
  out.append("\r\n");
  for (const auto& h : headers) {
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    out.append("\r\n");
  }
  if (mode.keep_alive) {
    out.append("Connection: keep-alive\r\n");
    if (mode.idle_seconds > 0) {
      out.append("Keep-Alive: timeout=");
      append_number(out, static_cast<unsigned>(mode.idle_seconds));
      out.append("\r\n");
    }
  } else {
    out.append("Connection: close\r\n");
  }
}

} // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
  case 100:
    return "Continue";
  case 200:
    return "OK";
  case 202:
    return "Accepted";
  case 204:
    return "No Content";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 406:
    return "Not Acceptable";
  case 408:
    return "Request Timeout";
  case 413:
    return "Content Too Large";
  case 415:
    return "Unsupported Media Type";
  case 417:
    return "Expectation Failed";
  case 429:
    return "Too Many Requests";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 503:
    return "Service Unavailable";
  case 505:
    return "HTTP Version Not Supported";
  default:
    return "Unknown";
  }
}

void write_response(std::string& out, int status, std::span<const header_field> headers,
                    std::string_view body, connection_mode mode) {
  append_head(out, status, headers, mode);
  const bool bodiless = status < 200 || status == 204 || status == 304;
  if (!bodiless) {
    out.append("Content-Length: ");
    append_number(out, body.size());
    out.append("\r\n");
  }
  out.append("\r\n");
  if (!bodiless)
    out.append(body);
}

void write_continue(std::string& out) {
  out.append("HTTP/1.1 100 Continue\r\n\r\n");
}

void write_stream_head(std::string& out, int status, std::span<const header_field> headers,
                       connection_mode mode) {
  append_head(out, status, headers, mode);
  out.append("Transfer-Encoding: chunked\r\n\r\n");
}

void write_chunk(std::string& out, std::string_view data) {
  if (data.empty())
    return;
  append_number(out, data.size(), 16);
  out.append("\r\n");
  out.append(data);
  out.append("\r\n");
}

void write_sse_message(std::string& out, std::string_view json) {
  // Frame the event in place: chunk size first, so the event is not copied twice.
  std::size_t size = sizeof("event: message\n") - 1 + 1; // + the final blank line
  std::string_view rest = json;
  while (true) {
    auto nl = rest.find_first_of("\r\n");
    size += sizeof("data: ") - 1 + (nl == std::string_view::npos ? rest.size() : nl) + 1;
    if (nl == std::string_view::npos)
      break;
    rest.remove_prefix(nl + 1);
  }
  append_number(out, size, 16);
  out.append("\r\nevent: message\n");
  rest = json;
  while (true) {
    auto nl = rest.find_first_of("\r\n");
    out.append("data: ");
    out.append(rest.substr(0, nl));
    out.push_back('\n');
    if (nl == std::string_view::npos)
      break;
    rest.remove_prefix(nl + 1);
  }
  out.append("\n\r\n");
}

void write_last_chunk(std::string& out) {
  out.append("0\r\n\r\n");
}

std::string jsonrpc_error_body(int code, std::string_view message, std::string_view id_json) {
  std::string out = "{\"jsonrpc\":\"2.0\",\"id\":";
  out.append(id_json.empty() ? std::string_view("null") : id_json);
  out.append(",\"error\":{\"code\":");
  out.append(std::to_string(code));
  out.append(",\"message\":");
  out.append(nlohmann::json(std::string(message))
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  out.append("}}");
  return out;
}

} // namespace imap_mcp::http
