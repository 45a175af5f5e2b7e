#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "load/options.hpp"
#include "load/workload.hpp"
#include "protocol/imap/client.hpp"
#include "protocol/tls/tls.hpp"
#include "protocol/util/error.hpp"

/// The raw IMAP baseline: the IMAP command sequences the read tools issue, on one warm
/// connection per agent, without MCP.
namespace imap_mcp::load {

/// Where and how the raw agents connect (from the account settings the server would use).
struct raw_target {
  std::string host;
  std::uint16_t port = 0;
  std::string user;
  /// The password; copied only into the LOGIN command.
  const std::string* password = nullptr;
  std::shared_ptr<tls::client_context> tls_context;
  int connect_timeout_ms = 0;
  int io_timeout_ms = 0;
};

/// One agent's IMAP session.
class raw_session {
public:
  /// Connect, TLS handshake, greeting and LOGIN.
  static result<std::unique_ptr<raw_session>> open(const raw_target& target);

  /// Runs the IMAP part of a planned call, as the server's tool code does on a pooled
  /// connection that is already logged in:
  ///   list_mailboxes   LIST "" "*" (RETURN (SPECIAL-USE))
  ///   search           NOOP when the mailbox is selected, else EXAMINE; UID SEARCH RETURN
  ///                    (COUNT) (fresh searches, with ESEARCH); UID SEARCH; UID FETCH of the page
  ///                    (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE); a cursor page
  ///                    searches the UIDs below the previous page instead of counting
  ///   get_message      tools::fetch_message (the tool's own IMAP stage: NOOP/EXAMINE, FETCH of
  ///                    structure and header, FETCH of the text parts and, with +pdf, the PDFs)
  ///   get_message_raw  NOOP/EXAMINE, UID FETCH (RFC822.SIZE BODY.PEEK[]<0.max_bytes>)
  ///   update_flags     SELECT (read-write), UID STORE +/-FLAGS.SILENT, UID FETCH (FLAGS)
  /// MIME rendering, PDF text extraction and JSON are not done: this is the floor.
  call_outcome run(const planned_call& call, agent_state& state, const load_options& options);

  /// Makes blocked and later commands fail at once (any thread).
  void abort();
  /// LOGOUT (bounded by the io timeout).
  void logout();

private:
  explicit raw_session(std::unique_ptr<imap::client> client) : client_(std::move(client)) {}
  status search(const planned_call& call, agent_state& state, const load_options& options);

  std::unique_ptr<imap::client> client_;
};

/// The report key of an IMAP failure: its error code ("timeout", "not_found", ...).
std::string failure_key(const failure& f);

} // namespace imap_mcp::load
