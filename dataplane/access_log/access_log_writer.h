// The access log's output, off the worker threads (docs/operations.md, "Access log").
//
// Each worker is a Producer with a ring of records (record_ring.h) that it fills without a
// lock and the writer thread empties, formatting and writing what it takes. A worker never
// waits for the disk: when its ring is full (the disk or the pipe reader is slower than
// the traffic), the record is dropped and counted. Nothing is allocated per record.
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
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sync/mutex.h"
#include "dataplane/access_log/access_log_record.h"
#include "dataplane/access_log/record_ring.h"

namespace switchyard::access_log {

class AccessLogWriter {
 public:
  // The smallest buffer_bytes Open accepts.
  static constexpr size_t kMinBufferBytes = 4096;

  struct Options {
    std::string path;  // a file, or "-" for stdout
    // Bytes of records each producer's ring holds; beyond, records drop. A typical record
    // takes 250 bytes.
    size_t buffer_bytes = size_t{1} << 20;
    // The writer's turn: at least this often, and sooner when a ring is half full.
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
    // Copies `record` into the ring. False when it does not fit: the record is dropped
    // and counted.
    bool Submit(const AccessLogRecord& record);

   private:
    friend class AccessLogWriter;
    Producer(AccessLogWriter& writer, size_t buffer_bytes);

    AccessLogWriter& writer_;
    RecordRing ring_;
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
