#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "protocol/util/error.hpp"

namespace imap_mcp::tools {

/// What a tool produces on success: the summary line and the envelope's data.
struct tool_output {
  std::string summary;
  nlohmann::json data;
};

/// A tool outcome: output, or a hard failure (rendered by error_result()).
using tool_result = result<tool_output>;

} // namespace imap_mcp::tools
