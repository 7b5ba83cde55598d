// Format 4 position records: MySQL / MariaDB positions and identities (round trips, strictness
// naming the field), format 3 still read, further() on binlog positions, and resume checks
// across source types.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_store.hpp"
#include "checkpoint/position_json.hpp"
#include "checkpoint/resume_check.hpp"

using tributary::ErrorKind;
using tributary::checkpoint::check_resume;
using tributary::checkpoint::further;
using tributary::checkpoint::position_record_from_json;
using tributary::checkpoint::PositionRecord;
using tributary::checkpoint::record_to_json;
using tributary::checkpoint::ServerState;
using tributary::event::MysqlIdentity;
using tributary::event::MysqlPosition;
using tributary::event::PostgresIdentity;
using tributary::event::SourcePosition;

namespace {

const std::chrono::system_clock::time_point kFixedTime{std::chrono::milliseconds(1714566896789)};

SourcePosition binlog_at(std::string file, uint64_t pos, std::string gtid_set) {
  SourcePosition position;
  position.snapshot_completed = true;
  position.mysql() = MysqlPosition{std::move(file), pos, std::move(gtid_set), 1};
  return position;
}

MysqlIdentity mariadb() {
  MysqlIdentity identity;
  identity.flavour = MysqlIdentity::Flavour::kMariadb;
  identity.server_id = 1;
  identity.gtid_domain_id = 0;
  return identity;
}

MysqlIdentity mysql() {
  MysqlIdentity identity;
  identity.flavour = MysqlIdentity::Flavour::kMysql;
  identity.server_uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
  identity.server_id = 7;
  return identity;
}

PositionRecord mysql_record(const SourcePosition& position, const MysqlIdentity& identity) {
  PositionRecord record;
  record.pipeline = "orders";
  record.epoch = 2;
  record.source = identity;
  record.position = position;
  return record;
}

PostgresIdentity postgres() {
  return PostgresIdentity{"7351236187229585432", 1, "shop", "tributary_orders"};
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("MariaDB and MySQL records round-trip in format 4", "[checkpoint][json][mysql]") {
  SourcePosition partial = binlog_at("mysql-bin.000003", 1234, "0-1-100,1-2-7");
  partial.partial_events = 5;
  const auto json = record_to_json(mysql_record(partial, mariadb()), kFixedTime);
  CHECK(json == R"({"format":4,"pipeline":"orders","epoch":2,)"
                R"("source":{"type":"mysql","flavour":"mariadb","server_uuid":"","server_id":1,)"
                R"("gtid_domain_id":0},"tables":null,"snapshot_completed":true,)"
                R"("position":{"type":"mysql","file":"mysql-bin.000003","pos":1234,)"
                R"("gtid_set":"0-1-100,1-2-7","server_id":1},"partial_events":5,)"
                R"("updated_at":"2024-05-01T12:34:56.789Z"})");
  auto parsed = position_record_from_json(json);
  REQUIRE(parsed.ok());
  CHECK(parsed->position == partial);
  CHECK(parsed->source == tributary::event::SourceIdentity(mariadb()));
  CHECK(parsed->format == 4);

  const SourcePosition gtids =
      binlog_at("binlog.000017", 4, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100:200,aa:tag_1:1-5");
  auto mysql_back = position_record_from_json(record_to_json(mysql_record(gtids, mysql())));
  REQUIRE(mysql_back.ok());
  CHECK(mysql_back->position == gtids);
  CHECK(mysql_back->source == tributary::event::SourceIdentity(mysql()));

  // Before the first binlog read (a snapshot under way): no file yet, no identity yet.
  SourcePosition empty;
  empty.mysql();
  PositionRecord unknown = mysql_record(empty, mariadb());
  unknown.source.reset();
  auto empty_back = position_record_from_json(record_to_json(unknown));
  REQUIRE(empty_back.ok());
  CHECK(empty_back->position == empty);
  CHECK(empty_back->position.is_mysql());
}

TEST_CASE("corrupt MySQL fields are rejected naming the field", "[checkpoint][json][mysql]") {
  const auto good = record_to_json(
      mysql_record(binlog_at("mysql-bin.000003", 1234, "0-1-100"), mariadb()), kFixedTime);
  const auto uuid = record_to_json(
      mysql_record(binlog_at("binlog.000001", 4, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9"),
                   mysql()),
      kFixedTime);
  struct Case {
    std::string name;
    std::string text;
    std::string mentions;
  };
  std::vector<Case> cases = {
      {"mysql in format 3", replace(good, R"("format":4)", R"("format":3)"),
       "unknown field \"position\""},
      {"file with a path",
       replace(good, R"("file":"mysql-bin.000003")", R"("file":"../mysql-bin.000003")"),
       "\"position.file\""},
      {"file a number", replace(good, R"("file":"mysql-bin.000003")", R"("file":3)"),
       "\"position.file\" must be a string"},
      {"pos negative", replace(good, R"("pos":1234)", R"("pos":-1)"), "\"position.pos\""},
      {"pos without a file", replace(good, R"("file":"mysql-bin.000003")", R"("file":"")"),
       "\"position.pos\" is 1234 but \"position.file\" is empty"},
      {"gtid set with spaces",
       replace(good, R"("gtid_set":"0-1-100")", R"("gtid_set":"0-1-100, 1")"),
       "\"position.gtid_set\""},
      {"gtid set missing", replace(good, R"("gtid_set":"0-1-100",)", ""),
       "missing field \"position.gtid_set\""},
      {"position server_id too big",
       replace(good, R"("server_id":1},"partial)", R"("server_id":4294967296},"partial)"),
       "\"position.server_id\""},
      {"position field of postgres", replace(good, R"("pos":1234,)", R"("pos":1234,"lsn":"0/0",)"),
       "unknown field \"position.lsn\""},
      {"flavour unknown", replace(good, R"("flavour":"mariadb")", R"("flavour":"percona")"),
       "\"source.flavour\""},
      {"mariadb with a uuid",
       replace(good, R"("server_uuid":"")",
               R"("server_uuid":"3e11fa47-71ca-11e1-9e33-c80aa9429562")"),
       "\"source.server_uuid\""},
      {"mysql without a uuid",
       replace(uuid, R"("server_uuid":"3e11fa47-71ca-11e1-9e33-c80aa9429562")",
               R"("server_uuid":"")"),
       "\"source.server_uuid\" must be a MySQL server UUID"},
      {"mysql with a domain", replace(uuid, R"("gtid_domain_id":0)", R"("gtid_domain_id":3)"),
       "\"source.gtid_domain_id\""},
      {"server_id zero", replace(good, R"("server_id":1,)", R"("server_id":0,)"),
       "\"source.server_id\" must be a positive integer"},
      {"source field of postgres",
       replace(good, R"("flavour":"mariadb",)", R"("flavour":"mariadb","slot":"s",)"),
       "unknown field \"source.slot\""},
      {"mysql identity with a postgres position",
       replace(good,
               R"("position":{"type":"mysql","file":"mysql-bin.000003","pos":1234,)"
               R"("gtid_set":"0-1-100","server_id":1})",
               R"("position":{"type":"postgres","lsn":"0/10","lsn_decimal":16,)"
               R"("partial_commit_lsn":"0/0","partial_commit_lsn_decimal":0})"),
       "\"position.type\" is postgres but \"source.type\" is mysql"},
      {"partial events without a file",
       replace(replace(good, R"("file":"mysql-bin.000003","pos":1234)", R"("file":"","pos":0)"),
               R"("partial_events":0)", R"("partial_events":3)"),
       "\"partial_events\" is 3 but \"position.file\" is empty"},
  };
  for (const auto& c : cases) {
    INFO(c.name << ": " << c.text);
    auto parsed = position_record_from_json(c.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::kCorrupt);
    CHECK_THAT(parsed.error().message, Catch::Contains(c.mentions));
  }
}

TEST_CASE("format 3 records (LSNs at the top level) are still read", "[checkpoint][json]") {
  // Written by tributary before format 4, byte for byte.
  const std::string old =
      R"({"format":3,"pipeline":"orders","epoch":7,)"
      R"("source":{"type":"postgres","system_identifier":"7351236187229585432",)"
      R"("timeline":1,"database":"shop","slot":"tributary_orders"},)"
      R"("tables":[{"schema":"public","table":"orders"}],)"
      R"("snapshot_completed":true,"lsn":"16/B374D848",)"
      R"("lsn_decimal":97500059720,"partial_commit_lsn":"16/B3750000",)"
      R"("partial_commit_lsn_decimal":97500069888,"partial_events":42,)"
      R"("updated_at":"2024-05-01T12:34:56.789Z"})";
  auto parsed = position_record_from_json(old);
  REQUIRE(parsed.ok());
  CHECK(parsed->format == 3);
  CHECK(parsed->position.is_postgres());
  CHECK(parsed->position.lsn() == 97500059720u);
  CHECK(parsed->position.partial_commit_lsn() == 97500069888u);
  CHECK(parsed->position.partial_events == 42);
  REQUIRE(parsed->tables);
  CHECK(parsed->tables->size() == 1);
  // Written back, it is format 4 with the same content.
  auto again = position_record_from_json(tributary::checkpoint::record_to_json_as_read(*parsed));
  REQUIRE(again.ok());
  CHECK(again->format == 4);
  CHECK(again->position == parsed->position);
  CHECK(again->source == parsed->source);
  CHECK(again->tables == parsed->tables);

  // A format 3 record never held a MySQL source.
  auto mysql_source =
      replace(old,
              R"("source":{"type":"postgres","system_identifier":"7351236187229585432",)"
              R"("timeline":1,"database":"shop","slot":"tributary_orders"})",
              R"("source":{"type":"mysql","flavour":"mariadb","server_uuid":"","server_id":1,)"
              R"("gtid_domain_id":0})");
  auto refused = position_record_from_json(mysql_source);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("unknown \"source.type\" \"mysql\""));
}

TEST_CASE("further orders binlog positions", "[checkpoint][further][mysql]") {
  const auto a = binlog_at("mysql-bin.000009", 9000, "0-1-10");
  const auto b = binlog_at("mysql-bin.000010", 4, "0-1-11");
  CHECK(further(a, b) == b);
  CHECK(further(b, a) == b);
  const auto big = binlog_at("mysql-bin.1000000", 4, "0-1-12");  // past 999999: one digit more
  CHECK(further(binlog_at("mysql-bin.999999", 50, ""), big) == big);
  auto later = a;
  later.mysql().pos = 9500;
  CHECK(further(later, a) == later);
  auto partial = a;
  partial.partial_events = 2;
  CHECK(further(a, partial) == partial);
  CHECK(further(partial, later) == later);
  SourcePosition snapshotting;
  snapshotting.mysql() = MysqlPosition{"mysql-bin.000100", 4, "", 1};
  CHECK(further(snapshotting, a) == a);
}

TEST_CASE("resume checks compare identities across source types", "[checkpoint][resume][mysql]") {
  ServerState pg_server;
  pg_server.identity = postgres();
  pg_server.wal_end = 1u << 30;
  auto refused = check_resume(
      mysql_record(binlog_at("mysql-bin.000003", 1234, "0-1-100"), mariadb()), pg_server);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::kConfig);
  CHECK_THAT(refused.error().message,
             Catch::Contains("recorded from a mysql source, this is postgres"));
  CHECK_THAT(refused.error().message, Catch::Contains("mysql-bin.000003:1234 gtid 0-1-100"));
  CHECK_THAT(refused.error().message, Catch::Contains("--to-slot"));

  ServerState my_server;
  my_server.identity = mariadb();
  PositionRecord pg_record;
  pg_record.pipeline = "orders";
  pg_record.source = postgres();
  pg_record.position.snapshot_completed = true;
  pg_record.position.postgres().lsn = 100;
  auto other = check_resume(pg_record, my_server);
  REQUIRE_FALSE(other.ok());
  CHECK_THAT(other.error().message,
             Catch::Contains("recorded from a postgres source, this is mysql"));
  CHECK_THAT(other.error().message, Catch::Contains("mariadb server_id 1, gtid domain 0"));

  // Same type: the same server resumes, another one is refused naming both.
  auto same = check_resume(mysql_record(binlog_at("mysql-bin.000003", 1234, "0-1-100"), mariadb()),
                           my_server);
  CHECK(same.ok());
  MysqlIdentity moved = mariadb();
  moved.server_id = 2;
  auto mismatch =
      check_resume(mysql_record(binlog_at("mysql-bin.000003", 1234, "0-1-100"), moved), my_server);
  REQUIRE_FALSE(mismatch.ok());
  CHECK_THAT(mismatch.error().message,
             Catch::Contains("mariadb server_id 2, gtid domain 0 recorded"));
  CHECK_THAT(mismatch.error().message,
             Catch::Contains("mariadb server_id 1, gtid domain 0 on the"));
}

TEST_CASE("positions describe themselves for logs", "[checkpoint][mysql]") {
  CHECK(describe(binlog_at("mysql-bin.000003", 1234, "0-1-100")) ==
        "mysql-bin.000003:1234 gtid 0-1-100");
  CHECK(describe(binlog_at("mysql-bin.000003", 1234, "")) == "mysql-bin.000003:1234");
  SourcePosition pg;
  pg.postgres().lsn = (uint64_t{0x16} << 32) | 0xB374D848u;
  pg.partial_events = 3;
  CHECK(describe(pg) == "16/B374D848 +3 events");
  CHECK(tributary::checkpoint::describe(mysql()) ==
        "mysql server_uuid 3e11fa47-71ca-11e1-9e33-c80aa9429562, server_id 7");
}
