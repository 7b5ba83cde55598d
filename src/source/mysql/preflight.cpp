// The MySQL/MariaDB preflight: facts read once, then pure checks with the fix for each failure.
#include "source/mysql/preflight.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <sstream>

namespace tributary::source::mysql {
namespace {

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

/// The privileges granted ON *.* by the SHOW GRANTS lines, uppercased.
std::set<std::string> global_privileges(const std::vector<std::string>& grants) {
  std::set<std::string> out;
  for (const auto& line : grants) {
    const std::string text = upper(line);
    if (text.rfind("GRANT ", 0) != 0) continue;
    const std::size_t on = text.find(" ON *.* TO ");
    if (on == std::string::npos) continue;
    std::stringstream list(text.substr(6, on - 6));
    std::string item;
    while (std::getline(list, item, ',')) {
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      out.insert(item);
    }
  }
  return out;
}

bool granted_select_anywhere(const std::vector<std::string>& grants) {
  for (const auto& line : grants) {
    const std::string text = upper(line);
    const std::size_t on = text.find(" ON ");
    if (text.rfind("GRANT ", 0) == 0 && on != std::string::npos &&
        (text.substr(0, on).find("SELECT") != std::string::npos ||
         text.substr(0, on).find("ALL PRIVILEGES") != std::string::npos)) {
      return true;
    }
  }
  return false;
}

std::string variable(const ServerFacts& facts, const std::string& name) {
  auto it = facts.variables.find(name);
  return it == facts.variables.end() ? std::string() : it->second;
}

bool has_variable(const ServerFacts& facts, const std::string& name) {
  return facts.variables.count(name) > 0;
}

}  // namespace

ServerVersion parse_server_version(const std::string& version) {
  ServerVersion out;
  std::string text = version;
  out.flavour = text.find("MariaDB") != std::string::npos ? Flavour::kMariadb : Flavour::kMysql;
  if (out.flavour == Flavour::kMariadb && text.rfind("5.5.5-", 0) == 0) text = text.substr(6);
  int* parts[] = {&out.major, &out.minor, &out.patch};
  std::size_t at = 0;
  for (int* part : parts) {
    const std::size_t start = at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
    if (at == start) break;
    *part = std::atoi(text.substr(start, at - start).c_str());
    if (at >= text.size() || text[at] != '.') break;
    ++at;
  }
  return out;
}

std::string describe(const ServerVersion& version) {
  return std::string(version.flavour == Flavour::kMariadb ? "MariaDB " : "MySQL ") +
         std::to_string(version.major) + "." + std::to_string(version.minor) + "." +
         std::to_string(version.patch);
}

Result<ServerFacts> read_server_facts(Connection& connection, const std::string& user) {
  ServerFacts facts;
  facts.user = user;
  facts.version = parse_server_version(connection.server_version());
  auto variables = connection.query(
      "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', "
      "'binlog_row_image', 'binlog_row_metadata', 'server_id', 'expire_logs_days', "
      "'binlog_expire_logs_seconds', 'gtid_mode', 'gtid_strict_mode', 'gtid_binlog_pos', "
      "'binlog_checksum', 'gtid_domain_id')");
  if (!variables) return variables.error();
  for (const auto& row : *variables) {
    if (row.size() >= 2 && row[0]) facts.variables[lower(*row[0])] = row[1].value_or("");
  }
  auto grants = connection.query("SHOW GRANTS FOR CURRENT_USER()");
  if (!grants) return grants.error();
  for (const auto& row : *grants) {
    if (!row.empty() && row[0]) facts.grants.push_back(*row[0]);
  }
  // SHOW SLAVE HOSTS needs REPLICATION MASTER ADMIN on MariaDB >= 10.5.2: optional.
  auto hosts = connection.query("SHOW SLAVE HOSTS");
  if (hosts) {
    for (const auto& row : *hosts) {
      if (!row.empty() && row[0]) facts.replica_server_ids.push_back(std::atoll(row[0]->c_str()));
    }
  } else {
    facts.replica_hosts_visible = false;
  }
  auto dumps = connection.query(
      "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
  if (dumps && !dumps->empty() && (*dumps)[0][0]) {
    facts.binlog_dump_threads = std::atoi((*dumps)[0][0]->c_str());
  }
  return facts;
}

std::vector<Finding> check_server(const ServerFacts& facts, int64_t server_id,
                                  const std::string& scope) {
  std::vector<Finding> out;
  auto problem = [&](std::string text) {
    out.push_back({Finding::Level::kProblem, scope, std::move(text)});
  };
  auto warning = [&](std::string text) {
    out.push_back({Finding::Level::kWarning, scope, std::move(text)});
  };
  auto fact = [&](std::string text) {
    out.push_back({Finding::Level::kFact, scope, std::move(text)});
  };
  const ServerVersion& v = facts.version;
  const bool mariadb = v.flavour == Flavour::kMariadb;
  fact("server is " + describe(v));
  if (mariadb ? !v.at_least(10, 5) : !v.at_least(5, 7)) {
    problem(describe(v) +
            " is not supported: tributary needs MariaDB 10.5 or later, or MySQL "
            "5.7 or later (fix: upgrade the server)");
  }
  const std::string user = "'" + facts.user + "'@'%'";

  // Binary log settings: each needs the SET GLOBAL (new sessions) and the my.cnf line (restarts).
  if (upper(variable(facts, "log_bin")) != "ON") {
    problem("log_bin is " +
            (variable(facts, "log_bin").empty() ? std::string("OFF") : variable(facts, "log_bin")) +
            ": the server writes no binary log (fix: it cannot be set at runtime; add "
            "'log_bin = mysql-bin' and 'server_id = 1' under [mysqld] in my.cnf and restart the "
            "server)");
  }
  struct Required {
    const char* name;
    const char* value;
  };
  for (const Required& required :
       {Required{"binlog_format", "ROW"}, Required{"binlog_row_image", "FULL"}}) {
    const std::string actual = upper(variable(facts, required.name));
    if (actual != required.value) {
      problem(std::string(required.name) + " is " + (actual.empty() ? "unset" : actual) +
              ", tributary needs " + required.value + " (fix: SET GLOBAL " + required.name +
              " = '" + required.value + "'; and '" + required.name + " = " + required.value +
              "' under [mysqld] in my.cnf; sessions already open keep the old value)");
    }
  }
  const bool metadata_supported = mariadb ? v.at_least(10, 5) : v.at_least(8, 0, 14);
  if (!metadata_supported || !has_variable(facts, "binlog_row_metadata")) {
    problem("binlog_row_metadata is not available on " + describe(v) +
            ": tributary needs column names and types in the binlog (MariaDB 10.5 or later, MySQL "
            "8.0.14 or later; fix: upgrade the server)");
  } else if (upper(variable(facts, "binlog_row_metadata")) != "FULL") {
    problem("binlog_row_metadata is " + upper(variable(facts, "binlog_row_metadata")) +
            ", tributary needs FULL (fix: SET GLOBAL binlog_row_metadata = 'FULL'; and "
            "'binlog_row_metadata = FULL' under [mysqld] in my.cnf)");
  }

  // Privileges (global ones; a grant through a role is not seen here).
  const std::set<std::string> privileges = global_privileges(facts.grants);
  const bool all = privileges.count("ALL PRIVILEGES") > 0 || privileges.count("ALL") > 0;
  std::vector<std::string> missing;
  if (!all) {
    if (privileges.count("REPLICATION SLAVE") == 0) missing.emplace_back("REPLICATION SLAVE");
    // MariaDB >= 10.5 shows REPLICATION CLIENT as BINLOG MONITOR (an alias).
    const bool client =
        privileges.count("REPLICATION CLIENT") > 0 || privileges.count("BINLOG MONITOR") > 0;
    if (!client) missing.emplace_back(mariadb ? "BINLOG MONITOR" : "REPLICATION CLIENT");
    if (!granted_select_anywhere(facts.grants)) missing.emplace_back("SELECT");
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& name : missing) list += (list.empty() ? "" : ", ") + name;
    problem("user '" + facts.user + "' lacks " + list + " (fix: GRANT " + list + " ON *.* TO " +
            user + ";)");
  }

  // server_id: unique among the server itself and its replicas.
  const std::string own = variable(facts, "server_id");
  if (!own.empty() && std::atoll(own.c_str()) == server_id) {
    problem("source.server_id " + std::to_string(server_id) +
            " is the server's own server_id (fix: set source.server_id to a number no replica "
            "and no other binlog reader of this server uses)");
  }
  if (std::find(facts.replica_server_ids.begin(), facts.replica_server_ids.end(), server_id) !=
      facts.replica_server_ids.end()) {
    problem("source.server_id " + std::to_string(server_id) +
            " is used by a replica of this server (SHOW SLAVE HOSTS); the server disconnects one "
            "of two readers with the same ID (fix: choose another source.server_id)");
  }
  if (facts.binlog_dump_threads > 0) {
    fact(std::to_string(facts.binlog_dump_threads) +
         " binlog reader(s) connected now; make sure none uses server_id " +
         std::to_string(server_id) +
         (facts.replica_hosts_visible ? "" : " (SHOW SLAVE HOSTS needs REPLICATION MASTER ADMIN)"));
  }

  // Retention: a position older than the retention cannot be resumed from.
  double seconds = std::atof(variable(facts, "binlog_expire_logs_seconds").c_str());
  if (seconds == 0) seconds = std::atof(variable(facts, "expire_logs_days").c_str()) * 86400;
  if (seconds == 0) {
    fact("binary logs are kept until purged (no expiry set)");
  } else if (seconds < 86400) {
    warning("binary logs expire after " + std::to_string(static_cast<int64_t>(seconds)) +
            " s, less than a day: a pipeline stopped longer than that cannot resume (fix: SET "
            "GLOBAL binlog_expire_logs_seconds = 604800; and the same under [mysqld] in my.cnf)");
  }

  // GTID mode: resume by GTID when the server has GTIDs.
  if (mariadb) {
    fact(std::string("GTIDs: resume by GTID (gtid_binlog_pos '") +
         variable(facts, "gtid_binlog_pos") + "', gtid_strict_mode " +
         variable(facts, "gtid_strict_mode") + ")");
  } else if (upper(variable(facts, "gtid_mode")) == "ON") {
    fact("GTIDs: gtid_mode ON, resume by GTID");
  } else {
    fact("GTIDs: gtid_mode " + variable(facts, "gtid_mode") +
         ", resume by binlog file and position");
  }
  return out;
}

std::vector<Finding> preflight(const config::SourceConfig& source, const std::string& scope) {
  auto connection = Connection::connect(ConnectionOptions::from(source));
  if (!connection) return {{Finding::Level::kProblem, scope, connection.error().message}};
  auto facts = read_server_facts(**connection, source.user);
  if (!facts) return {{Finding::Level::kProblem, scope, facts.error().message}};
  const std::string tls = (*connection)->tls_description();
  std::vector<Finding> out = {
      {tls == "no TLS" && source.sslmode != "disable" ? Finding::Level::kWarning
                                                      : Finding::Level::kFact,
       scope,
       "connected as " + source.user + (tls == "no TLS" ? " without TLS" : " over " + tls) +
           ", sslmode " + source.sslmode +
           (tls == "no TLS" && source.sslmode != "disable"
                ? " (the server offers no TLS: enable it there and set sslmode verify-full)"
                : "")}};
  auto checks = check_server(*facts, source.server_id, scope);
  out.insert(out.end(), checks.begin(), checks.end());
  return out;
}

}  // namespace tributary::source::mysql
