#include "actors/mcp_session.hpp"

#include <unordered_map>

#include "actors/deadline_watch.hpp"
#include "actors/tool_call.hpp"
#include "config/defaults.hpp"
#include "config/version.hpp"
#include "protocol/mcp/dispatcher.hpp"
#include "protocol/tools/envelope.hpp"
#include "protocol/util/log.hpp"

namespace imap_mcp {

namespace {

using json = nlohmann::json;

struct pending_call {
  json id;
  tool_call_actor actor;
  output_sink_actor sink;
  std::optional<std::size_t> batch;
  std::shared_ptr<std::atomic<bool>> cancelled;
  /// The call's deadline plus a margin: the watchdog answers for a call still open by then.
  deadline_type due;
  clock_type::time_point received;
  std::string tool;
};

struct pending_batch {
  std::vector<json> responses;
  std::size_t remaining = 0;
  output_sink_actor sink;
};

struct mcp_session_state {
  static inline const char* name = "mcp-session";
  services_ptr svc;
  std::unique_ptr<mcp::dispatcher> protocol;
  /// Calls in flight by serialized request id.
  std::unordered_map<std::string, pending_call> calls;
  std::unordered_map<std::size_t, pending_batch> batches;
  /// The client closed its input: finish the calls in flight, then stop.
  bool closing = false;
  /// One tick armed at or before the earliest `due` of the calls in flight.
  deadline_watch watch;
};

using session_ptr = mcp_session_actor::stateful_pointer<mcp_session_state>;

/// Sends a finished call's response, or folds it into its batch.
void finish(session_ptr self, const std::string& key, json result) {
  auto it = self->state.calls.find(key);
  if (it == self->state.calls.end()) return; // cancelled meanwhile: no response
  auto call = std::move(it->second);
  self->state.calls.erase(it);
  if (self->state.closing && self->state.calls.empty()) self->quit();
  if (!call.batch) {
    self->send(call.sink, output_atom::value, mcp::dispatcher::tool_response(call.id, result));
    return;
  }
  auto b = self->state.batches.find(*call.batch);
  if (b == self->state.batches.end()) return;
  b->second.responses.push_back(jsonrpc::result_object(call.id, result));
  if (--b->second.remaining == 0) {
    self->send(b->second.sink, output_atom::value, jsonrpc::dump(json(b->second.responses)));
    self->state.batches.erase(b);
  }
}

void watch_calls(session_ptr self, deadline_type due) {
  if (!self->state.watch.arm(due)) return;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(due - clock_type::now());
  self->delayed_send(self, std::max(left, std::chrono::milliseconds(0)) + std::chrono::milliseconds(1),
                     tick_atom::value);
}

/// The watchdog: a tool_call answers by its deadline itself; a call still open at its deadline
/// plus the margin (a lost answer, a stuck stage) is answered here, so the client always
/// hears back, and its actor is stopped.
void expire_calls(session_ptr self) {
  auto& st = self->state;
  const auto now = clock_type::now();
  st.watch.fired(now);
  std::vector<std::string> late;
  std::optional<deadline_type> earliest;
  for (const auto& [key, call] : st.calls) {
    if (call.due <= now) late.push_back(key);
    else if (!earliest || call.due < *earliest) earliest = call.due;
  }
  for (const auto& key : late) {
    auto it = st.calls.find(key);
    if (it == st.calls.end()) continue;
    it->second.cancelled->store(true);
    self->send_exit(it->second.actor, caf::exit_reason::user_shutdown);
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - it->second.received);
    LOG_WARN("session", "call " << it->second.tool << " ended without a result by its deadline");
    finish(self, key,
           tools::error_result(make_failure(error_code::timeout, "tool call exceeded its deadline", "deadline", true),
                               elapsed));
  }
  if (earliest) watch_calls(self, *earliest);
}

void start_call(session_ptr self, mcp::tool_call call, const output_sink_actor& sink) {
  const std::string key = call.id.dump();
  if (self->state.calls.count(key) != 0) {
    self->send(sink, output_atom::value,
               jsonrpc::error_response(call.id, jsonrpc::rpc_error::invalid_request,
                                       "Invalid Request: a request with this id is still in flight"));
    return;
  }
  const auto timeout = std::chrono::milliseconds(self->state.svc->config->tool_timeout_ms);
  const auto deadline = call.received + timeout;
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  auto actor = spawn_tool_call(self->system(), self->state.svc, call, deadline, sink, cancelled);
  const auto due = deadline + std::chrono::milliseconds(defaults::deadline_margin_ms);
  self->state.calls.emplace(key, pending_call{call.id, actor, sink, call.batch, cancelled, due, call.received,
                                              call.tool});
  const auto received = call.received;
  const std::string tool = call.tool;
  // The tool_call actor answers by the deadline itself; the session's watchdog (one timer for
  // all calls, not a request timeout per call) guards against a lost answer.
  watch_calls(self, due);
  self->request(actor, caf::infinite, run_atom::value)
    .then(
      [self, key](json& result) { finish(self, key, std::move(result)); },
      [self, key, received, tool](caf::error& err) {
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - received);
        LOG_WARN("session", "call " << tool << " ended without a result: " << self->system().render(err));
        finish(self, key,
               tools::error_result(
                 make_failure(error_code::internal, "tool call failed unexpectedly", "internal", true), elapsed));
      });
}

mcp_session_actor::behavior_type mcp_session(session_ptr self, services_ptr svc) {
  self->state.svc = svc;
  mcp::server_options options;
  options.version = version;
  options.write_enabled = svc->config->write_enabled;
  options.limits = {defaults::max_message_bytes, defaults::max_json_depth};
  self->state.protocol = std::make_unique<mcp::dispatcher>(tools::builtin_registry(), options);
  return {
    [self](input_atom, const std::string& raw, const output_sink_actor& sink) {
      auto fx = self->state.protocol->handle(raw);
      for (auto& line : fx.replies) self->send(sink, output_atom::value, std::move(line));
      for (const auto& id : fx.cancelled) {
        auto it = self->state.calls.find(id.dump());
        if (it == self->state.calls.end()) continue;
        LOG_DEBUG("session", "cancelled request " << id.dump());
        it->second.cancelled->store(true);
        self->send_exit(it->second.actor, caf::exit_reason::user_shutdown);
        if (it->second.batch) {
          // A cancelled member of a batch still needs a slot; answer it as cancelled.
          auto key = it->first;
          finish(self, key,
                 tools::error_result(make_failure(error_code::internal, "request cancelled", "cancelled"),
                                     std::chrono::milliseconds(0)));
        } else {
          self->state.calls.erase(it);
        }
      }
      if (fx.batch)
        self->state.batches[*fx.batch] =
          pending_batch{std::move(fx.batch_responses), fx.calls.size(), sink};
      for (auto& call : fx.calls) start_call(self, std::move(call), sink);
    },
    [self](tick_atom) { expire_calls(self); },
    [self](close_atom) {
      // Answers already being computed are still delivered; the transport bounds how
      // long it waits for them.
      self->state.closing = true;
      if (self->state.calls.empty()) self->quit();
    },
  };
}

} // namespace

mcp_session_actor spawn_mcp_session(caf::actor_system& system, services_ptr svc) {
  return system.spawn(mcp_session, std::move(svc));
}

} // namespace imap_mcp
