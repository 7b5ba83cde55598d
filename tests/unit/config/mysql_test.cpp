// source.type mysql: server_id, the port and tables.include defaults, and the keys of one source
// type only.
#include <catch2/catch.hpp>
#include <regex>

#include "config/config.hpp"
#include "helpers.hpp"

namespace tributary::config::testing {
namespace {

std::string mysql_yaml(const std::string& source_extra, const std::string& pipeline_extra = "") {
  return R"(
pipelines:
  - name: orders
    source:
      type: mysql
      user: cdc
)" + source_extra +
         pipeline_extra +
         R"(
kafka:
  bootstrap_servers: 127.0.0.1:9092
)";
}

}  // namespace

TEST_CASE("mysql: server_id given, port and tables.include defaults, database optional",
          "[config][mysql]") {
  const LoadResult result = load(mysql_yaml("      server_id: 5401\n"));
  REQUIRE(result.config.has_value());
  const PipelineConfig& p = result.config->pipelines.at(0);
  CHECK(p.source.type == SourceType::kMysql);
  CHECK(p.source.server_id == 5401);
  CHECK(p.source.port == 3306);
  CHECK(p.source.database.empty());
  REQUIRE(p.tables.include == std::vector<std::string>{kMysqlDefaultInclude});

  // The default captures every database but the system ones.
  const std::regex pattern(p.tables.include[0], std::regex::ECMAScript);
  for (const char* captured : {"shop.orders", "mysqlx.t", "sysadmin.t", "my_sql.t", "sys_.x"}) {
    INFO(captured);
    CHECK(std::regex_match(captured, pattern));
  }
  for (const char* system : {"mysql.user", "information_schema.COLUMNS",
                             "performance_schema.threads", "sys.version", "nodot"}) {
    INFO(system);
    CHECK_FALSE(std::regex_match(system, pattern));
  }
}

TEST_CASE("mysql: server_id bounds", "[config][mysql]") {
  CHECK(load(mysql_yaml("      server_id: 4294967295\n")).config->pipelines[0].source.server_id ==
        4294967295LL);
  CHECK(load(mysql_yaml("      server_id: 1\n")).config.has_value());
  for (const char* bad : {"0", "4294967296", "-3"}) {
    INFO(bad);
    const LoadResult result = load(mysql_yaml(std::string("      server_id: ") + bad + "\n"));
    CHECK_FALSE(result.config.has_value());
    CHECK(message_at(result, "pipelines[0].source.server_id").find("4294967295") !=
          std::string::npos);
  }
}

TEST_CASE("mysql: server_id is required and the message says it must be unique",
          "[config][mysql]") {
  const LoadResult result = load(mysql_yaml(""));
  REQUIRE_FALSE(result.config.has_value());
  const std::string message = message_at(result, "pipelines[0].source.server_id");
  CHECK(message.find("is required for type mysql") != std::string::npos);
  CHECK(message.find("server_id: 5401") != std::string::npos);
  CHECK(message.find("unique among the server's replicas") != std::string::npos);
}

TEST_CASE("mysql: slot and publication are PostgreSQL only", "[config][mysql]") {
  const LoadResult result =
      load(mysql_yaml("      server_id: 7\n      slot: s1\n      publication: p1\n"));
  REQUIRE_FALSE(result.config.has_value());
  CHECK(result.errors.size() == 2);
  CHECK(message_at(result, "pipelines[0].source.slot").find("is PostgreSQL only") !=
        std::string::npos);
  CHECK(message_at(result, "pipelines[0].source.publication").find("is PostgreSQL only") !=
        std::string::npos);
}

TEST_CASE("mysql: an explicit tables.include and port are kept", "[config][mysql]") {
  const LoadResult result = load(mysql_yaml("      server_id: 7\n      port: 3307\n",
                                            "    tables: {include: [\"shop\\\\..*\"]}\n"));
  REQUIRE(result.config.has_value());
  CHECK(result.config->pipelines[0].source.port == 3307);
  CHECK(result.config->pipelines[0].tables.include == std::vector<std::string>{"shop\\..*"});
}

TEST_CASE("postgres: server_id is MySQL only, database is required", "[config][mysql]") {
  const LoadResult with_id = load(R"(
pipelines:
  - name: shop
    source: {type: postgres, database: shop, user: cdc, server_id: 5}
kafka: {bootstrap_servers: "k:9092"}
)");
  REQUIRE_FALSE(with_id.config.has_value());
  CHECK(message_at(with_id, "pipelines[0].source.server_id").find("is MySQL only") !=
        std::string::npos);

  const LoadResult no_database = load(R"(
pipelines:
  - name: shop
    source: {type: postgres, user: cdc}
kafka: {bootstrap_servers: "k:9092"}
)");
  REQUIRE_FALSE(no_database.config.has_value());
  CHECK(message_at(no_database, "pipelines[0].source.database")
            .find("is required for type postgres but missing; add 'database: shop'") !=
        std::string::npos);

  const LoadResult defaults = load(kMinimal);
  REQUIRE(defaults.config.has_value());
  CHECK(defaults.config->pipelines[0].source.server_id == 0);
  CHECK(defaults.config->pipelines[0].tables.include == std::vector<std::string>{"public\\..*"});
}

TEST_CASE("schema_changes: MySQL only, default false", "[config][mysql]") {
  const LoadResult on = load(mysql_yaml("      server_id: 7\n", "    schema_changes: true\n"));
  REQUIRE(on.config.has_value());
  CHECK(on.config->pipelines[0].schema_changes);
  const LoadResult off = load(mysql_yaml("      server_id: 7\n"));
  REQUIRE(off.config.has_value());
  CHECK_FALSE(off.config->pipelines[0].schema_changes);

  const LoadResult postgres = load(R"(
pipelines:
  - name: shop
    source: {type: postgres, database: shop, user: cdc}
    schema_changes: true
kafka: {bootstrap_servers: "k:9092"}
)");
  REQUIRE_FALSE(postgres.config.has_value());
  CHECK(postgres.errors.size() == 1);
  const std::string message = message_at(postgres, "pipelines[0].schema_changes");
  CHECK(message.find("is MySQL only") != std::string::npos);
  CHECK(message.find("set 'type: mysql'") != std::string::npos);
}

}  // namespace tributary::config::testing
