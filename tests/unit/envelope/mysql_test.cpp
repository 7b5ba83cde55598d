// MySQL and MariaDB in the envelope: the type mappings of DEBEZIUM_FORMAT.md's MySQL table from
// typed values (what the binlog decoder hands over) and the binlog connectors' `source` block.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "envelope/serializer.hpp"
#include "event_builders.hpp"

namespace tributary::envelope::testing {
namespace {

using event::Op;

Options mysql_options(bool schemas, const char* connector = "mysql") {
  Options o;
  o.topic_prefix = "orders";
  o.schemas = schemas;
  o.connector = connector;
  o.version = "tributary-test";
  return o;
}

event::SourceInfo binlog_source() {
  event::SourceInfo source;
  source.db = "shop";
  source.commit_time_us = 1766925059000000;
  auto& my = source.mysql();
  my.server_id = 5401;
  my.gtid = std::make_shared<const std::string>("0-5401-77");
  my.file = std::make_shared<const std::string>("mariadb-bin.000003");
  my.pos = 4711;
  my.row = 2;
  my.thread = 12;
  return source;
}

/// A one-column table shop.items (id BIGINT key, c of `t`); the insert's records.
std::vector<sink::Message> insert(event::ColumnType t, event::Value value, bool schemas = false,
                                  const char* connector = "mysql") {
  auto schema = table(
      "shop", "items",
      {column("id", type(TypeKind::kInt64, "BIGINT"), false), column("c", std::move(t))}, {0});
  Serializer serializer(mysql_options(schemas, connector));
  std::vector<sink::Message> out;
  auto result = serializer.serialize(
      change(Op::kCreate, schema, std::nullopt, row({event::Value(int64_t{1}), std::move(value)}),
             binlog_source()),
      kNowUs, out);
  INFO((result.ok() ? std::string() : result.error().message));
  REQUIRE(result.ok());
  return out;
}

/// The JSON of the "after" value of c.
std::string after_c(event::ColumnType t, event::Value value) {
  auto out = insert(std::move(t), std::move(value));
  const std::string& v = *out.at(0).value;
  const std::size_t start = v.find(",\"c\":") + 5;
  return v.substr(start, v.find("},\"source\"") - start);
}

/// The field schema node of c, from the value schema's "after" struct.
std::string schema_of_c(event::ColumnType t, event::Value value = event::Null{}) {
  auto out = insert(std::move(t), std::move(value), true);
  const std::string& v = *out.at(0).value;
  const std::size_t after = v.find("\"field\":\"before\"");
  const std::size_t end = v.find(",\"field\":\"c\"}", after);
  const std::size_t start = v.rfind("{\"type\"", end);
  return v.substr(start, end - start + 13);
}

event::ColumnType set_type() {
  event::ColumnType t = type(TypeKind::kSet, "SET('a','b','c')");
  t.enum_values = {"a", "b", "c"};
  return t;
}

}  // namespace

TEST_CASE("MySQL types map as Debezium's MySQL connector writes them", "[envelope][mysql]") {
  SECTION("BIT(n): io.debezium.data.Bits, bytes with the length parameter") {
    CHECK(schema_of_c(type(TypeKind::kBits, "BIT(12)", 12)) ==
          R"({"type":"bytes","optional":true,"name":"io.debezium.data.Bits","version":1,)"
          R"("parameters":{"length":"12"},"field":"c"})");
    CHECK(after_c(type(TypeKind::kBits, "BIT(12)", 12), event::Bytes{std::string("\x05\x0a", 2)}) ==
          "\"BQo=\"");
  }
  SECTION("YEAR: io.debezium.time.Year, int32") {
    CHECK(schema_of_c(type(TypeKind::kYear, "YEAR")) ==
          R"({"type":"int32","optional":true,"name":"io.debezium.time.Year","version":1,)"
          R"("field":"c"})");
    CHECK(after_c(type(TypeKind::kYear, "YEAR"), event::Value(int64_t{2024})) == "2024");
  }
  SECTION("SET: io.debezium.data.EnumSet with the allowed members") {
    CHECK(schema_of_c(set_type()) ==
          R"({"type":"string","optional":true,"name":"io.debezium.data.EnumSet","version":1,)"
          R"("parameters":{"allowed":"a,b,c"},"field":"c"})");
    CHECK(after_c(set_type(), event::Value(std::string("a,c"))) == "\"a,c\"");
  }
  SECTION("TIME is MicroTime whatever its precision (adaptive_time_microseconds)") {
    for (int precision : {0, 3, 6}) {
      INFO(precision);
      CHECK(schema_of_c(type(TypeKind::kTime, "TIME", precision)) ==
            R"({"type":"int64","optional":true,"name":"io.debezium.time.MicroTime","version":1,)"
            R"("field":"c"})");
    }
    // TIME spans -838:59:59 to 838:59:59.
    CHECK(after_c(type(TypeKind::kTime, "TIME", 0), event::Time{-3020399000000}) ==
          "-3020399000000");
  }
  SECTION("DATETIME(0-3) is Timestamp in ms, (4-6) MicroTimestamp, no zone shift") {
    CHECK(
        schema_of_c(type(TypeKind::kTimestamp, "DATETIME", 0)).find("io.debezium.time.Timestamp") !=
        std::string::npos);
    CHECK(schema_of_c(type(TypeKind::kTimestamp, "DATETIME(6)", 6))
              .find("io.debezium.time.MicroTimestamp") != std::string::npos);
    CHECK(after_c(type(TypeKind::kTimestamp, "DATETIME(3)", 3), event::Timestamp{1500}) == "1");
    CHECK(after_c(type(TypeKind::kTimestamp, "DATETIME(6)", 6), event::Timestamp{1500}) == "1500");
  }
  SECTION("TIMESTAMP is ZonedTimestamp in UTC with the column's fraction digits") {
    CHECK(schema_of_c(type(TypeKind::kTimestampTz, "TIMESTAMP", 0)) ==
          R"({"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp",)"
          R"("version":1,"field":"c"})");
    CHECK(after_c(type(TypeKind::kTimestampTz, "TIMESTAMP", 0),
                  event::ZonedTimestamp{1601213844000000, 0}) == "\"2020-09-27T13:37:24Z\"");
    CHECK(after_c(type(TypeKind::kTimestampTz, "TIMESTAMP(3)", 3),
                  event::ZonedTimestamp{1601213844058000, 0}) == "\"2020-09-27T13:37:24.058Z\"");
  }
  SECTION("unsigned integers in the kind the source picks") {
    CHECK(after_c(type(TypeKind::kInt16, "TINYINT UNSIGNED"), event::Value(int64_t{255})) == "255");
    CHECK(after_c(type(TypeKind::kInt32, "SMALLINT UNSIGNED"), event::Value(int64_t{65535})) ==
          "65535");
    CHECK(after_c(type(TypeKind::kInt64, "INT UNSIGNED"), event::Value(int64_t{4294967295})) ==
          "4294967295");
    // bigint.unsigned.handling.mode long: the 64 bits as a signed long.
    CHECK(after_c(type(TypeKind::kInt64, "BIGINT UNSIGNED"), event::Value(int64_t{-1})) == "-1");
    CHECK(schema_of_c(type(TypeKind::kInt32, "SMALLINT UNSIGNED")) ==
          R"({"type":"int32","optional":true,"field":"c"})");
  }
  SECTION("DECIMAL, DATE, DOUBLE, BLOB, JSON") {
    CHECK(after_c(type(TypeKind::kDecimal, "DECIMAL(10,2)", 10, 2),
                  event::Decimal{std::string("\x30\x39", 2), 2}) == "\"MDk=\"");
    CHECK(after_c(type(TypeKind::kDate, "DATE"), event::Date{18532}) == "18532");
    CHECK(after_c(type(TypeKind::kFloat64, "DOUBLE"), event::Value(0.5)) == "0.5");
    CHECK(after_c(type(TypeKind::kBytes, "BLOB"), event::Bytes{"ab"}) == "\"YWI=\"");
    CHECK(after_c(type(TypeKind::kJson, "JSON"), event::Value(std::string(R"({"a":1})"))) ==
          R"("{\"a\":1}")");
  }
  SECTION("a BIT(n) without its length has no mapping") {
    auto result = check_supported(
        *table("shop", "items", {column("b", type(TypeKind::kBits, "BIT", -1))}, {}));
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message.find("BIT(n) without its length") != std::string::npos);
  }
}

TEST_CASE("the MySQL source block, topic and schema", "[envelope][mysql]") {
  auto out = insert(type(TypeKind::kString, "VARCHAR(10)"), event::Value(std::string("x")));
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "orders.shop.items");
  CHECK(out[0].value->find(
            R"("source":{"version":"tributary-test","connector":"mysql","name":"orders",)"
            R"("ts_ms":1766925059000,"snapshot":"false","db":"shop","sequence":null,)"
            R"("ts_us":1766925059000000,"ts_ns":1766925059000000000,"table":"items",)"
            R"("server_id":5401,"gtid":"0-5401-77","file":"mariadb-bin.000003","pos":4711,)"
            R"("row":2,"thread":12,"query":null},"transaction":null,"op":"c")") !=
        std::string::npos);

  SECTION("schema: BinlogSourceInfoStructMaker's fields, named per connector") {
    for (const char* connector : {"mysql", "mariadb"}) {
      INFO(connector);
      auto records = insert(type(TypeKind::kString, "VARCHAR(10)"), event::Value(std::string("x")),
                            true, connector);
      const std::string& v = *records.at(0).value;
      const std::string fields =
          R"({"type":"string","optional":false,"field":"db"},)"
          R"({"type":"string","optional":true,"field":"sequence"},)"
          R"({"type":"int64","optional":true,"field":"ts_us"},)"
          R"({"type":"int64","optional":true,"field":"ts_ns"},)"
          R"({"type":"string","optional":true,"field":"table"},)"
          R"({"type":"int64","optional":false,"field":"server_id"},)"
          R"({"type":"string","optional":true,"field":"gtid"},)"
          R"({"type":"string","optional":false,"field":"file"},)"
          R"({"type":"int64","optional":false,"field":"pos"},)"
          R"({"type":"int32","optional":false,"field":"row"},)"
          R"({"type":"int64","optional":true,"field":"thread"},)"
          R"({"type":"string","optional":true,"field":"query"}],"optional":false,)"
          R"("name":"io.debezium.connector.)" +
          std::string(connector) + R"(.Source","version":1,"field":"source"})";
      CHECK(v.find(fields) != std::string::npos);
      CHECK(v.find(R"("connector":")" + std::string(connector) + "\"") != std::string::npos);
      rapidjson::Document document;
      document.Parse(v.c_str());
      REQUIRE_FALSE(document.HasParseError());
    }
  }
  SECTION("a snapshot row: no GTID, thread or query; the query when the server logs it") {
    auto schema =
        table("shop", "items", {column("id", type(TypeKind::kInt64, "BIGINT"), false)}, {0});
    event::SourceInfo source = binlog_source();
    source.snapshot = event::SnapshotMarker::kFirst;
    source.mysql().gtid.reset();
    source.mysql().thread.reset();
    Serializer serializer(mysql_options(false));
    std::vector<sink::Message> records;
    REQUIRE(serializer
                .serialize(change(Op::kRead, schema, std::nullopt, row({event::Value(int64_t{1})}),
                                  source),
                           kNowUs, records)
                .ok());
    CHECK(records[0].value->find(R"("snapshot":"first")") != std::string::npos);
    CHECK(records[0].value->find(R"("gtid":null,"file":"mariadb-bin.000003")") !=
          std::string::npos);
    CHECK(records[0].value->find(R"("thread":null,"query":null})") != std::string::npos);
    source.mysql().query = std::make_shared<const std::string>("INSERT INTO items VALUES (1)");
    records.clear();
    REQUIRE(serializer
                .serialize(change(Op::kRead, schema, std::nullopt, row({event::Value(int64_t{1})}),
                                  source),
                           kNowUs, records)
                .ok());
    CHECK(records[0].value->find(R"x("query":"INSERT INTO items VALUES (1)"})x") !=
          std::string::npos);
    source.mysql().file = std::make_shared<const std::string>("bad \xff");
    auto result = serializer.serialize(
        change(Op::kRead, schema, std::nullopt, row({event::Value(int64_t{1})}), source), kNowUs,
        records);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message.find("binlog file name") != std::string::npos);
  }
}

}  // namespace tributary::envelope::testing
