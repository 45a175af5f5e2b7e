#pragma once

// Every typed actor interface of imap-mcp, one comment line per handler. Reading this file
// teaches the whole topology:
//
//   transport (stdio reader / HTTP) --input--> mcp_session --run--> tool_call
//   tool_call --imap_job--> account --imap_job--> imap_connection (own thread, blocking TLS)
//   tool_call --parse--> mime pool, --extract--> pdf pool
//   mcp_session / tool_call --output--> output_sink (stdout writer / HTTP responder)

#include <any>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "protocol/http/messages.hpp"
#include "protocol/util/error.hpp"

namespace imap_mcp::imap {
class client;
} // namespace imap_mcp::imap

namespace imap_mcp::tools {
struct message_fetch;
struct get_message_args;
struct rendered_message;
} // namespace imap_mcp::tools

namespace imap_mcp {

// -- atoms (at most 10 characters) -------------------------------------------------------

using input_atom = caf::atom_constant<caf::atom("input")>;
using output_atom = caf::atom_constant<caf::atom("output")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using close_atom = caf::atom_constant<caf::atom("close")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using status_atom = caf::atom_constant<caf::atom("status")>;

// -- message types -------------------------------------------------------------------------

using clock_type = std::chrono::steady_clock;
using deadline_type = clock_type::time_point;

/// Work for one IMAP connection: runs on the connection's own thread with exclusive use of
/// its logged-in client. `run` must stay within `deadline`; the owner aborts the
/// connection when it does not.
struct imap_job {
  std::function<result<std::any>(imap::client&)> run;
  deadline_type deadline;
  /// Set by the caller to stop batch work between messages.
  std::shared_ptr<std::atomic<bool>> cancelled;
  /// Open a new IMAP session for this job (imap_verify_account tests the full login).
  bool fresh_session = false;
  /// The job only reads: when the server drops a reused session under it (e.g. Dovecot
  /// closes sessions whose mailbox was deleted and recreated), run it once more on a new one.
  bool retry_on_new_session = false;
};

/// The answer to an imap_job: the job's value, or a failure (timeout and connection
/// failures are retryable).
struct imap_reply {
  std::optional<failure> error;
  std::any value;
  /// The connection that ran the job has ended with it (its session failed to open, or was
  /// lost): it takes no further job. Its down message may come later than the next job would.
  bool connection_ended = false;
};

/// Work for the MIME parser pool: render one fetched message.
struct mime_job {
  std::shared_ptr<const tools::message_fetch> fetch;
  std::shared_ptr<const tools::get_message_args> args;
  /// The call's deadline: a job still waiting for a worker by then is refused (null reply).
  deadline_type deadline;
};

/// Work for the PDF extractor pool: extract the text of fetch->pdfs[index].
struct pdf_job {
  std::shared_ptr<const tools::message_fetch> fetch;
  std::size_t index = 0;
  std::size_t max_chars = 0;
  deadline_type deadline;
};

/// The PDF pool's answer: text, or the failure to report as an issue.
struct pdf_reply {
  std::string section;
  std::optional<failure> error;
  std::string text;
  bool truncated = false;
};

/// A pool snapshot for diagnostics and metrics.
struct account_stats {
  int connections = 0;
  int busy = 0;
  int queued = 0;
  long long restarts = 0;
};

// -- interfaces ----------------------------------------------------------------------------

/// Receives serialized JSON-RPC messages for one client.
using output_sink_actor = caf::typed_actor<
  // Deliver one compact JSON-RPC message (response or notification).
  caf::reacts_to<output_atom, std::string>,
  // Answer once every message sent before has been written.
  caf::replies_to<flush_atom>::with<bool>>;

/// One MCP session (one per stdio process, one per Mcp-Session-Id over HTTP).
using mcp_session_actor = caf::typed_actor<
  // One raw inbound message; responses and notifications go to the given sink.
  caf::reacts_to<input_atom, std::string, output_sink_actor>,
  // The client went away: cancel every call in flight and stop.
  caf::reacts_to<close_atom>,
  // Timer: answer calls still open past their deadline (the watchdog).
  caf::reacts_to<tick_atom>>;

/// One running tools/call.
using tool_call_actor = caf::typed_actor<
  // Run the call; answers with the CallToolResult (success or isError) by its deadline.
  caf::replies_to<run_atom>::with<nlohmann::json>>;

/// One configured IMAP account: supervises its pool of connections.
using account_actor = caf::typed_actor<
  // Queue a job for the next idle connection (FIFO); answers by the job's deadline.
  caf::replies_to<imap_job>::with<imap_reply>,
  // Pool snapshot.
  caf::replies_to<status_atom>::with<account_stats>,
  // Timer: expire queued jobs past their deadline, close connections idle too long.
  caf::reacts_to<tick_atom>,
  // Log out every connection and stop.
  caf::reacts_to<shutdown_atom>>;

/// One IMAP connection (detached: blocking I/O on its own thread). It quits when its
/// IMAP session breaks; the account sees the exit and replaces it.
using imap_connection_actor = caf::typed_actor<
  // Run a job on this connection's logged-in client (connects and logs in first if
  // needed; checks a long-idle session with NOOP first).
  caf::replies_to<imap_job>::with<imap_reply>,
  // LOGOUT (bounded) and stop.
  caf::reacts_to<shutdown_atom>>;

/// One worker of the MIME PARSER POOL (detached: CPU-bound vmime/gumbo work).
using mime_worker_actor = caf::typed_actor<
  // Decode headers, transfer encodings and charsets; pick, sanitize and render the body.
  caf::replies_to<mime_job>::with<std::shared_ptr<const tools::rendered_message>>>;

/// One worker of the PDF EXTRACTOR POOL (detached: CPU-bound poppler work).
using pdf_worker_actor = caf::typed_actor<
  // Extract one PDF's text, bounded by bytes, pages, characters and the job's deadline.
  caf::replies_to<pdf_job>::with<pdf_reply>>;

} // namespace imap_mcp

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(nlohmann::json)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(imap_mcp::mime_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(imap_mcp::pdf_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(imap_mcp::pdf_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const imap_mcp::tools::rendered_message>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(imap_mcp::imap_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(imap_mcp::imap_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(imap_mcp::account_stats)

// -- Streamable HTTP transport (actors/http_*) ---------------------------------------------
//
//   client --TCP--> http server (io broker: parse, route, sessions) --input--> mcp_session
//   mcp_session --output--> http sink (one per POST: classifies) --http_out--> http server

namespace imap_mcp {

using http_out_atom = caf::atom_constant<caf::atom("http_out")>;

/// A session's message for one HTTP POST, classified by that POST's sink so the broker
/// thread never parses results.
struct http_outbound {
  std::uint64_t exchange = 0; ///< the POST it belongs to
  std::string message;        ///< compact JSON-RPC (response or notification)
  http::outbound_info info;
};

/// The HTTP server (a CAF io broker owning the listening socket and every connection), as
/// the runner and the per-POST sinks see it.
using http_server_actor = caf::typed_actor<
  // A session's message for a POST in flight (sent by that POST's sink).
  caf::reacts_to<http_out_atom, http_outbound>,
  // The bound port, once listening (the broker quits with an error when binding fails).
  caf::replies_to<status_atom>::with<std::uint16_t>,
  // Stop accepting, finish POSTs in flight within the drain budget, close the sessions.
  caf::replies_to<shutdown_atom>::with<bool>,
  // Timer: idle and slow connections, POST deadlines, idle sessions, drain progress.
  caf::reacts_to<tick_atom>>;

} // namespace imap_mcp

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(imap_mcp::http_outbound)
