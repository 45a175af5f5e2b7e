#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace imap_mcp::http {

/// What an inbound POST body asks the transport to do.
enum class body_kind {
  invalid,       ///< not a JSON-RPC message: answer 400 with error_code/error_message
  requests,      ///< holds requests (or batch members the session answers): one answer follows
  notifications, ///< only notifications and/or client responses: answer 202, no body
};

/// One request found in a POST body.
struct inbound_request {
  std::string id;     ///< the id serialized as JSON, e.g. `7` or `"a"`
  std::string method; ///< empty when not a string
  std::string tool;   ///< params.name of a tools/call (empty otherwise)
};

/// The transport's view of one POST body, mirroring the session's dispatcher closely enough
/// to know whether an answer will come (the dispatcher stays the judge of everything else).
struct body_info {
  body_kind kind = body_kind::invalid;
  bool batch = false;
  std::vector<inbound_request> requests;
  /// A single `initialize` request: the only body allowed without a session.
  bool initialize = false;
  /// params.protocolVersion of that initialize (empty if absent or not a string).
  std::string requested_version;
  /// Serialized request ids of notifications/cancelled in the body.
  std::vector<std::string> cancelled;
  /// For `invalid`: JSON-RPC error code (-32700 or -32600) and message.
  int error_code = 0;
  std::string error_message;
};

/// Classifies a POST body. `batches_allowed` is true only for a session that negotiated
/// 2025-03-26; otherwise a JSON array is `invalid` (-32600). Never throws.
body_info classify_body(std::string_view body, std::size_t max_bytes, int max_depth,
                        bool batches_allowed);

/// The result of one tools/call as seen in its response: ok, partial or failed (the
/// envelope's data.status), error (isError), or rpc_error (a JSON-RPC error).
struct outbound_response {
  std::string id; ///< serialized as JSON, e.g. `7`, `"a"`, `null`
  std::string status;
};

/// An outbound message the session sent to a sink.
struct outbound_info {
  /// A response (or a batch of them) rather than a notification.
  bool response = false;
  /// One entry per response (several for a batch array).
  std::vector<outbound_response> responses;
};

/// Classifies an outbound message with a streaming (SAX) pass: no document is built, so it
/// is cheap even for large results. Unparsable input counts as a response without entries.
outbound_info classify_outbound(std::string_view message);

/// Which answer formats the client's `Accept` header allows.
struct accept_info {
  bool json = false; ///< application/json (or a wildcard)
  bool sse = false;  ///< text/event-stream (or a wildcard)
};

/// Parses `Accept` leniently: a missing or empty header allows both formats.
accept_info parse_accept(const std::string* accept);

/// Whether an `MCP-Protocol-Version` header value names a supported version.
bool protocol_version_supported(std::string_view value);

/// The version a session runs after `initialize` asked for `requested` (the dispatcher's
/// rule: supported versions are kept, anything else gets the preferred version).
std::string negotiated_version(std::string_view requested);

} // namespace imap_mcp::http
