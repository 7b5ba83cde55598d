// libpq connection wrapper: connect, exec, and one place that classifies failures.
#include "source/postgres/pg_connection.hpp"

#include <cstring>
#include <utility>

namespace tributary::source::postgres {
namespace {

/// libpq messages span lines ("...failed: Connection refused\n\tIs the server running...");
/// one log event stays one line.
std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (auto& c : text) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return text;
}

/// The fix for a TLS failure libpq reports, "" when `message` is not one. Retrying cannot help
/// these: the certificate, the CA file or the setting has to change.
std::string tls_fix(const std::string& message, const config::SourceConfig& source) {
  const auto has = [&](const char* text) { return message.find(text) != std::string::npos; };
  if (has("does not match host name") || has("no SSL certificate names")) {
    return "connect by a name the server's certificate holds (source.host), or issue it a "
           "certificate with subjectAltName " +
           source.host + "; sslmode verify-ca checks the CA but not the name";
  }
  if (has("certificate verify failed") || has("self-signed certificate") ||
      has("unable to get local issuer certificate")) {
    return "source.sslrootcert must hold the CA that signed the server's certificate" +
           std::string(source.sslrootcert.empty() ? " (it is empty: libpq reads "
                                                    "~/.postgresql/root.crt)"
                                                  : " (now " + source.sslrootcert + ")");
  }
  if (has("root certificate file") || has("could not read root certificate")) {
    return "set source.sslrootcert to a readable CA certificate file, or use sslmode require";
  }
  if (has("certificate file") || has("private key file") || has("could not load private key") ||
      has("has group or world access")) {
    return "source.sslcert and source.sslkey must be readable PEM files, the key mode 0600 "
           "owned by this user (or 0640 owned by root)";
  }
  if (has("certificate authentication failed") || has("requires a valid client certificate")) {
    return "source.sslcert must be a certificate signed by the server's ssl_ca_file whose CN is "
           "source.user (or mapped to it in pg_ident.conf), with its key in source.sslkey";
  }
  if (has("server does not support SSL")) {
    return "enable ssl on the server, or lower source.sslmode";
  }
  if (has("SSL off") || has("no encryption")) {
    return "the server accepts this user only over TLS: set source.sslmode to require or "
           "verify-full";
  }
  return "";
}

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::connect(const config::SourceConfig& source,
                                                            Mode mode,
                                                            const std::string& application_name) {
  std::string port = std::to_string(source.port);
  std::string timeout = std::to_string(source.connect_timeout_seconds);
  // Text forms the envelope parses: ISO dates, hex bytea, UTC offsets, round-trip floats. They
  // apply to snapshot queries and to pgoutput's output functions in the walsender alike.
  static const char* kSessionOptions =
      "-c DateStyle=ISO,MDY -c bytea_output=hex -c TimeZone=UTC -c extra_float_digits=3 "
      "-c IntervalStyle=postgres";
  std::vector<const char*> keys = {
      "host",   "port", "dbname", "user", "sslmode", "connect_timeout", "application_name",
      "options"};
  std::vector<const char*> values = {
      source.host.c_str(),    port.c_str(),    source.database.c_str(),  source.user.c_str(),
      source.sslmode.c_str(), timeout.c_str(), application_name.c_str(), kSessionOptions};
  if (!source.password.empty()) {
    keys.push_back("password");
    values.push_back(source.password.c_str());
  }
  // Empty: libpq's defaults (~/.postgresql/root.crt, postgresql.crt, postgresql.key).
  const std::pair<const char*, const std::string*> tls_files[] = {
      {"sslrootcert", &source.sslrootcert},
      {"sslcert", &source.sslcert},
      {"sslkey", &source.sslkey}};
  for (const auto& [key, file] : tls_files) {
    if (file->empty()) continue;
    keys.push_back(key);
    values.push_back(file->c_str());
  }
  if (mode == Mode::kReplication) {
    keys.push_back("replication");
    values.push_back("database");
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
  if (conn == nullptr) return Error::fatal("libpq could not allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = trim(PQerrorMessage(conn));
    PQfinish(conn);
    std::string where = "PostgreSQL " + source.host + ":" + port + " database " + source.database +
                        " user " + source.user;
    if (auto fix = tls_fix(message, source); !fix.empty()) {
      return Error::config("cannot connect to " + where + " (sslmode " + source.sslmode +
                           "): " + message + " (fix: " + fix + ")");
    }
    if (message.find("password authentication failed") != std::string::npos ||
        message.find("no pg_hba.conf entry") != std::string::npos ||
        (message.find("database \"") != std::string::npos &&
         message.find("does not exist") != std::string::npos) ||
        (message.find("role \"") != std::string::npos &&
         message.find("does not exist") != std::string::npos)) {
      std::string fix =
          message.find("pg_hba.conf") != std::string::npos && mode == Mode::kReplication
              ? " (fix: allow replication connections for this user in pg_hba.conf)"
              : " (fix: check source.user, source.password and source.database)";
      return Error::config("cannot connect to " + where + ": " + message + fix);
    }
    return Error::retriable("cannot connect to " + where + ": " + message);
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() {
  PQfinish(conn_);
}

Error PgConnection::classify(const std::string& what, const PGresult* result) const {
  std::string message = trim(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  if (message.empty()) message = trim(PQerrorMessage(conn_));
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  std::string text = what + ": " + message;
  if (PQstatus(conn_) != CONNECTION_OK) return Error::retriable(text);
  // 42501 insufficient_privilege, 28000 invalid authorization, 55000
  // object_not_in_prerequisite_state (wal_level), 42704 undefined_object: all need the operator to
  // change something.
  if (sqlstate == "42501" || sqlstate == "28000" || sqlstate == "55000" || sqlstate == "42704" ||
      sqlstate == "42P01") {
    return Error::config(text);
  }
  // 57P01 admin_shutdown, 57P02/57P03, 08xxx connection exceptions, 53xxx resources, 40001/40P01.
  if (sqlstate.rfind("57P", 0) == 0 || sqlstate.rfind("08", 0) == 0 ||
      sqlstate.rfind("53", 0) == 0 || sqlstate == "40001" || sqlstate == "40P01" ||
      sqlstate == "55006" /* object_in_use: slot active elsewhere */) {
    return Error::retriable(text);
  }
  return Error::fatal(text);
}

Result<PgResult> PgConnection::exec(const std::string& sql) {
  PgResult result(PQexec(conn_, sql.c_str()));
  auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return classify(sql, result.get());
  return result;
}

Result<PgResult> PgConnection::exec_params(const std::string& sql,
                                           const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  PgResult result(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0));
  auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return classify(sql, result.get());
  return result;
}

Result<void> PgConnection::exec_copy_both(const std::string& sql) {
  PgResult result(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(result.get()) != PGRES_COPY_BOTH) return classify(sql, result.get());
  return {};
}

std::string PgConnection::quote_identifier(const std::string& name) {
  char* quoted = PQescapeIdentifier(conn_, name.c_str(), name.size());
  std::string out = quoted ? quoted : "\"" + name + "\"";
  PQfreemem(quoted);
  return out;
}

std::string PgConnection::quote_literal(const std::string& value) {
  char* quoted = PQescapeLiteral(conn_, value.c_str(), value.size());
  std::string out = quoted ? quoted : "''";
  PQfreemem(quoted);
  return out;
}

}  // namespace tributary::source::postgres
