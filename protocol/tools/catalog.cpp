#include "protocol/tools/catalog.hpp"

namespace imap_mcp::tools {

namespace {

json open_object(json properties, std::vector<std::string> required) {
  json o = {{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) o["required"] = required;
  return o;
}

json string_t() { return {{"type", "string"}}; }
json integer_t() { return {{"type", "integer"}}; }
json boolean_t() { return {{"type", "boolean"}}; }
json string_array() { return {{"type", "array"}, {"items", string_t()}}; }

tool_definition list_accounts() {
  tool_definition t;
  t.name = names::list_accounts;
  t.title = "List IMAP accounts";
  t.description =
    "List the IMAP accounts this server is configured for: account_id, host, port and whether "
    "TLS is used. Never returns user names or passwords. Start here, then call "
    "imap_list_mailboxes with an account_id.";
  t.input_schema = schema::object(json::object(), {});
  t.data_schema = open_object(
    {{"accounts",
      {{"type", "array"},
       {"items", open_object({{"account_id", string_t()},
                              {"host", string_t()},
                              {"port", integer_t()},
                              {"secure", boolean_t()}},
                             {"account_id", "host", "port", "secure"})}}},
     {"next_action", schema::next_action()}},
    {"accounts"});
  return t;
}

tool_definition verify_account() {
  tool_definition t;
  t.name = names::verify_account;
  t.title = "Verify an IMAP account";
  t.description =
    "Connect to the account's IMAP server over TLS, log in and read its capabilities. Reports "
    "ok=false with an issue (authentication, TLS or network failure) instead of failing.";
  t.input_schema = schema::object({{"account_id", schema::account_id()}}, {});
  t.data_schema = open_object(
    {{"status", schema::status()},
     {"issues", schema::issues()},
     {"next_action", schema::next_action()},
     {"account_id", string_t()},
     {"ok", boolean_t()},
     {"latency_ms", integer_t()},
     {"server", open_object({{"host", string_t()}, {"port", integer_t()}, {"secure", boolean_t()}},
                            {"host", "port", "secure"})},
     {"capabilities", string_array()}},
    {"status", "issues", "account_id", "ok", "latency_ms", "server", "capabilities"});
  return t;
}

tool_definition list_mailboxes() {
  tool_definition t;
  t.name = names::list_mailboxes;
  t.title = "List mailboxes";
  t.description =
    "List the account's mailboxes (folders) with decoded UTF-8 names, hierarchy delimiter, "
    "attributes and special use (\\Sent, \\Trash, \\Drafts, \\Junk, \\Archive, \\All, \\Flagged). "
    "Mailboxes marked \\Noselect cannot be searched. At most 1000 are returned.";
  t.input_schema = schema::object({{"account_id", schema::account_id()}}, {});
  t.data_schema = open_object(
    {{"status", schema::status()},
     {"issues", schema::issues()},
     {"next_action", schema::next_action()},
     {"account_id", string_t()},
     {"mailboxes",
      {{"type", "array"},
       {"items", open_object({{"name", string_t()},
                              {"delimiter", {{"type", {"string", "null"}}}},
                              {"attributes", string_array()},
                              {"special_use", string_t()},
                              {"selectable", boolean_t()}},
                             {"name", "delimiter", "attributes"})}}}},
    {"status", "issues", "account_id", "mailboxes"});
  return t;
}

} // namespace

std::vector<tool_definition> catalog() {
  return {list_accounts(), verify_account(), list_mailboxes()};
}

} // namespace imap_mcp::tools
