#pragma once

#include <atomic>
#include <map>
#include <vector>
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
  /// Key that signs search cursors: MAIL_IMAP_CURSOR_SECRET, else random per process.
  secret cursor_key;

  /// The MIME parser and PDF extractor pools (round-robin).
  std::vector<mime_worker_actor> mime_pool;
  std::vector<pdf_worker_actor> pdf_pool;
  mutable std::atomic<std::size_t> next_mime{0};
  mutable std::atomic<std::size_t> next_pdf{0};

  const mime_worker_actor& mime_worker() const { return mime_pool[next_mime++ % mime_pool.size()]; }
  const pdf_worker_actor& pdf_worker() const { return pdf_pool[next_pdf++ % pdf_pool.size()]; }

  const account_actor* find_account(const std::string& id) const {
    auto it = accounts.find(id);
    return it == accounts.end() ? nullptr : &it->second;
  }
};

using services_ptr = std::shared_ptr<const services>;

} // namespace imap_mcp
