#include "protocol/util/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace imap_mcp::log {

namespace {
std::atomic<level> threshold{level::info};
std::mutex stderr_mutex;
} // namespace

void set_level(level l) { threshold.store(l); }
level current_level() { return threshold.load(std::memory_order_relaxed); }

bool parse_level(std::string_view text, level& out) {
  std::string t;
  for (char c : text) t.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  if (t == "off" || t == "none") out = level::off;
  else if (t == "error") out = level::error;
  else if (t == "warn" || t == "warning") out = level::warn;
  else if (t == "info") out = level::info;
  else if (t == "debug") out = level::debug;
  else if (t == "trace") out = level::trace;
  else return false;
  return true;
}

void write(level l, std::string_view component, std::string_view message) {
  static const char* names[] = {"OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  std::lock_guard<std::mutex> guard{stderr_mutex};
  std::fprintf(stderr, "%s %-5s [%.*s] %.*s\n", stamp, names[static_cast<int>(l)],
               static_cast<int>(component.size()), component.data(),
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

} // namespace imap_mcp::log
