// Checks a MySQL or MariaDB server against what the binlog source needs, each failure with the
// setting and the SQL (and my.cnf line) that fixes it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "source/mysql/connection.hpp"

namespace tributary::source::mysql {

/// One finding, in the form app::Finding takes (problem / scope / text), plus a warning level.
struct Finding {
  enum class Level { kFact, kWarning, kProblem };
  Level level = Level::kFact;
  std::string scope;  ///< the pipeline name
  std::string text;
  bool problem() const { return level == Level::kProblem; }
};

enum class Flavour { kMysql, kMariadb };

struct ServerVersion {
  Flavour flavour = Flavour::kMysql;
  int major = 0;
  int minor = 0;
  int patch = 0;
  bool at_least(int ma, int mi, int pa = 0) const {
    return major != ma ? major > ma : minor != mi ? minor > mi : patch >= pa;
  }
};

/// "10.11.19-MariaDB-0+deb12u1-log" -> MariaDB 10.11.19; "8.0.36" -> MySQL 8.0.36. A MariaDB
/// server behind a 5.5.5- prefix ("5.5.5-10.11.6-MariaDB") is read past the prefix.
ServerVersion parse_server_version(const std::string& version);
std::string describe(const ServerVersion& version);

/// What the checks read from the server, apart so that they can be tested without one.
struct ServerFacts {
  ServerVersion version;
  std::map<std::string, std::string> variables;  ///< SHOW GLOBAL VARIABLES, names lowercased
  std::vector<std::string> grants;               ///< SHOW GRANTS lines
  std::vector<int64_t> replica_server_ids;       ///< SHOW SLAVE HOSTS (when allowed)
  bool replica_hosts_visible = true;             ///< false: SHOW SLAVE HOSTS was refused
  int binlog_dump_threads = 0;                   ///< other readers in the processlist
  std::string user;                              ///< for the GRANT statements in fixes
};

/// Reads ServerFacts over `connection` (a failed query is an Error; missing privileges for the
/// optional parts are recorded, not errors).
Result<ServerFacts> read_server_facts(Connection& connection, const std::string& user);

/// The checks: version, log_bin, binlog_format, binlog_row_image, binlog_row_metadata,
/// privileges, server_id, binlog retention, GTID mode.
std::vector<Finding> check_server(const ServerFacts& facts, int64_t server_id,
                                  const std::string& scope);

/// Connects with `source`, reads the facts and checks them (a connection failure is one problem).
std::vector<Finding> preflight(const config::SourceConfig& source, const std::string& scope);

}  // namespace tributary::source::mysql
