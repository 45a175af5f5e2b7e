#include "load/proc.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace imap_mcp::load {

namespace {

struct stat_fields {
  int ppid = 0;
  double cpu_seconds = 0;
};

std::optional<stat_fields> read_stat(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line))
    return std::nullopt;
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos)
    return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::vector<std::string> f;
  std::string tok;
  while (rest >> tok && f.size() < 20)
    f.push_back(tok);
  // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
  if (f.size() < 15)
    return std::nullopt;
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  stat_fields s;
  s.ppid = std::stoi(f[1]);
  double t = 0;
  for (int i = 11; i <= 14; ++i)
    t += std::stod(f[static_cast<std::size_t>(i)]);
  s.cpu_seconds = t / ticks;
  return s;
}

std::uint64_t status_kb(int pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const std::size_t klen = std::strlen(key);
  while (std::getline(in, line))
    if (line.compare(0, klen, key) == 0 && line.size() > klen && line[klen] == ':')
      return std::strtoull(line.c_str() + klen + 1, nullptr, 10);
  return 0;
}

/// Pss of a process from /proc/<pid>/smaps_rollup (kB); nullopt when it cannot be read.
std::optional<std::uint64_t> pss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, 4, "Pss:") == 0)
      return std::strtoull(line.c_str() + 4, nullptr, 10);
  return std::nullopt;
}

/// pid -> ppid of every process (the kernel here has no /proc/<pid>/task/<tid>/children).
std::map<int, std::vector<int>> children_map() {
  std::map<int, std::vector<int>> out;
  DIR* d = opendir("/proc");
  if (d == nullptr)
    return out;
  while (auto* e = readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0')
      continue;
    if (auto s = read_stat(static_cast<int>(pid)))
      out[s->ppid].push_back(static_cast<int>(pid));
  }
  closedir(d);
  return out;
}

std::optional<tree_sample> sample_with(int root, const std::map<int, std::vector<int>>& kids) {
  auto rs = read_stat(root);
  if (!rs)
    return std::nullopt;
  tree_sample t;
  std::vector<int> todo{root};
  while (!todo.empty()) {
    int pid = todo.back();
    todo.pop_back();
    auto s = pid == root ? rs : read_stat(pid);
    if (!s)
      continue;
    t.cpu_seconds += s->cpu_seconds;
    const std::uint64_t rss = status_kb(pid, "VmRSS");
    t.rss_kb += rss;
    t.pss_kb += pss_kb(pid).value_or(rss);
    ++t.processes;
    if (auto it = kids.find(pid); it != kids.end())
      todo.insert(todo.end(), it->second.begin(), it->second.end());
  }
  t.root_hwm_kb = status_kb(root, "VmHWM");
  t.root_rss_kb = status_kb(root, "VmRSS");
  return t;
}

} // namespace

std::optional<tree_sample> sample_tree(int pid) {
  return sample_with(pid, children_map());
}

double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

tree_monitor::tree_monitor(int interval_ms) : interval_ms_(interval_ms) {}

tree_monitor::~tree_monitor() {
  stop();
}

void tree_monitor::add(std::string role, int pid) {
  entry e;
  e.report.role = std::move(role);
  e.report.pid = pid;
  entries_.push_back(std::move(e));
}

void tree_monitor::sample_all() {
  auto kids = children_map();
  std::lock_guard lock(mutex_);
  for (auto& e : entries_) {
    auto s = sample_with(e.report.pid, kids);
    if (!s) {
      e.report.vanished = true;
      continue;
    }
    e.cpu_last = s->cpu_seconds;
    e.report.peak_rss_kb = std::max(e.report.peak_rss_kb, s->rss_kb);
    e.report.peak_pss_kb = std::max(e.report.peak_pss_kb, s->pss_kb);
    e.report.root_hwm_kb = s->root_hwm_kb;
    e.report.end_rss_kb = s->rss_kb;
    e.report.max_processes = std::max(e.report.max_processes, s->processes);
  }
}

void tree_monitor::start() {
  if (entries_.empty())
    return;
  sample_all();
  {
    std::lock_guard lock(mutex_);
    for (auto& e : entries_)
      e.cpu_start = e.cpu_last;
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; }))
        break;
      lock.unlock();
      sample_all();
      lock.lock();
    }
  });
}

void tree_monitor::stop() {
  if (!thread_.joinable())
    return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  sample_all();
  std::lock_guard lock(mutex_);
  for (auto& e : entries_)
    e.report.cpu_seconds = e.cpu_last - e.cpu_start;
}

std::vector<tree_monitor::tree_report> tree_monitor::reports() const {
  std::lock_guard lock(mutex_);
  std::vector<tree_report> out;
  for (const auto& e : entries_)
    out.push_back(e.report);
  return out;
}

result<int> spawn_process(const std::vector<std::string>& argv, const spawn_io& io) {
  if (argv.empty())
    return make_failure(error_code::invalid_input, "nothing to spawn", "spawn");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  auto route = [&](int fd, int target, int flags) {
    if (fd >= 0)
      posix_spawn_file_actions_adddup2(&fa, fd, target);
    else
      posix_spawn_file_actions_addopen(&fa, target, "/dev/null", flags, 0);
  };
  route(io.stdin_fd, 0, O_RDONLY);
  route(io.stdout_fd, 1, O_WRONLY);
  route(io.stderr_fd, 2, O_WRONLY);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A process group of its own: a signal the server sends to its group (or a Ctrl-C meant
  // for the harness's group) then never reaches the harness, the IMAP server or the script.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return make_failure(error_code::internal, "cannot start " + argv[0] + ": " + std::strerror(rc),
                        "spawn");
  return static_cast<int>(pid);
}

bool child_running(int pid) {
  int st = 0;
  return waitpid(pid, &st, WNOHANG) == 0;
}

int stop_process(int pid, int grace_ms) {
  int st = 0;
  if (waitpid(pid, &st, WNOHANG) == pid)
    return st;
  kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &st, WNOHANG) == pid)
      return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  return waitpid(pid, &st, 0) == pid ? st : -1;
}

result<std::uint16_t> free_loopback_port() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return make_failure(error_code::internal, "socket failed", "port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(s);
    return make_failure(error_code::internal, "no free port", "port");
  }
  ::close(s);
  return ntohs(a.sin_port);
}

} // namespace imap_mcp::load
