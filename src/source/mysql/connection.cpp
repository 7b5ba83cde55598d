// Connector/C wrapper: connect (timeouts, TLS, utf8mb4, UTC), queries, error classification.
#include "source/mysql/connection.hpp"

#include <errmsg.h>
#include <mysqld_error.h>

#include <mutex>

namespace tributary::source::mysql {
namespace {

void library_init() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

std::string tls_fix(const std::string& message, const ConnectionOptions& options) {
  const auto has = [&](const char* text) { return message.find(text) != std::string::npos; };
  if (has("Validation of SSL server certificate failed") || has("hostname") || has("host name")) {
    return "connect by a name or IP the server's certificate holds (source.host), or issue it a "
           "certificate with subjectAltName " +
           options.host + "; sslmode verify-ca checks the CA but not the name";
  }
  if (has("SSL is required") || has("doesn't support") || has("not support")) {
    return "enable TLS on the server (ssl_cert, ssl_key), or lower source.sslmode";
  }
  if (has("verify") || has("certificate") || has("issuer")) {
    return "source.sslrootcert must hold the CA that signed the server's certificate" +
           std::string(options.sslrootcert.empty() ? " (it is empty: the system's CA store)"
                                                   : " (now " + options.sslrootcert + ")") +
           ", and source.sslcert / source.sslkey (if set) be readable PEM files";
  }
  return "check source.sslrootcert, source.sslcert and source.sslkey against the server's "
         "ssl_ca, ssl_cert and ssl_key";
}

}  // namespace

ConnectionOptions ConnectionOptions::from(const config::SourceConfig& source) {
  ConnectionOptions options;
  options.host = source.host;
  options.port = source.port;
  options.user = source.user;
  options.password = source.password;
  options.database = source.database;
  options.sslmode = source.sslmode;
  options.sslrootcert = source.sslrootcert;
  options.sslcert = source.sslcert;
  options.sslkey = source.sslkey;
  options.connect_timeout_seconds = source.connect_timeout_seconds;
  return options;
}

ErrorKind classify_mysql_error(unsigned int error_number) {
  switch (error_number) {
    case ER_ACCESS_DENIED_ERROR:           // 1045 wrong user or password
    case ER_DBACCESS_DENIED_ERROR:         // 1044
    case ER_BAD_DB_ERROR:                  // 1049 unknown database
    case ER_TABLEACCESS_DENIED_ERROR:      // 1142
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:  // 1227 needs a privilege
    case ER_HOST_NOT_PRIVILEGED:           // 1130
      return ErrorKind::kConfig;
    case CR_CONNECTION_ERROR:   // 2002
    case CR_CONN_HOST_ERROR:    // 2003
    case CR_UNKNOWN_HOST:       // 2005
    case CR_SERVER_GONE_ERROR:  // 2006
    case CR_SERVER_LOST:        // 2013
    case ER_SERVER_SHUTDOWN:    // 1053
    case ER_CON_COUNT_ERROR:    // 1040 too many connections
    case ER_CONNECTION_KILLED:  // 1927 (MariaDB)
    case ER_LOCK_WAIT_TIMEOUT:  // 1205
    case ER_LOCK_DEADLOCK:      // 1213
      return ErrorKind::kRetriable;
    default:
      return ErrorKind::kFatal;
  }
}

Result<std::unique_ptr<Connection>> Connection::connect(const ConnectionOptions& options) {
  library_init();
  std::string where = "MySQL " + options.host + ":" + std::to_string(options.port);
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return Error::fatal(where + ": Connector/C could not allocate a handle");
  auto connection = std::unique_ptr<Connection>(new Connection(mysql, where));

  const unsigned int connect_timeout = static_cast<unsigned int>(options.connect_timeout_seconds);
  mysql_optionsv(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  if (options.read_timeout_seconds > 0) {
    const unsigned int read_timeout = static_cast<unsigned int>(options.read_timeout_seconds);
    mysql_optionsv(mysql, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
    mysql_optionsv(mysql, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
  }
  mysql_optionsv(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // TIMESTAMP values in UTC, whatever the server's time zone (snapshot rows, NOW() in checks).
  mysql_optionsv(mysql, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  // TLS with libpq's meanings. What Connector/C 3.3 (OpenSSL) does with each option:
  // MYSQL_OPT_SSL_CA set -> the chain is verified (SSL_VERIFY_PEER) and the connection refused
  // when it does not verify, but the host name is not looked at; MYSQL_OPT_SSL_VERIFY_SERVER_CERT
  // -> the host name is checked too (X509_check_host / X509_check_ip_asc on source.host), and the
  // chain against the system's CA store when no CA is given. So verify-ca = the CA without
  // VERIFY_SERVER_CERT (and it needs a CA: without one nothing would be verified), verify-full =
  // both. As in libpq, require (and prefer) with a CA given verify it too.
  if (options.sslmode != "disable") {
    if (options.sslmode == "verify-ca" && options.sslrootcert.empty()) {
      return Error::config(where +
                           ": source.sslmode verify-ca needs source.sslrootcert for a mysql "
                           "source (Connector/C verifies the chain only against a CA file it is "
                           "given; fix: set source.sslrootcert, or use verify-full, which also "
                           "checks the host name against the system's CA store)");
    }
    const auto file = [](const std::string& path) { return path.empty() ? nullptr : path.c_str(); };
    mysql_ssl_set(mysql, file(options.sslkey), file(options.sslcert), file(options.sslrootcert),
                  nullptr, nullptr);
    if (options.sslmode == "require" || options.sslmode.rfind("verify-", 0) == 0) {
      const my_bool on = 1;
      mysql_optionsv(mysql, MYSQL_OPT_SSL_ENFORCE, &on);
      if (options.sslmode == "verify-full") {
        mysql_optionsv(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
      }
    }
  }
  if (mysql_real_connect(mysql, options.host.c_str(), options.user.c_str(),
                         options.password.c_str(),
                         options.database.empty() ? nullptr : options.database.c_str(),
                         static_cast<unsigned int>(options.port), nullptr, 0) == nullptr) {
    Error error = connection->last_error("cannot connect as user '" + options.user + "'");
    if (error.kind == ErrorKind::kConfig) {
      error.message +=
          " (fix: check source.user, source.password and source.database, and that "
          "the user may connect from this host; a user created REQUIRE SSL needs "
          "source.sslmode require or verify-full)";
    } else if (mysql_errno(mysql) == CR_SSL_CONNECTION_ERROR) {
      // A certificate that does not verify, a name that does not match, a TLS server required:
      // retrying cannot help until the certificate, the CA file or the setting changes.
      error.kind = ErrorKind::kConfig;
      error.message +=
          " (sslmode " + options.sslmode + "; fix: " + tls_fix(error.message, options) + ")";
    }
    return error;
  }
  return connection;
}

std::string Connection::tls_description() {
  const char* cipher = mysql_get_ssl_cipher(mysql_);
  if (cipher == nullptr) return "no TLS";
  const char* version = nullptr;
  mariadb_get_infov(mysql_, MARIADB_CONNECTION_TLS_VERSION, &version);
  return std::string("TLS (") + (version ? version : "?") + ", " + cipher + ")";
}

Connection::~Connection() {
  mysql_close(mysql_);
}

Error Connection::last_error(const std::string& what) const {
  const unsigned int number = mysql_errno(mysql_);
  std::string message = where_ + ": " + what + ": " + mysql_error(mysql_) + " (mysql_errno " +
                        std::to_string(number) + ", SQLSTATE " + mysql_sqlstate(mysql_) + ")";
  return {classify_mysql_error(number), std::move(message)};
}

Result<void> Connection::execute(const std::string& sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return last_error("statement failed");
  }
  if (MYSQL_RES* result = mysql_store_result(mysql_)) mysql_free_result(result);
  if (mysql_errno(mysql_) != 0) return last_error("statement failed");
  return {};
}

Result<std::vector<TextRow>> Connection::query(const std::string& sql) {
  std::vector<TextRow> rows;
  auto streamed = stream(sql, [&](MYSQL_ROW row, const unsigned long* lengths, unsigned int n) {
    TextRow& out = rows.emplace_back();
    out.reserve(n);
    for (unsigned int i = 0; i < n; ++i) {
      if (row[i] == nullptr) {
        out.emplace_back(std::nullopt);
      } else {
        out.emplace_back(std::string(row[i], lengths[i]));
      }
    }
    return true;
  });
  if (!streamed) return streamed.error();
  return rows;
}

std::string Connection::quote_identifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

std::string Connection::quote_literal(std::string_view value) {
  std::string out(value.size() * 2 + 1, '\0');
  const unsigned long n = mysql_real_escape_string(mysql_, out.data(), value.data(), value.size());
  out.resize(n);
  return "'" + out + "'";
}

}  // namespace tributary::source::mysql
