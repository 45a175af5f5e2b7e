#pragma once

#include <span>
#include <string>
#include <string_view>

namespace imap_mcp::http {

/// One response header; the views must stay valid for the call that writes it.
struct header_field {
  std::string_view name;
  std::string_view value;
};

/// Whether the connection stays open after a response, and for how long it may idle.
struct connection_mode {
  bool keep_alive = true;
  int idle_seconds = 0; ///< sent as `Keep-Alive: timeout=N` when keeping alive and > 0
};

/// The standard reason phrase of a status code ("Unknown" for codes we never send).
std::string_view reason_phrase(int status);

/// Appends a complete response with `Content-Length` (no body for 1xx, 204 and 304).
void write_response(std::string& out, int status, std::span<const header_field> headers,
                    std::string_view body, connection_mode mode);

/// Appends `HTTP/1.1 100 Continue` (the interim answer to `Expect: 100-continue`).
void write_continue(std::string& out);

/// Appends the head of a streamed response (`Transfer-Encoding: chunked`); the body
/// follows as write_chunk()/write_sse_message() and ends with write_last_chunk().
void write_stream_head(std::string& out, int status, std::span<const header_field> headers,
                       connection_mode mode);

/// Appends one chunk of a chunked body (nothing for empty data: that would end the body).
void write_chunk(std::string& out, std::string_view data);

/// Appends one server-sent event `event: message` carrying a JSON-RPC message, framed as
/// one chunk. Line breaks inside the message become separate `data:` lines.
void write_sse_message(std::string& out, std::string_view json);

/// Appends the terminating zero-length chunk.
void write_last_chunk(std::string& out);

/// A compact JSON-RPC error object `{"jsonrpc":"2.0","id":null,"error":{...}}` for answers
/// the transport gives itself (bad request, unknown session, limits). `id_json` is the
/// serialized request id or "null".
std::string jsonrpc_error_body(int code, std::string_view message,
                               std::string_view id_json = "null");

} // namespace imap_mcp::http
