#include "protocol/util/error.hpp"

namespace imap_mcp {

const char* to_string(error_code code) {
  switch (code) {
    case error_code::invalid_input: return "invalid_input";
    case error_code::auth_failed: return "auth_failed";
    case error_code::not_found: return "not_found";
    case error_code::timeout: return "timeout";
    case error_code::conflict: return "conflict";
    case error_code::internal: return "internal";
  }
  return "internal";
}

const char* message_prefix(error_code code) {
  switch (code) {
    case error_code::invalid_input: return "invalid input: ";
    case error_code::auth_failed: return "authentication failed: ";
    case error_code::not_found: return "not found: ";
    case error_code::timeout: return "operation timed out: ";
    case error_code::conflict: return "conflict: ";
    case error_code::internal: return "internal error: ";
  }
  return "internal error: ";
}

} // namespace imap_mcp
