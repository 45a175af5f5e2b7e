#pragma once

#include <cstddef>
#include <string_view>

#include "protocol/pdf/pdf.hpp"

/// Internals shared by isolated.cpp and zygote.cpp; not for use outside this folder.
namespace imap_mcp::pdf::detail {

/// Body of a PDF reader process, whoever forked it (the server directly, or the zygote): resets
/// signals, keeps only `fd` (moved to descriptor 3), points stdin/stdout/stderr at /dev/null,
/// applies the address-space cap (0: none), runs extract_text and writes its frames to `fd`,
/// then leaves with _exit. Never returns, never throws.
[[noreturn]] void run_reader(int fd, std::string_view data, const pdf_limits& limits,
                             std::size_t address_space_cap) noexcept;

/// Points stdin, stdout and stderr at /dev/null (closes them if it cannot be opened), in a
/// reader or the zygote: stdout may be the MCP channel, and poppler's last words ("Out of memory"
/// before abort) are not worth a log line. Async-signal-safe calls only.
void stdio_to_dev_null() noexcept;

/// Virtual size of the calling process in bytes, the base of a reader's address-space cap
/// (0 if unknown). Uses stdio: call it before forking from a multithreaded process, never in a
/// child of one.
std::size_t current_address_space();

} // namespace imap_mcp::pdf::detail
