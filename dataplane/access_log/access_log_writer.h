// The access log's output, off the worker threads (docs/operations.md, "Access log").
//
// Each worker is a Producer with two fixed-size record buffers: it fills records into the
// active one under a lock held only for that copy, and the writer thread swaps the
// buffers, formats the full one and writes it. A worker never waits for the disk: when
// its buffer is full (the disk or the pipe reader is slower than the traffic), the record
// is dropped and counted. Records keep their strings' storage from request to request,
// so a warm worker allocates nothing to log.
//
// The output is a file (appended to, created 0640) or stdout ("-"). A FIFO or pipe is
// written in pieces the kernel can take without blocking, so a reader that stops reading
// cannot stall shutdown. Reopen (SIGHUP) makes the writer open the path again, for log
// rotation (move the file, then send SIGHUP).
#ifndef SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_WRITER_H_
#define SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_WRITER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sync/mutex.h"
#include "dataplane/access_log/access_log_record.h"

namespace switchyard::access_log {

class AccessLogWriter {
 public:
  struct Options {
    std::string path;  // a file, or "-" for stdout
    // Records each producer buffers between the writer's turns; beyond, records drop.
    size_t buffer_records = 4096;
    // The writer's turn: at least this often, and sooner when a buffer is half full.
    std::chrono::milliseconds flush_interval{100};
    // At shutdown, how long to keep trying to write what is buffered.
    std::chrono::milliseconds close_timeout{2000};
  };

  struct Stats {
    uint64_t written = 0;       // records written
    uint64_t dropped = 0;       // records dropped: a full buffer, or lost to a write error
    uint64_t write_errors = 0;  // failed writes (each loses what it carried)
    uint64_t reopens = 0;       // successful reopens
  };

  // One worker's side. Submit from that worker's thread only.
  class Producer {
   public:
    // Fills one record with `fill(AccessLogRecord&)` into the buffer (all fields must be
    // set: the record holds the previous request's values). False when the buffer is
    // full: the record is dropped and counted.
    template <typename Fill>
    bool Submit(Fill&& fill) {
      sync::MutexLock lock(&mu_);
      if (used_ == active_->size()) {
        dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return false;
      }
      fill((*active_)[used_++]);
      if (used_ == active_->size() / 2) writer_.Wake();
      return true;
    }

    // Gives every string of every slot (both buffers) at least `bytes` of storage, so
    // that records up to that size never allocate, even in slots the first requests did
    // not reach. Call before traffic (tests that count allocations do).
    void Reserve(size_t bytes);

   private:
    friend class AccessLogWriter;
    Producer(AccessLogWriter& writer, size_t records);
    // Writer thread: swaps the buffers and returns the filled one and its count.
    std::vector<AccessLogRecord>* Take(size_t& count);

    AccessLogWriter& writer_;
    sync::Mutex mu_;
    std::vector<AccessLogRecord> buffers_[2];
    std::vector<AccessLogRecord>* active_ ABSL_GUARDED_BY(mu_);
    size_t used_ ABSL_GUARDED_BY(mu_) = 0;
    // Written by the producer's thread only; read by /metrics.
    std::atomic<uint64_t> dropped_{0};
  };

  // Opens the output and starts the writer thread. INVALID_ARGUMENT naming the path when
  // it cannot be opened (a FIFO without a reader included).
  static absl::StatusOr<std::unique_ptr<AccessLogWriter>> Open(Options options, int producers);
  // Writes what is buffered (for at most close_timeout), then closes.
  ~AccessLogWriter();
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;

  Producer& producer(int index) { return *producers_[static_cast<size_t>(index)]; }
  // Thread-safe: the writer opens the path again at its next turn (stdout: nothing to do).
  void Reopen();
  // Thread-safe.
  Stats stats() const;

 private:
  AccessLogWriter(Options options, int fd, int producers);
  void Run();
  void Wake();
  // Writes `bytes`; false when they could not all be written.
  bool WriteAll(std::string_view bytes);
  void ReopenNow();

  const Options options_;
  std::vector<std::unique_ptr<Producer>> producers_;
  int fd_;  // writer thread only, after construction
  bool fd_is_regular_file_ = false;

  sync::Mutex mu_;
  sync::CondVar wake_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::chrono::steady_clock::time_point stop_deadline_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> reopen_{false};
  // Written by the writer thread only.
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> lost_{0};
  std::atomic<uint64_t> write_errors_{0};
  std::atomic<uint64_t> reopens_{0};
  std::thread thread_;
};

}  // namespace switchyard::access_log

#endif  // SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_WRITER_H_
