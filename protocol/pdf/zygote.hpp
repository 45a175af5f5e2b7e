#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <vector>

#include "protocol/util/error.hpp"

namespace imap_mcp::pdf {

/// One lane to a zygote, for one PDF worker: it carries one document at a time (a second caller
/// waits until the first is done), independently of the other lanes. Opaque; owned by its
/// zygote and valid as long as that object lives. Pass it to extract_text_isolated.
class zygote_channel;

namespace detail {
struct zygote_process;
}

/// A small helper process that forks the reader processes of extract_text_isolated.
///
/// Why: forking the server itself per document is slow (a large multithreaded address space:
/// page tables, copy-on-write faults, teardown; about 5 ms) and serializes on the server's
/// memory map, so it does not scale past one worker. The zygote is forked before any other
/// thread exists, while the address space is small; forking it costs a fraction of that, and its
/// children inherit no locks held by other threads and none of the server's descriptors or
/// configuration (it is started before the configuration is read, and it blanks the MAIL_IMAP_*
/// values of its copy of the environment).
///
/// The zygote never reads a document: a reader it forks maps the document from a memfd sent by
/// the worker and writes its frames straight to the worker's pipe, exactly as a directly forked
/// reader does (same limits, same descriptor hygiene, same _exit). The zygote reaps its readers
/// itself (it is their parent, so a kill never hits a reused pid) and reports their exit status.
/// It ignores terminal and termination signals, writes nothing anywhere (stdin, stdout and
/// stderr lead to /dev/null), dies with the thread that started it (PR_SET_PDEATHSIG) and exits
/// when its control socket closes; its readers die with it. If it goes away, extractions on its
/// channels fall back to direct forks (one warning in the log). Linux only.
class zygote {
public:
  /// Forks the zygote. Fails (nothing started) unless the calling process has exactly one
  /// thread: a fork while another thread holds a lock (malloc's, the logger's) could leave the
  /// zygote stuck forever. The calling thread must outlive the zygote (it is killed when that
  /// thread ends), so call it from main.
  static result<std::unique_ptr<zygote>> start();

  /// Opens one more channel (one per PDF worker; may be called from any thread later). Fails
  /// when the zygote is gone.
  result<zygote_channel*> open_channel();

  /// Ends the zygote: waits for the document in flight on each channel (bounded by its
  /// deadline), then closes the channels and kills and reaps the zygote. Channels stay valid
  /// objects; extractions on them fork directly afterwards. Idempotent.
  void stop();

  /// Process id of the zygote (for tests and diagnostics).
  pid_t pid() const;

  /// Calls stop().
  ~zygote();

  zygote(const zygote&) = delete;
  zygote& operator=(const zygote&) = delete;

private:
  zygote(std::shared_ptr<detail::zygote_process> process, int control);

  std::shared_ptr<detail::zygote_process> process_;
  std::mutex mutex_; // guards control_ and channels_
  int control_ = -1;
  std::vector<std::unique_ptr<zygote_channel>> channels_;
};

} // namespace imap_mcp::pdf
