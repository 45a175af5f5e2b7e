#include "protocol/tools/registry.hpp"

#include "protocol/tools/catalog.hpp"

namespace imap_mcp::tools {

json tool_definition::to_json() const {
  json output = {
    {"type", "object"},
    {"properties",
     {{"summary", {{"type", "string"}}},
      {"data", data_schema},
      {"meta",
       {{"type", "object"},
        {"properties",
         {{"now_utc", {{"type", "string"}}}, {"duration_ms", {{"type", "integer"}}}}},
        {"required", {"now_utc", "duration_ms"}}}}}},
    {"required", {"summary", "data", "meta"}}};
  return json{{"name", name},
              {"title", title},
              {"description", description},
              {"inputSchema", input_schema},
              {"outputSchema", std::move(output)},
              {"annotations",
               {{"title", title},
                {"readOnlyHint", read_only},
                {"destructiveHint", destructive},
                {"idempotentHint", idempotent},
                {"openWorldHint", open_world}}}};
}

void registry::add(tool_definition def) {
  list_["tools"].push_back(def.to_json());
  tools_.push_back(std::move(def));
}

const tool_definition* registry::find(const std::string& name) const {
  for (const auto& t : tools_)
    if (t.name == name) return &t;
  return nullptr;
}

const registry& builtin_registry() {
  static const registry instance = [] {
    registry r;
    for (auto& def : catalog()) r.add(std::move(def));
    return r;
  }();
  return instance;
}

namespace schema {

json account_id() {
  return {{"type", "string"},
          {"minLength", 1},
          {"maxLength", 64},
          {"pattern", "^[A-Za-z0-9_-]+$"},
          {"default", "default"},
          {"description", "Account id from imap_list_accounts (default: \"default\")."}};
}

json mailbox(const char* description) {
  return {{"type", "string"}, {"minLength", 1}, {"maxLength", 256}, {"description", description}};
}

json issues() {
  return {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"properties",
             {{"code", {{"type", "string"}}},
              {"stage", {{"type", "string"}}},
              {"message", {{"type", "string"}}},
              {"retryable", {{"type", "boolean"}}},
              {"uid", {{"type", "integer"}}},
              {"message_id", {{"type", "string"}}}}},
            {"required", {"code", "stage", "message", "retryable"}}}}};
}

json next_action() {
  return {{"type", "object"},
          {"properties",
           {{"instruction", {{"type", "string"}}},
            {"tool", {{"type", "string"}}},
            {"arguments", {{"type", "object"}}}}},
          {"required", {"instruction", "tool", "arguments"}}};
}

json status() { return {{"type", "string"}, {"enum", {"ok", "partial", "failed"}}}; }

json object(json properties, std::vector<std::string> required) {
  json o = {{"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
  if (!required.empty()) o["required"] = required;
  return o;
}

} // namespace schema

} // namespace imap_mcp::tools
