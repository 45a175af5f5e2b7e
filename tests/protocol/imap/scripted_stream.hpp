#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/net/stream.hpp"

namespace imap_mcp::imap::testing {

/// An in-memory IMAP server that follows a script: after the greeting, each step waits until
/// the client has written exactly `expect`, then makes `reply` readable. Reads hand out at most
/// `chunk` bytes at a time, so literals arrive split. Anything the client writes that the
/// script does not expect is recorded in mismatch() and fails the write.
class scripted_stream : public net::byte_stream {
public:
  struct step {
    step(std::string expect_bytes, std::string reply_bytes, bool close = false,
         std::optional<failure> fail = {})
        : expect(std::move(expect_bytes)), reply(std::move(reply_bytes)), close_after(close),
          fail_after(std::move(fail)) {}

    /// Bytes the client must write (tag included).
    std::string expect;
    /// Bytes the server answers with.
    std::string reply;
    /// After the reply is read, the server closes the connection.
    bool close_after = false;
    /// After the reply is read, the next read fails with this (e.g. a timeout).
    std::optional<failure> fail_after;
  };

  scripted_stream(std::string greeting, std::vector<step> steps, std::size_t chunk = 1 << 20)
      : pending_(std::move(greeting)), steps_(std::move(steps)), chunk_(chunk) {}

  result<std::size_t> read_some(char* buf, std::size_t len) override {
    ++reads_;
    if (aborted_)
      return make_failure(error_code::timeout, "aborted", "read", true);
    if (pending_.empty()) {
      if (closed_)
        return make_failure(error_code::internal, "connection closed by server", "read", true);
      if (read_failure_)
        return *read_failure_;
      // A real server would stay silent here and the read would time out.
      stalled_ = true;
      return make_failure(error_code::timeout, "scripted server has nothing to say", "read", true);
    }
    std::size_t n = std::min({len, chunk_, pending_.size()});
    std::copy_n(pending_.data(), n, buf);
    pending_.erase(0, n);
    if (pending_.empty() && end_after_reply_) {
      closed_ = end_after_reply_closes_;
      if (fail_after_reply_)
        read_failure_ = fail_after_reply_;
      end_after_reply_ = false;
    }
    return n;
  }

  status write_all(std::string_view bytes) override {
    if (aborted_)
      return make_failure(error_code::timeout, "aborted", "write", true);
    written_ += bytes;
    current_ += bytes;
    if (next_ >= steps_.size()) {
      mismatch_ += "unexpected write: " + std::string(bytes) + "\n";
      return make_failure(error_code::internal, "connection reset by peer", "write", true);
    }
    const auto& s = steps_[next_];
    if (s.expect.compare(0, current_.size(), current_) != 0) {
      mismatch_ += "expected: " + s.expect + "\n     got: " + current_ + "\n";
      return make_failure(error_code::internal, "connection reset by peer", "write", true);
    }
    if (current_.size() == s.expect.size()) {
      pending_ += s.reply;
      current_.clear();
      if (s.close_after || s.fail_after) {
        end_after_reply_ = true;
        end_after_reply_closes_ = s.close_after;
        fail_after_reply_ = s.fail_after;
        if (pending_.empty()) {
          closed_ = s.close_after;
          if (s.fail_after)
            read_failure_ = s.fail_after;
        }
      }
      ++next_;
    }
    return ok_status();
  }

  void abort() override {
    aborted_ = true;
    ++aborts_;
  }

  /// Everything the client wrote.
  const std::string& written() const { return written_; }
  /// Script violations; empty when the client behaved.
  const std::string& mismatch() const { return mismatch_; }
  /// True when every step was consumed.
  bool finished() const { return next_ == steps_.size() && current_.empty(); }
  /// True when the client read while the script had nothing to send.
  bool stalled() const { return stalled_; }
  int aborts() const { return aborts_; }
  int reads() const { return reads_; }

private:
  std::string pending_;
  std::vector<step> steps_;
  std::size_t chunk_;
  std::size_t next_ = 0;
  std::string current_;
  std::string written_;
  std::string mismatch_;
  bool closed_ = false;
  bool stalled_ = false;
  bool end_after_reply_ = false;
  bool end_after_reply_closes_ = false;
  std::optional<failure> fail_after_reply_;
  std::optional<failure> read_failure_;
  std::atomic<bool> aborted_{false};
  int aborts_ = 0;
  int reads_ = 0;
};

} // namespace imap_mcp::imap::testing
