// TokenStore in the control plane's SQLite file (table `tokens`, created on open), on a
// connection of its own, so that token lookups never wait behind a version append's lock
// in this process. Several control planes on one file share their tokens.
#ifndef SWITCHYARD_CONTROLPLANE_STORE_SQLITE_TOKEN_STORE_H_
#define SWITCHYARD_CONTROLPLANE_STORE_SQLITE_TOKEN_STORE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "common/sync/mutex.h"
#include "controlplane/store/token_store.h"

struct sqlite3;

namespace switchyard::controlplane {

class SqliteTokenStore final : public TokenStore {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteTokenStore>> Open(const std::string& path);
  ~SqliteTokenStore() override;
  SqliteTokenStore(const SqliteTokenStore&) = delete;
  SqliteTokenStore& operator=(const SqliteTokenStore&) = delete;

  absl::Status Create(const TokenRecord& record) override;
  absl::StatusOr<std::optional<TokenRecord>> FindByHash(const std::string& sha256_hex) override;
  absl::StatusOr<std::vector<TokenRecord>> List() override;
  absl::StatusOr<bool> Revoke(const std::string& name) override;

 private:
  SqliteTokenStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  absl::Status Error(const char* operation) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  sync::Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_STORE_SQLITE_TOKEN_STORE_H_
