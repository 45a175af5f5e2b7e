#pragma once

namespace imap_mcp {

/// Keeps the process's memory, which holds passwords, bearer tokens and the cursor key, out of
/// core files and away from other processes of the same user: sets the core size limit to 0
/// and marks the process non-dumpable (no core dump, no ptrace attach by the same uid, and
/// /proc/<pid>/environ readable only by root). Call once, as early as possible after the
/// secrets are loaded. Returns false when the kernel refused (the caller logs a warning).
bool protect_secrets_in_memory();

} // namespace imap_mcp
