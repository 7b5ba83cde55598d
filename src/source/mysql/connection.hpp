// A MariaDB Connector/C connection to a MySQL or MariaDB server: connect with timeouts and TLS,
// run statements, fetch rows; every error names host:port, mysql_errno and SQLSTATE.
#pragma once

#include <mysql.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"

namespace tributary::source::mysql {

struct ConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user;
  std::string password;            ///< passed to Connector/C only; never logged
  std::string database;            ///< "" = none
  std::string sslmode = "prefer";  ///< libpq's names (config source.sslmode)
  std::string sslrootcert;         ///< MYSQL_OPT_SSL_CA; "" = none (verify-full: the system store)
  std::string sslcert;             ///< MYSQL_OPT_SSL_CERT; "" = no client certificate
  std::string sslkey;              ///< MYSQL_OPT_SSL_KEY
  int connect_timeout_seconds = 10;
  int read_timeout_seconds = 0;  ///< 0: Connector/C's default (none)
  static ConnectionOptions from(const config::SourceConfig& source);
};

/// One row of a text-protocol result; a value is nullopt for SQL NULL.
using TextRow = std::vector<std::optional<std::string>>;

/// Owns one MYSQL handle. Not thread-safe: one thread uses a connection at a time.
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> connect(const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  MYSQL* raw() { return mysql_; }
  /// "MySQL 127.0.0.1:3306" (no user, no password), the start of every message.
  const std::string& where() const { return where_; }
  std::string server_version() const { return mysql_get_server_info(mysql_); }
  /// "TLS (TLSv1.3, TLS_AES_256_GCM_SHA384)" or "no TLS": what this connection runs over.
  std::string tls_description();

  /// Runs a statement, discarding any rows.
  Result<void> execute(const std::string& sql);
  /// Runs a statement and returns all its rows (small results: variables, grants).
  Result<std::vector<TextRow>> query(const std::string& sql);
  /// Runs a query and hands rows one at a time without buffering the result (mysql_use_result):
  /// `on_row(row, lengths, field_count)` returns false to stop. MYSQL_ROW values are NULL for SQL
  /// NULL.
  template <class OnRow>
  Result<void> stream(const std::string& sql, OnRow&& on_row);

  /// An error for the last failure of this connection: kConfig for access denied / unknown
  /// database, kRetriable for a lost or refused connection, kFatal otherwise.
  Error last_error(const std::string& what) const;

  static std::string quote_identifier(std::string_view name);
  std::string quote_literal(std::string_view value);

 private:
  Connection(MYSQL* mysql, std::string where) : mysql_(mysql), where_(std::move(where)) {}
  MYSQL* mysql_;
  std::string where_;
};

/// Classifies a Connector/C error number (see Connection::last_error).
ErrorKind classify_mysql_error(unsigned int error_number);

template <class OnRow>
Result<void> Connection::stream(const std::string& sql, OnRow&& on_row) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return last_error("query failed");
  MYSQL_RES* result = mysql_use_result(mysql_);
  if (result == nullptr) {
    if (mysql_field_count(mysql_) == 0) return {};
    return last_error("reading the result failed");
  }
  const unsigned int fields = mysql_num_fields(result);
  bool stopped = false;
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    if (!on_row(row, mysql_fetch_lengths(result), fields)) {
      stopped = true;
      break;
    }
  }
  const bool failed = !stopped && mysql_errno(mysql_) != 0;
  Error error = failed ? last_error("reading rows failed") : Error{};
  mysql_free_result(result);  // after a stop, reads and discards the rest
  if (failed) return error;
  return {};
}

}  // namespace tributary::source::mysql
