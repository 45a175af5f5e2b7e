#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "protocol/util/error.hpp"

/// Processes: spawning the server, and measuring process trees from /proc.
namespace imap_mcp::load {

/// CPU and memory of one process tree at one moment.
struct tree_sample {
  /// utime+stime+cutime+cstime summed over the live processes of the tree, in seconds.
  /// Summing the children's fields too counts processes that already exited and were reaped
  /// inside the tree (their time moved to the parent's cutime/cstime) exactly once.
  double cpu_seconds = 0;
  /// VmRSS summed over the tree (pages shared between its processes count once per process).
  std::uint64_t rss_kb = 0;
  /// Proportional set size summed over the tree: each shared page is split among the
  /// processes that map it, so the sum is the tree's real footprint (a forked helper that
  /// shares most of its pages adds little). VmRSS for a process whose smaps_rollup is unreadable.
  std::uint64_t pss_kb = 0;
  /// VmHWM (peak RSS) of the root process.
  std::uint64_t root_hwm_kb = 0;
  /// VmRSS of the root process.
  std::uint64_t root_rss_kb = 0;
  int processes = 0;
};

/// Samples the tree rooted at `pid` (nullopt when the root is gone).
std::optional<tree_sample> sample_tree(int pid);

/// The harness's own CPU seconds (user + system, all threads).
double self_cpu_seconds();

/// Samples named process trees periodically from a thread of its own and keeps their peaks.
class tree_monitor {
public:
  /// One measured tree as reported.
  struct tree_report {
    std::string role; ///< "server" or "imap_server"
    int pid = 0;
    double cpu_seconds = 0;        ///< between start() and stop()
    std::uint64_t peak_rss_kb = 0; ///< highest sampled tree RSS
    std::uint64_t peak_pss_kb = 0; ///< highest sampled tree PSS
    std::uint64_t root_hwm_kb = 0; ///< root's VmHWM at the end (its true peak)
    std::uint64_t end_rss_kb = 0;
    int max_processes = 0;
    bool vanished = false; ///< the root exited during the run
  };

  explicit tree_monitor(int interval_ms);
  ~tree_monitor();
  /// Adds a tree before start().
  void add(std::string role, int pid);
  /// Takes the first samples and starts the sampling thread.
  void start();
  /// Takes the last samples and stops the thread.
  void stop();
  /// The trees' figures (after stop()).
  std::vector<tree_report> reports() const;

private:
  struct entry {
    tree_report report;
    double cpu_start = 0, cpu_last = 0;
  };
  void sample_all();

  int interval_ms_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<entry> entries_;
  std::thread thread_;
};

/// Where a spawned process's standard streams go: a file descriptor to dup2, or -1 for
/// /dev/null.
struct spawn_io {
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
};

/// Starts argv[0] with this process's environment in a process group of its own; returns
/// its pid.
result<int> spawn_process(const std::vector<std::string>& argv, const spawn_io& io);

/// Sends SIGTERM and waits up to grace_ms for the exit, then SIGKILL and reaps it. Returns
/// the exit status as from waitpid (or -1).
int stop_process(int pid, int grace_ms);

/// True while the child `pid` has not exited (reaps it when it has).
bool child_running(int pid);

/// A TCP port on 127.0.0.1 that was free a moment ago.
result<std::uint16_t> free_loopback_port();

} // namespace imap_mcp::load
