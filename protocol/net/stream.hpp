#pragma once

#include <cstddef>
#include <string_view>

#include "protocol/util/error.hpp"

namespace imap_mcp::net {

/// A connected, bidirectional byte stream (a TLS connection in production, a scripted
/// peer in tests). Every call is bounded by the stream's own timeouts; a timeout is a
/// retryable failure with error_code::timeout.
class byte_stream {
public:
  virtual ~byte_stream() = default;

  /// Reads at least one byte into buf (up to len). Returns the count; 0 is never returned
  /// (end of stream is a retryable internal failure: "connection closed by server").
  virtual result<std::size_t> read_some(char* buf, std::size_t len) = 0;

  /// Writes all bytes or fails.
  virtual status write_all(std::string_view bytes) = 0;

  /// Safe to call from any thread: makes blocked and future reads/writes fail at once.
  virtual void abort() = 0;
};

} // namespace imap_mcp::net
