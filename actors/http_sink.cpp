#include "actors/http_sink.hpp"

namespace imap_mcp {

namespace {

struct http_sink_state {
  static inline const char* name = "http-sink";
};

output_sink_actor::behavior_type
http_sink(output_sink_actor::stateful_pointer<http_sink_state> self, http_server_actor server,
          std::uint64_t exchange) {
  return {
      [self, server, exchange](output_atom, std::string& message) {
        if (exchange == 0)
          return; // the body expected no answer; nothing is waiting for one
        http_outbound out;
        out.exchange = exchange;
        out.info = http::classify_outbound(message);
        out.message = std::move(message);
        const bool last = out.info.response;
        self->send(server, http_out_atom::value, std::move(out));
        if (last)
          self->quit();
      },
      [](flush_atom) { return true; },
  };
}

} // namespace

output_sink_actor spawn_http_sink(caf::actor_system& system, http_server_actor server,
                                  std::uint64_t exchange) {
  return system.spawn(http_sink, std::move(server), exchange);
}

} // namespace imap_mcp
