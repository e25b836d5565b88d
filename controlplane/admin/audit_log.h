// The admin API's audit log: one JSON line per call, whatever its outcome, including
// calls refused for want of credentials or role (docs/security.md, "Audit log"):
//
//   {"time":"2026-11-30T02:00:00.123Z","caller":"ci","via":"token","role":"operator",
//    "peer":"ipv4:10.0.0.7:53412","method":"Apply","code":"OK","message":"",
//    "version":12,"detail":"message: users to green"}
//
// The file is created owner-only (0600), appended to with one write per line (so lines
// from several control planes sharing the file do not interleave) and reopened by path
// each time it is found replaced or removed (log rotation). Thread-safe.
#ifndef SWITCHYARD_CONTROLPLANE_ADMIN_AUDIT_LOG_H_
#define SWITCHYARD_CONTROLPLANE_ADMIN_AUDIT_LOG_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sync/mutex.h"

namespace switchyard::controlplane {

struct AuditRecord {
  absl::Time time;
  // Empty when the caller did not authenticate.
  std::string caller;
  std::string via;
  std::string role;
  std::string peer;
  std::string method;
  absl::Status result;
  // The version an Apply or Rollback stored (0: none).
  uint64_t version = 0;
  // What was asked, in a few words (never a secret).
  std::string detail;
};

class AuditLog {
 public:
  // UNAVAILABLE when the file cannot be opened for appending.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one line; a failed write is logged (to stderr), never thrown back at the call.
  void Write(const AuditRecord& record) ABSL_LOCKS_EXCLUDED(mu_);

  // The line Write appends, without its newline.
  static std::string Format(const AuditRecord& record);

 private:
  explicit AuditLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  // Reopens when the path no longer names the open file.
  void ReopenIfMoved() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  sync::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_ADMIN_AUDIT_LOG_H_
