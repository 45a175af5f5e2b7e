#include "config/process_guard.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

namespace imap_mcp {

bool protect_secrets_in_memory() {
  // Both: RLIMIT_CORE alone does not stop a core_pattern pipe handler (systemd-coredump,
  // apport) from receiving the memory image; PR_SET_DUMPABLE=0 does.
  const rlimit none{0, 0};
  const bool no_core = ::setrlimit(RLIMIT_CORE, &none) == 0;
  const bool not_dumpable = ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
  return no_core && not_dumpable;
}

} // namespace imap_mcp
