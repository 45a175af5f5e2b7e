#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace imap_mcp::tools {

/// Validates tool arguments against the subset of JSON Schema our input schemas use:
/// type (object, string, integer, number, boolean, array), properties, required,
/// additionalProperties: false, minLength/maxLength (in Unicode code points),
/// minimum/maximum, enum, items, minItems/maxItems, pattern (only simple character-class
/// patterns: anchored `^[...]{m,n}$` / `^[...]+$`).
/// Beyond the schema, every string must be valid UTF-8 without ASCII control characters:
/// nothing in a tool argument may carry CR, LF or NUL towards an IMAP server.
/// Returns the first violation as a readable sentence naming the argument, or nullopt.
std::optional<std::string> validate_arguments(const nlohmann::json& schema,
                                              const nlohmann::json& arguments);

/// Number of Unicode code points of valid UTF-8 text; nullopt when invalid.
std::optional<std::size_t> utf8_length(std::string_view text);

} // namespace imap_mcp::tools
