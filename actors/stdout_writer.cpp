#include "actors/stdout_writer.hpp"

#include <cstdio>

namespace imap_mcp {

namespace {

struct stdout_writer_state {
  static inline const char* name = "stdout-writer";
};

output_sink_actor::behavior_type
stdout_writer(output_sink_actor::stateful_pointer<stdout_writer_state>) {
  return {
    [](output_atom, const std::string& line) {
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    },
    [](flush_atom) {
      std::fflush(stdout);
      return true;
    },
  };
}

} // namespace

output_sink_actor spawn_stdout_writer(caf::actor_system& system) {
  return system.spawn<caf::detached>(stdout_writer);
}

} // namespace imap_mcp
