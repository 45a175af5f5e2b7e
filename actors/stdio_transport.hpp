#pragma once

#include "actors/interfaces.hpp"

namespace imap_mcp {

/// Reads newline-delimited JSON-RPC messages from stdin on the calling thread and feeds
/// them to `session` with `sink` as the reply target. Lines longer than `max_line_bytes`
/// are discarded with a -32700 error (the rest of the stream keeps being served).
/// Returns on EOF, on a read error, or when SIGINT/SIGTERM arrive.
void run_stdio_reader(const mcp_session_actor& session, const output_sink_actor& sink,
                      std::size_t max_line_bytes);

/// Installs SIGINT/SIGTERM handlers that make run_stdio_reader return, and ignores SIGPIPE.
void install_stdio_signal_handlers();

} // namespace imap_mcp
