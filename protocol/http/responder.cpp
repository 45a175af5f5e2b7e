#include "protocol/http/responder.hpp"

namespace imap_mcp::http {

namespace {

/// The response headers: fixed ones first, then the caller's.
template <class F>
void with_headers(const std::vector<std::pair<std::string, std::string>>& extra,
                  std::initializer_list<header_field> fixed, F&& write) {
  header_field buf[16];
  std::size_t n = 0;
  for (const auto& h : fixed)
    if (n < std::size(buf))
      buf[n++] = h;
  for (const auto& [name, value] : extra)
    if (n < std::size(buf))
      buf[n++] = {name, value};
  write(std::span<const header_field>(buf, n));
}

} // namespace

post_responder::post_responder(std::vector<std::pair<std::string, std::string>> headers,
                               bool sse_only)
    : headers_(std::move(headers)), sse_only_(sse_only) {}

void post_responder::start_stream(connection_mode mode, std::string& out) {
  with_headers(headers_,
               {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache, no-transform"}},
               [&](std::span<const header_field> h) { write_stream_head(out, 200, h, mode); });
  state_ = state::streaming;
  status_ = 200;
}

void post_responder::write_plain(int status, std::string_view content_type, std::string_view body,
                                 connection_mode mode, std::string& out) {
  if (content_type.empty())
    with_headers(headers_, {}, [&](std::span<const header_field> h) {
      write_response(out, status, h, body, mode);
    });
  else
    with_headers(headers_, {{"Content-Type", content_type}}, [&](std::span<const header_field> h) {
      write_response(out, status, h, body, mode);
    });
  status_ = status;
  body_bytes_ += body.size();
  state_ = state::done;
}

bool post_responder::on_message(std::string_view message, bool is_response, connection_mode mode,
                                std::string& out) {
  if (state_ == state::done)
    return true;
  if (state_ == state::idle) {
    if (is_response && !sse_only_) {
      write_plain(200, "application/json", message, mode, out);
      return true;
    }
    start_stream(mode, out);
  }
  const auto before = out.size();
  write_sse_message(out, message);
  if (is_response) {
    write_last_chunk(out);
    state_ = state::done;
  }
  body_bytes_ += out.size() - before;
  return state_ == state::done;
}

void post_responder::finish(std::string_view error_message, connection_mode mode,
                            std::string& out) {
  if (state_ == state::done)
    return;
  if (state_ == state::idle) {
    if (error_message.empty())
      write_plain(202, {}, {}, mode, out);
    else
      write_plain(200, "application/json", error_message, mode, out);
    return;
  }
  const auto before = out.size();
  if (!error_message.empty())
    write_sse_message(out, error_message);
  write_last_chunk(out);
  body_bytes_ += out.size() - before;
  state_ = state::done;
}

} // namespace imap_mcp::http
