#include "dataplane/access_log/access_log_writer.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/access_log/access_log_format.h"

namespace switchyard::access_log {
namespace {

// A pipe takes this much without blocking once poll says it is writable.
constexpr size_t kPipeChunk = 4096;
// Write errors are logged at most this often.
constexpr auto kErrorLogInterval = std::chrono::seconds(10);

// Opens `path` for appending; -1 with errno set on failure. A FIFO is opened without
// blocking (ENXIO when nobody reads it).
int OpenOutput(const std::string& path) {
  if (path == "-") return ::dup(STDOUT_FILENO);
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0640);
}

bool IsRegularFile(int fd) {
  struct stat info;
  return ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode);
}

}  // namespace

AccessLogWriter::Producer::Producer(AccessLogWriter& writer, size_t buffer_bytes)
    : writer_(writer), ring_(buffer_bytes) {}

bool AccessLogWriter::Producer::Submit(const AccessLogRecord& record) {
  // Wakes the writer when the ring crosses half full, by the producer's own estimate, so
  // no cache line of the writer's is read per record (the estimate errs towards waking).
  const size_t half = ring_.capacity_bytes() / 2;
  const bool below_half = ring_.used_bytes_upper_bound() < half;
  if (!ring_.Append(record)) {
    dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return false;
  }
  if (below_half && ring_.used_bytes_upper_bound() >= half) writer_.Wake();
  return true;
}

absl::StatusOr<std::unique_ptr<AccessLogWriter>> AccessLogWriter::Open(Options options,
                                                                       int producers) {
  if (options.buffer_bytes < kMinBufferBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("--access_log_buffer must be at least ", kMinBufferBytes, " bytes"));
  }
  const int fd = OpenOutput(options.path);
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--access_log=", options.path, ": ", std::strerror(errno),
                     errno == ENXIO ? " (a FIFO needs its reader before the proxy starts)" : ""));
  }
  std::unique_ptr<AccessLogWriter> writer(new AccessLogWriter(std::move(options), fd, producers));
  writer->thread_ = std::thread([raw = writer.get()] { raw->Run(); });
  return writer;
}

AccessLogWriter::AccessLogWriter(Options options, int fd, int producers)
    : options_(std::move(options)), fd_(fd), fd_is_regular_file_(IsRegularFile(fd)) {
  for (int i = 0; i < producers; ++i) {
    producers_.push_back(std::unique_ptr<Producer>(new Producer(*this, options_.buffer_bytes)));
  }
}

AccessLogWriter::~AccessLogWriter() {
  {
    sync::MutexLock lock(&mu_);
    stopping_ = true;
    stop_deadline_ = std::chrono::steady_clock::now() + options_.close_timeout;
    wake_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

void AccessLogWriter::Wake() {
  sync::MutexLock lock(&mu_);
  woken_ = true;
  wake_.SignalAll();
}

void AccessLogWriter::Reopen() {
  reopen_.store(true);
  Wake();
}

AccessLogWriter::Stats AccessLogWriter::stats() const {
  Stats stats{.written = written_.load(),
              .dropped = lost_.load(),
              .write_errors = write_errors_.load(),
              .reopens = reopens_.load()};
  for (const auto& producer : producers_) stats.dropped += producer->dropped_.load();
  return stats;
}

void AccessLogWriter::Run() {
  std::string out;
  for (;;) {
    bool stopping = false;
    {
      sync::MutexLock lock(&mu_);
      wake_.WaitWithTimeout(&mu_, absl::FromChrono(options_.flush_interval),
                            [this]()
                                ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return woken_ || stopping_; });
      woken_ = false;
      stopping = stopping_;
    }
    if (reopen_.exchange(false)) ReopenNow();
    size_t records = 0;
    out.clear();
    const auto steady_to_unix = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now().time_since_epoch() -
        std::chrono::steady_clock::now().time_since_epoch());
    for (const auto& producer : producers_) {
      records += producer->ring_.Consume(
          [&](const AccessLogRecord& record) { AppendJsonLine(record, steady_to_unix, out); });
    }
    if (!out.empty()) {
      if (WriteAll(out)) {
        written_.store(written_.load(std::memory_order_relaxed) + records,
                       std::memory_order_relaxed);
      } else {
        lost_.store(lost_.load(std::memory_order_relaxed) + records, std::memory_order_relaxed);
      }
    }
    if (stopping && records == 0) return;
  }
}

bool AccessLogWriter::WriteAll(std::string_view bytes) {
  static auto last_error_log = std::chrono::steady_clock::time_point();
  while (!bytes.empty()) {
    size_t piece = bytes.size();
    if (!fd_is_regular_file_) {
      // Wait, in short steps, until the reader makes room; give up past the shutdown
      // deadline so that a stalled reader cannot hold the proxy's exit.
      pollfd ready = {.fd = fd_, .events = POLLOUT, .revents = 0};
      const int n = ::poll(&ready, 1, 100);
      if (n == 0) {
        sync::MutexLock lock(&mu_);
        if (stopping_ && std::chrono::steady_clock::now() >= stop_deadline_) return false;
        continue;
      }
      piece = std::min(piece, kPipeChunk);
    }
    const ssize_t written = ::write(fd_, bytes.data(), piece);
    if (written < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (written <= 0) {
      write_errors_.store(write_errors_.load(std::memory_order_relaxed) + 1,
                          std::memory_order_relaxed);
      const auto now = std::chrono::steady_clock::now();
      if (now - last_error_log >= kErrorLogInterval) {
        last_error_log = now;
        LogError(
            "access log %s: write failed: %s (records lost; see "
            "switchyard_access_log_write_errors_total)",
            options_.path.c_str(), written < 0 ? std::strerror(errno) : "nothing written");
      }
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

void AccessLogWriter::ReopenNow() {
  if (options_.path == "-") return;
  const int fd = OpenOutput(options_.path);
  if (fd < 0) {
    LogError("access log: cannot reopen %s: %s; still writing to the old file",
             options_.path.c_str(), std::strerror(errno));
    return;
  }
  ::close(fd_);
  fd_ = fd;
  fd_is_regular_file_ = IsRegularFile(fd);
  reopens_.store(reopens_.load() + 1);
  LogInfo("access log: reopened %s", options_.path.c_str());
}

}  // namespace switchyard::access_log
