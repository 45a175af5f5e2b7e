#pragma once

// One timer for many deadlines. An actor that waits on many deadlines (the account on its
// queued and running jobs, the session on its calls) keeps at most one tick armed, at or
// before the earliest of them, instead of a timeout per request: in CAF 0.17 every timeout
// and every delayed message is a trip through the clock thread (a lock and a wake-up), which
// costs more per tool call than the call's own work. Since every call of a process has the
// same configured timeout, deadlines arrive in order and the armed tick almost never changes.

#include <chrono>
#include <optional>

namespace imap_mcp {

class deadline_watch {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Whether a new tick must be armed so that one fires by `due`; records it when so.
  bool arm(time_point due) {
    if (armed_ && *armed_ <= due) return false;
    armed_ = due;
    return true;
  }

  /// A tick arrived at `now`: the armed tick has fired once its time has passed.
  void fired(time_point now) {
    if (armed_ && *armed_ <= now) armed_.reset();
  }

private:
  std::optional<time_point> armed_;
};

} // namespace imap_mcp
