// Sanitizer defaults linked into every executable of an IMAP_MCP_SANITIZE build.
//
// Why in the binary and not only in ASAN_OPTIONS: the integration tests start the server with
// an environment of their own (the MCP SDK does not inherit the parent's), so environment
// options never reach it. Options given in the environment still win over these.
//
// Every report stops the process (halt/abort), and a copy of each report goes to
// IMAP_MCP_SANITIZER_LOG.<pid> (a directory in the build tree, set by CMake) so that
// scripts/test-sanitize sees reports of servers whose stderr a test swallowed.

#if !defined(IMAP_MCP_SANITIZER_LOG) || !defined(IMAP_MCP_UBSAN_SUPPRESSIONS)
#error "IMAP_MCP_SANITIZER_LOG and IMAP_MCP_UBSAN_SUPPRESSIONS come from CMake"
#endif

extern "C" {

/// AddressSanitizer defaults (LeakSanitizer included).
const char* __asan_default_options() {
  return "abort_on_error=1:halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:"
         "check_initialization_order=1:strict_init_order=1:log_path=" IMAP_MCP_SANITIZER_LOG;
}

/// UndefinedBehaviorSanitizer defaults.
const char* __ubsan_default_options() {
  return "halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=" IMAP_MCP_SANITIZER_LOG
         ":suppressions=" IMAP_MCP_UBSAN_SUPPRESSIONS;
}

/// Leaks of third-party libraries that are not ours to fix (each one justified in
/// docs/reliability.md). None so far.
const char* __lsan_default_suppressions() {
  return "";
}

} // extern "C"
