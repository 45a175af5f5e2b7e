#include "actors/tool_call.hpp"

#include "actors/tool_runners.hpp"
#include "protocol/tools/envelope.hpp"
#include "protocol/util/log.hpp"

namespace imap_mcp {

namespace {

struct tool_call_state {
  static inline const char* name = "tool-call";
};

tool_call_actor::behavior_type tool_call(tool_call_actor::stateful_pointer<tool_call_state> self,
                                         services_ptr svc, mcp::tool_call call, deadline_type deadline,
                                         output_sink_actor sink,
                                         std::shared_ptr<std::atomic<bool>> cancelled) {
  return {
    [=](run_atom) -> caf::result<nlohmann::json> {
      auto rp = self->make_response_promise<nlohmann::json>();
      tool_context ctx{svc, call, deadline, sink, cancelled};
      auto reply = [self, rp, received = call.received, tool = call.tool](tools::tool_result outcome) mutable {
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - received);
        if (outcome.ok()) {
          LOG_DEBUG("tool", tool << " ok in " << elapsed.count() << " ms");
          rp.deliver(tools::success_result(outcome->summary, std::move(outcome->data), elapsed));
        } else {
          LOG_DEBUG("tool", tool << " failed (" << to_string(outcome.error().code) << ") in "
                                 << elapsed.count() << " ms");
          rp.deliver(tools::error_result(outcome.error(), elapsed));
        }
        self->quit();
      };
      run_tool(self, std::move(ctx), std::move(reply));
      return rp;
    },
  };
}

} // namespace

tool_call_actor spawn_tool_call(caf::actor_system& system, services_ptr svc, mcp::tool_call call,
                                deadline_type deadline, output_sink_actor sink,
                                std::shared_ptr<std::atomic<bool>> cancelled) {
  return system.spawn(tool_call, std::move(svc), std::move(call), deadline, std::move(sink),
                      std::move(cancelled));
}

} // namespace imap_mcp
