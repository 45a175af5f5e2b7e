#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "load/options.hpp"

/// The agent script: which call comes next, with which arguments, and what its answer means.
/// Pure code shared by the MCP agents and the raw IMAP agents.
namespace imap_mcp::load {

/// A message an agent learned from a search page.
struct known_message {
  std::string message_id;
  std::uint32_t uidvalidity = 0;
  std::uint32_t uid = 0;
  bool has_attachments = false;
};

/// What one agent remembers between its calls.
struct agent_state {
  explicit agent_state(std::uint64_t seed) : rng(seed) {}
  std::mt19937_64 rng;
  /// Messages of the last search page.
  std::vector<known_message> messages;
  /// The last fresh search's next_cursor (MCP) or its lowest UID (raw IMAP: the next page is
  /// the UIDs below it), when it had more.
  std::optional<std::string> cursor;
  std::uint32_t raw_before_uid = 0;
  /// The mailbox's UIDVALIDITY as last seen.
  std::uint32_t uidvalidity = 0;
  /// Keyword state per UID for the write mix (true: the keyword was added last).
  std::map<std::uint32_t, bool> keyword_set;
};

/// One call an agent is about to make.
struct planned_call {
  op_kind op = op_kind::list_accounts;
  /// Report row: the tool name, "+cursor" for a next page, "+pdf" for attachment extraction.
  std::string operation;
  bool cursor_page = false;
  bool extract_pdf = false;
  /// The message read or changed (get_message, get_message_raw, update_flags).
  std::optional<known_message> target;
  /// update_flags: add (true) or remove the keyword.
  bool add_keyword = true;
};

/// Picks an operation by weight (weights need not sum to 1; at least one must be > 0).
op_kind pick_op(const std::map<op_kind, double>& mix, std::mt19937_64& rng);

/// Plans the next call: an operation that needs a message becomes a fresh search while the
/// agent knows none; searches follow the cursor with options.page_fraction; get_message
/// extracts PDF text with options.pdf_fraction (preferring a message with attachments).
planned_call plan_call(op_kind op, agent_state& state, const load_options& options);

/// The message id of the contract: imap:{account}:{mailbox}:{uidvalidity}:{uid}.
std::string format_message_id(const std::string& account, const std::string& mailbox,
                              std::uint32_t uidvalidity, std::uint32_t uid);

/// tools/call params of a planned call.
nlohmann::json tool_call_params(const planned_call& call, const agent_state& state,
                                const load_options& options);

/// What an answer meant for the report.
struct call_outcome {
  /// Empty: a usable answer. Otherwise the error key (see op_stats::errors).
  std::string error;
  /// data.status was "partial".
  bool partial = false;
  /// For an error: the answer said it may be retried (a hard error's details.retryable, or
  /// retryable true on every issue of a soft failure; never for a JSON-RPC error).
  bool retryable = false;
};

/// Classifies a JSON-RPC response to tools/call: a JSON-RPC error is "rpc:<code>", an isError
/// result its error.code, a soft result with data.status "failed" "failed:<first issue
/// code>"; ok and partial are answers.
call_outcome classify_tool_response(const nlohmann::json& response);

/// Classifies a response to a method other than tools/call (initialize, tools/list).
call_outcome classify_rpc_response(const nlohmann::json& response);

/// Learns message ids, UIDVALIDITY and the cursor from a search answer (its structuredContent).
/// The cursor is kept only while the answer says has_more (a fresh search replaces it, the
/// last page clears it).
void learn_from_search(agent_state& state, const nlohmann::json& structured);

} // namespace imap_mcp::load
