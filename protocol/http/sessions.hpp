#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imap_mcp::http {

/// The Streamable HTTP sessions of one server: id -> session handle, the token that created
/// it, activity and requests in flight. Generic over the handle so it is tested without
/// actors. Lookups are bound to the token: another token's session is "not found".
template <class Handle> class session_table {
public:
  using clock = std::chrono::steady_clock;

  struct entry {
    Handle handle;
    /// Index of the bearer token that created the session (nullopt: no tokens configured).
    std::optional<std::size_t> token;
    clock::time_point last_active;
    /// POSTs of this session waiting for their answer.
    int in_flight = 0;
    /// The protocol version negotiated by initialize (batches depend on it).
    std::string protocol_version;
  };

  session_table(std::size_t max_sessions, clock::duration idle_limit)
      : max_(max_sessions), idle_(idle_limit) {}

  std::size_t size() const { return sessions_.size(); }
  bool full() const { return sessions_.size() >= max_; }
  std::size_t capacity() const { return max_; }

  /// Adds a session (the caller checked full() and made a fresh id).
  entry& add(std::string id, Handle handle, std::optional<std::size_t> token,
             std::string protocol_version, clock::time_point now) {
    auto& e = sessions_[std::move(id)];
    e = entry{std::move(handle), token, now, 0, std::move(protocol_version)};
    return e;
  }

  /// The session with that id if the same token created it; nullptr otherwise.
  entry* find(std::string_view id, std::optional<std::size_t> token) {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.token != token)
      return nullptr;
    return &it->second;
  }

  /// Removes a session; returns its handle when it existed.
  std::optional<Handle> erase(std::string_view id) {
    auto it = sessions_.find(id);
    if (it == sessions_.end())
      return std::nullopt;
    auto h = std::move(it->second.handle);
    sessions_.erase(it);
    return h;
  }

  /// Removes every session idle longer than the limit with nothing in flight, and returns
  /// their handles (the caller closes them).
  std::vector<Handle> expire(clock::time_point now) {
    std::vector<Handle> gone;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->second.in_flight == 0 && now - it->second.last_active > idle_) {
        gone.push_back(std::move(it->second.handle));
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
    return gone;
  }

  /// Removes all sessions and returns their handles (shutdown).
  std::vector<Handle> clear() {
    std::vector<Handle> all;
    all.reserve(sessions_.size());
    for (auto& [id, e] : sessions_)
      all.push_back(std::move(e.handle));
    sessions_.clear();
    return all;
  }

private:
  std::size_t max_;
  clock::duration idle_;
  std::map<std::string, entry, std::less<>> sessions_;
};

} // namespace imap_mcp::http
