#pragma once

#include <map>
#include <memory>
#include <string>

#include "actors/interfaces.hpp"
#include "config/settings.hpp"

namespace imap_mcp {

/// What every session and tool call shares: the settings and the long-lived actors.
struct services {
  std::shared_ptr<const settings> config;
  /// One supervisor per configured account, by account id.
  std::map<std::string, account_actor> accounts;

  const account_actor* find_account(const std::string& id) const {
    auto it = accounts.find(id);
    return it == accounts.end() ? nullptr : &it->second;
  }
};

using services_ptr = std::shared_ptr<const services>;

} // namespace imap_mcp
