#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "config/settings.hpp"

namespace imap_mcp::test {

/// A fresh directory under the system temp dir, removed with everything in it.
class temp_dir {
public:
  temp_dir() {
    auto tmpl = (std::filesystem::temp_directory_path() / "imap-mcp-config-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// Writes `content` to `name` inside the directory and returns the full path.
  std::string write(const std::string& name, const std::string& content) const {
    auto p = path_ / name;
    std::ofstream out{p, std::ios::binary};
    out << content;
    return p.string();
  }
  std::string path(const std::string& name = {}) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

/// One complete, valid account "default".
inline env_map default_account() {
  return {{"MAIL_IMAP_DEFAULT_HOST", "imap.example.com"},
          {"MAIL_IMAP_DEFAULT_USER", "alice@example.com"},
          {"MAIL_IMAP_DEFAULT_PASS", "hunter2-hunter2"}};
}

/// `base` with `name` set to `value`.
inline env_map with(env_map base, const std::string& name, const std::string& value) {
  base[name] = value;
  return base;
}

/// `base` without `name`.
inline env_map without(env_map base, const std::string& name) {
  base.erase(name);
  return base;
}

/// The failure message of loading `env`, or "<loaded>" when it loads.
inline std::string load_error(const env_map& env) {
  auto r = load_settings(env);
  if (r)
    return "<loaded>";
  return r.error().full_message();
}

} // namespace imap_mcp::test
