#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace imap_mcp::tools {

using json = nlohmann::json;

/// What clients see of one tool (contract section 1) plus how the server treats it.
struct tool_definition {
  std::string name;
  std::string title;
  std::string description;
  json input_schema;
  json data_schema; ///< schema of the envelope's `data`; wrapped into the output schema
  bool read_only = true;
  bool destructive = false;
  bool idempotent = true;
  bool open_world = true;
  bool write = false; ///< gated by MAIL_IMAP_WRITE_ENABLED

  /// The tools/list entry, with the full envelope output schema and annotations.
  json to_json() const;
};

/// All tools the server lists, by name.
class registry {
public:
  void add(tool_definition def);
  const tool_definition* find(const std::string& name) const;
  const std::vector<tool_definition>& all() const { return tools_; }
  /// The cached `{"tools": [...]}` result of tools/list.
  const json& list_result() const { return list_; }

private:
  std::vector<tool_definition> tools_;
  json list_ = json{{"tools", json::array()}};
};

/// The registry of every implemented tool.
const registry& builtin_registry();

/// Reusable schema fragments.
namespace schema {
json account_id();      ///< optional account id property
json mailbox(const char* description);
json issues();          ///< data.issues
json next_action();     ///< data.next_action
json status();          ///< data.status
json object(json properties, std::vector<std::string> required); ///< closed object
} // namespace schema

} // namespace imap_mcp::tools
