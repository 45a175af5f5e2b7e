#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>

#include "protocol/pdf/pdf.hpp"
#include "protocol/pdf/zygote.hpp"
#include "protocol/util/error.hpp"

/// The server's side of the zygote protocol, used by extract_text_isolated; not for use outside
/// this folder.
namespace imap_mcp::pdf::detail {

/// The zygote process as its channels see it; shared so that channels can outlive a stop().
struct zygote_process {
  pid_t pid = -1;
  std::mutex mutex; // guards reaped
  bool reaped = false;
  std::atomic<bool> lost{false};

  /// Marks the zygote gone (first time: one warning naming `why`), then kills and reaps it
  /// exactly once: it is our child, so waitpid after SIGKILL returns promptly, and its readers
  /// die with it (PR_SET_PDEATHSIG).
  void give_up(const char* why);
  /// Kills and reaps it, without the warning (a deliberate stop).
  void kill_and_reap();
};

} // namespace imap_mcp::pdf::detail

namespace imap_mcp::pdf {

class zygote_channel {
public:
  zygote_channel(int fd, std::shared_ptr<detail::zygote_process> process)
      : fd(fd), process(std::move(process)) {}
  ~zygote_channel();

  std::mutex busy;    // held for a whole document: one in flight per channel
  int fd = -1;        // the server's end (SOCK_SEQPACKET); -1 once closed; guarded by busy
  std::uint32_t next_id = 1;
  /// A released reader (release_reader) whose end the zygote has not reported yet; 0 if none.
  /// Collected before the channel's next document. Guarded by busy.
  std::uint32_t unreported = 0;
  std::shared_ptr<detail::zygote_process> process;
};

} // namespace imap_mcp::pdf

namespace imap_mcp::pdf::detail {

using zygote_clock = std::chrono::steady_clock;

/// A reader process the zygote forked for one document. Holds its channel until finished.
class zygote_reader {
public:
  zygote_reader() = default;
  zygote_reader(zygote_reader&& other) noexcept;
  zygote_reader& operator=(zygote_reader&&) = delete;
  /// Finishes (kill) when still running, so that no path leaves a reader behind.
  ~zygote_reader();

  /// Read end of the frame pipe; -1 when the zygote was unavailable (fork directly instead).
  int fd = -1;
  std::uint32_t id = 0;
  zygote_channel* channel = nullptr;
  std::unique_lock<std::mutex> hold;
  std::chrono::milliseconds grace{0};
};

/// How a reader ended, as the zygote reported it.
struct zygote_exit {
  /// False when the zygote went away before reporting (the status is unknown).
  bool known = false;
  /// waitpid status of the reader when known and the reader was started.
  int status = 0;
  /// errno of the zygote's failed fork (no reader ran); 0 otherwise.
  int start_errno = 0;
};

/// Asks the zygote behind `channel` to fork a reader for `data` (passed in a memfd, with the
/// write end of a new frame pipe). The reader gets the absolute `deadline`, the limits and an
/// address-space cap of its own size plus `max_memory` (0: none). A reader with fd == -1 means
/// the zygote is gone (one warning was logged): fork directly. Fails when the pipe or the memfd
/// cannot be made. `grace` bounds each wait for the zygote's replies in finish_reader.
result<zygote_reader> start_reader(zygote_channel& channel, std::string_view data,
                                   const pdf_limits& limits, zygote_clock::time_point deadline,
                                   std::size_t max_memory, std::chrono::milliseconds grace);

/// Ends a started reader: asks the zygote to kill it when `kill` (or when it has not ended
/// within the grace), waits for the zygote's report, closes the pipe and releases the channel.
/// A zygote that does not answer within the grace is killed and given up.
zygote_exit finish_reader(zygote_reader& reader, bool kill);

/// Ends a reader whose answer is complete (its result or failure frame arrived) without waiting
/// for its process to go: asks the zygote to kill it (it has nothing left to do but leave, and
/// must not linger whatever it is), closes the pipe and releases the channel at once. The
/// zygote's report is collected by the channel's next start_reader, within the grace, so the
/// caller does not wait for the teardown of the reader's address space.
void release_reader(zygote_reader& reader);

} // namespace imap_mcp::pdf::detail
