// A libpq connection with Result-returning helpers and failure classification.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"

namespace tributary::source::postgres {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

/// Owns one PGconn. Not thread-safe: one thread (or the loop) uses a connection at a time.
class PgConnection {
 public:
  enum class Mode { kNormal, kReplication };

  /// Connects with the source settings; the password is passed to libpq, never logged.
  static Result<std::unique_ptr<PgConnection>> connect(const config::SourceConfig& source,
                                                       Mode mode,
                                                       const std::string& application_name);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* raw() { return conn_; }

  /// Runs a statement that returns no rows or rows (PGRES_COMMAND_OK / PGRES_TUPLES_OK).
  Result<PgResult> exec(const std::string& sql);
  /// Runs a parameterized statement (text parameters).
  Result<PgResult> exec_params(const std::string& sql, const std::vector<std::string>& params);
  /// Runs a statement that starts COPY BOTH (START_REPLICATION).
  Result<void> exec_copy_both(const std::string& sql);

  /// Classifies the last failure: SQLSTATE 42501 / 28000 -> kConfig, connection lost -> kRetriable.
  Error classify(const std::string& what, const PGresult* result) const;

  /// Double-quoted identifier (PQescapeIdentifier).
  std::string quote_identifier(const std::string& name);
  std::string quote_literal(const std::string& value);

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;
};

}  // namespace tributary::source::postgres
