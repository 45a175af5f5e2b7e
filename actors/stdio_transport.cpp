#include "actors/stdio_transport.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <unistd.h>

#include "protocol/mcp/jsonrpc.hpp"
#include "protocol/util/log.hpp"

namespace imap_mcp {

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) { stop_requested = 1; }

} // namespace

void install_stdio_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; // no SA_RESTART: a blocked read() returns EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

void run_stdio_reader(const mcp_session_actor& session, const output_sink_actor& sink,
                      std::size_t max_line_bytes) {
  std::string line;
  bool discarding = false;
  char buf[64 * 1024];
  auto deliver = [&](std::string& text) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    bool blank = text.find_first_not_of(" \t") == std::string::npos;
    if (!blank) caf::anon_send(session, input_atom::value, std::move(text), sink);
    text.clear();
  };
  while (stop_requested == 0) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      LOG_ERROR("stdio", "reading stdin failed: " << std::strerror(errno));
      break;
    }
    if (n == 0) break; // EOF
    std::size_t start = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      if (buf[i] != '\n') continue;
      if (discarding) {
        discarding = false;
      } else {
        line.append(buf + start, i - start);
        if (line.size() > max_line_bytes) {
          line.clear();
          caf::anon_send(sink, output_atom::value,
                         jsonrpc::error_response(nullptr, jsonrpc::rpc_error::parse_error,
                                                 "Parse error: message exceeds the limit of " +
                                                   std::to_string(max_line_bytes) + " bytes"));
        } else {
          deliver(line);
        }
      }
      start = i + 1;
    }
    if (!discarding && start < static_cast<std::size_t>(n)) {
      line.append(buf + start, static_cast<std::size_t>(n) - start);
      if (line.size() > max_line_bytes) {
        // Too long already: drop it without buffering the rest, answer once at its end.
        line.clear();
        line.shrink_to_fit();
        discarding = true;
        caf::anon_send(sink, output_atom::value,
                       jsonrpc::error_response(nullptr, jsonrpc::rpc_error::parse_error,
                                               "Parse error: message exceeds the limit of " +
                                                 std::to_string(max_line_bytes) + " bytes"));
      }
    }
  }
  if (!discarding && !line.empty()) deliver(line);
}

} // namespace imap_mcp
