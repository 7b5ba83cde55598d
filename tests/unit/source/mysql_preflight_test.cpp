// MySQL preflight checks on facts alone (no server): version parsing, the MySQL flavour's rules
// (binlog_row_metadata from 8.0.14, REPLICATION CLIENT, gtid_mode) the MariaDB tests cannot reach.
#include <catch2/catch.hpp>

#include "source/mysql/preflight.hpp"

namespace tributary::source::mysql {
namespace {

ServerFacts good_mysql() {
  ServerFacts facts;
  facts.version = parse_server_version("8.0.36");
  facts.user = "cdc";
  facts.variables = {{"log_bin", "ON"},
                     {"binlog_format", "ROW"},
                     {"binlog_row_image", "FULL"},
                     {"binlog_row_metadata", "FULL"},
                     {"server_id", "1"},
                     {"binlog_expire_logs_seconds", "2592000"},
                     {"gtid_mode", "ON"}};
  facts.grants = {"GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `cdc`@`%`"};
  return facts;
}

std::vector<std::string> problems(const ServerFacts& facts, int64_t server_id = 5401) {
  std::vector<std::string> out;
  for (const auto& finding : check_server(facts, server_id, "p")) {
    if (finding.problem()) out.push_back(finding.text);
  }
  return out;
}

}  // namespace

TEST_CASE("server versions and flavours", "[mysql][preflight]") {
  const ServerVersion maria = parse_server_version("10.11.19-MariaDB-0+deb12u1-log");
  CHECK(maria.flavour == Flavour::kMariadb);
  CHECK((maria.major == 10 && maria.minor == 11 && maria.patch == 19));
  const ServerVersion old_maria = parse_server_version("5.5.5-10.4.2-MariaDB");
  CHECK((old_maria.flavour == Flavour::kMariadb && old_maria.major == 10 && old_maria.minor == 4));
  const ServerVersion mysql = parse_server_version("8.0.14-log");
  CHECK(
      (mysql.flavour == Flavour::kMysql && mysql.at_least(8, 0, 14) && !mysql.at_least(8, 0, 15)));
  CHECK(describe(mysql) == "MySQL 8.0.14");
}

TEST_CASE("a good MySQL 8 server has no problems", "[mysql][preflight]") {
  CHECK(problems(good_mysql()).empty());
}

TEST_CASE("MySQL before 8.0.14 has no binlog_row_metadata", "[mysql][preflight]") {
  ServerFacts facts = good_mysql();
  facts.version = parse_server_version("8.0.13");
  const auto found = problems(facts);
  REQUIRE(found.size() == 1);
  CHECK(found[0].find("binlog_row_metadata is not available on MySQL 8.0.13") != std::string::npos);
}

TEST_CASE("MySQL privileges are named with MySQL's names", "[mysql][preflight]") {
  ServerFacts facts = good_mysql();
  facts.grants = {"GRANT USAGE ON *.* TO `cdc`@`%`", "GRANT SELECT ON `shop`.* TO `cdc`@`%`"};
  const auto found = problems(facts);
  REQUIRE(found.size() == 1);
  CHECK(found[0] ==
        "user 'cdc' lacks REPLICATION SLAVE, REPLICATION CLIENT (fix: GRANT "
        "REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'cdc'@'%';)");
  facts.grants = {"GRANT ALL PRIVILEGES ON *.* TO `cdc`@`%`"};
  CHECK(problems(facts).empty());
}

TEST_CASE("server_id used by a replica; retention in days", "[mysql][preflight]") {
  ServerFacts facts = good_mysql();
  facts.replica_server_ids = {5401};
  REQUIRE(problems(facts).size() == 1);
  CHECK(problems(facts)[0].find("is used by a replica of this server") != std::string::npos);

  facts.replica_server_ids.clear();
  facts.variables["binlog_expire_logs_seconds"] = "0";
  facts.variables["expire_logs_days"] = "0.5";  // MariaDB allows fractions
  bool warned = false;
  for (const auto& finding : check_server(facts, 5401, "p")) {
    if (finding.level == Finding::Level::kWarning) {
      warned = finding.text.find("expire after 43200 s") != std::string::npos;
    }
  }
  CHECK(warned);
}

}  // namespace tributary::source::mysql
