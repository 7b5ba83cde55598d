// Debezium MySQL/MariaDB schema change records (topic <prefix>) from event::SchemaChange, byte for
// byte, with and without the JsonConverter schema part.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "envelope/serializer.hpp"
#include "event_builders.hpp"

namespace tributary::envelope::testing {
namespace {

Options ddl_options(bool schemas, const char* connector = "mysql") {
  Options o;
  o.topic_prefix = "orders";
  o.schemas = schemas;
  o.connector = connector;
  o.version = "tributary-test";
  return o;
}

/// CREATE TABLE shop.items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL
/// DEFAULT 'x' COMMENT 'label', size ENUM('s','m'), price DECIMAL(10,2)) at
/// mariadb-bin.000003:4711.
event::SchemaChange create_items() {
  event::SchemaChange change;
  change.database = "shop";
  change.ddl =
      "CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL "
      "DEFAULT 'x' COMMENT 'label', size ENUM('s','m'), price DECIMAL(10,2))";
  change.source_table = "items";
  change.source.db = "shop";
  change.source.commit_time_us = 1766925059000000;
  auto& my = change.source.mysql();
  my.server_id = 1;
  my.gtid = std::make_shared<const std::string>("0-1-9");
  my.file = std::make_shared<const std::string>("mariadb-bin.000003");
  my.pos = 4711;
  my.thread = 12;
  event::TableChange table;
  table.type = event::TableChangeType::kCreate;
  table.id = {"shop", "items"};
  table.default_charset = "utf8mb4";
  table.primary_key = {"id"};
  event::DdlColumn id{.name = "id", .jdbc_type = 4, .type_name = "INT", .type_expression = "INT"};
  id.length = 11;
  id.position = 1;
  id.optional = false;
  id.auto_incremented = true;
  id.generated = true;
  event::DdlColumn name{
      .name = "name", .jdbc_type = 12, .type_name = "VARCHAR", .type_expression = "VARCHAR"};
  name.charset = "utf8mb4";
  name.length = 40;
  name.position = 2;
  name.optional = false;
  name.comment = "label";
  name.default_expression = "x";
  event::DdlColumn size{
      .name = "size", .jdbc_type = 1, .type_name = "ENUM", .type_expression = "ENUM"};
  size.charset = "utf8mb4";
  size.position = 3;
  size.enum_values = {"s", "m"};
  event::DdlColumn price{
      .name = "price", .jdbc_type = 3, .type_name = "DECIMAL", .type_expression = "DECIMAL"};
  price.length = 10;
  price.scale = 2;
  price.position = 4;
  table.columns = {id, name, size, price};
  change.tables.push_back(std::move(table));
  return change;
}

std::vector<sink::Message> serialize(const event::SchemaChange& change, bool schemas,
                                     const char* connector = "mysql") {
  Serializer serializer(ddl_options(schemas, connector));
  std::vector<sink::Message> out;
  auto result = serializer.serialize_schema_change(change, kNowUs, out);
  INFO((result.ok() ? std::string() : result.error().message));
  REQUIRE(result.ok());
  REQUIRE(out.size() == 1);
  return out;
}

const char* const kPayload =
    R"j({"source":{"version":"tributary-test","connector":"mysql","name":"orders",)j"
    R"j("ts_ms":1766925059000,"snapshot":"false","db":"shop","sequence":null,)j"
    R"j("ts_us":1766925059000000,"ts_ns":1766925059000000000,"table":"items","server_id":1,)j"
    R"j("gtid":"0-1-9","file":"mariadb-bin.000003","pos":4711,"row":0,"thread":12,"query":null},)j"
    R"j("ts_ms":1766925059873,"databaseName":"shop","schemaName":null,)j"
    R"j("ddl":"CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL )j"
    R"j(DEFAULT 'x' COMMENT 'label', size ENUM('s','m'), price DECIMAL(10,2))",)j"
    R"j("tableChanges":[{"type":"CREATE","id":"\"shop\".\"items\"","table":{)j"
    R"j("defaultCharsetName":"utf8mb4","primaryKeyColumnNames":["id"],"columns":[)j"
    R"j({"name":"id","jdbcType":4,"nativeType":null,"typeName":"INT","typeExpression":"INT",)j"
    R"j("charsetName":null,"length":11,"scale":null,"position":1,"optional":false,)j"
    R"j("autoIncremented":true,"generated":true,"comment":null,"defaultValueExpression":null,)j"
    R"j("enumValues":null},)j"
    R"j({"name":"name","jdbcType":12,"nativeType":null,"typeName":"VARCHAR",)j"
    R"j("typeExpression":"VARCHAR","charsetName":"utf8mb4","length":40,"scale":null,"position":2,)j"
    R"j("optional":false,"autoIncremented":false,"generated":false,"comment":"label",)j"
    R"j("defaultValueExpression":"x","enumValues":null},)j"
    R"j({"name":"size","jdbcType":1,"nativeType":null,"typeName":"ENUM","typeExpression":"ENUM",)j"
    R"j("charsetName":"utf8mb4","length":null,"scale":null,"position":3,"optional":true,)j"
    R"j("autoIncremented":false,"generated":false,"comment":null,"defaultValueExpression":null,)j"
    R"j("enumValues":["s","m"]},)j"
    R"j({"name":"price","jdbcType":3,"nativeType":null,"typeName":"DECIMAL",)j"
    R"j("typeExpression":"DECIMAL","charsetName":null,"length":10,"scale":2,"position":4,)j"
    R"j("optional":true,"autoIncremented":false,"generated":false,"comment":null,)j"
    R"j("defaultValueExpression":null,"enumValues":null}],"comment":null}}]})j";

TEST_CASE("schema change record without schemas, byte for byte", "[envelope][schema_change]") {
  auto out = serialize(create_items(), false);
  const auto& record = out.front();
  CHECK(record.topic == "orders");
  REQUIRE(record.partition.has_value());
  CHECK(*record.partition == 0);
  CHECK(*record.key == R"({"databaseName":"shop"})");
  CHECK(*record.value == kPayload);
}

TEST_CASE("schema change record with schemas: JsonConverter schema part and the same payload",
          "[envelope][schema_change]") {
  auto out = serialize(create_items(), true, "mariadb");
  const auto& record = out.front();
  CHECK(*record.key == R"({"schema":{"type":"struct","fields":[{"type":"string","optional":false,)"
                       R"("field":"databaseName"}],"optional":false,)"
                       R"("name":"io.debezium.connector.mariadb.SchemaChangeKey","version":1},)"
                       R"("payload":{"databaseName":"shop"}})");
  rapidjson::Document value;
  value.Parse(record.value->c_str());
  REQUIRE(!value.HasParseError());
  const auto& schema = value["schema"];
  CHECK(std::string(schema["name"].GetString()) ==
        "io.debezium.connector.mariadb.SchemaChangeValue");
  const auto& fields = schema["fields"];
  REQUIRE(fields.Size() == 6);
  const char* names[] = {"source", "ts_ms", "databaseName", "schemaName", "ddl", "tableChanges"};
  for (rapidjson::SizeType i = 0; i < 6; ++i) {
    CHECK(std::string(fields[i]["field"].GetString()) == names[i]);
  }
  CHECK(std::string(fields[0]["name"].GetString()) == "io.debezium.connector.mariadb.Source");
  const auto& change = fields[5]["items"];
  CHECK(std::string(change["name"].GetString()) == "io.debezium.connector.schema.Change");
  const auto& table = change["fields"][2];
  CHECK(std::string(table["name"].GetString()) == "io.debezium.connector.schema.Table");
  CHECK(table["optional"].GetBool());
  const auto& column = table["fields"][2]["items"];
  CHECK(std::string(column["name"].GetString()) == "io.debezium.connector.schema.Column");
  CHECK(column["fields"].Size() == 15);
  // The payload is the schemaless record's, connector name aside.
  std::string expected = kPayload;
  expected.replace(expected.find("\"mysql\""), 7, "\"mariadb\"");
  const std::string text = *record.value;
  const std::size_t at = text.find(",\"payload\":");
  REQUIRE(at != std::string::npos);
  CHECK(text.substr(at + 11, text.size() - at - 12) == expected);
}

TEST_CASE("schema change record of database DDL has no table changes",
          "[envelope][schema_change]") {
  event::SchemaChange change = create_items();
  change.ddl = "DROP DATABASE shop";
  change.source_table.clear();
  change.tables.clear();
  auto out = serialize(change, false);
  const std::string& value = *out.front().value;
  CHECK(value.find(R"("table":"","server_id")") != std::string::npos);
  const std::string tail = R"(,"ddl":"DROP DATABASE shop","tableChanges":[]})";
  REQUIRE(value.size() > tail.size());
  CHECK(value.substr(value.size() - tail.size()) == tail);
}

TEST_CASE("schema change record: errors", "[envelope][schema_change]") {
  std::vector<sink::Message> out;
  SECTION("a postgresql serializer refuses") {
    Serializer serializer(ddl_options(false, "postgresql"));
    auto result = serializer.serialize_schema_change(create_items(), kNowUs, out);
    REQUIRE(!result.ok());
    CHECK(result.error().kind == ErrorKind::kConfig);
  }
  SECTION("DDL text that is not UTF-8 names the database") {
    Serializer serializer(ddl_options(false));
    auto change = create_items();
    change.ddl = "ALTER TABLE items COMMENT '\xff'";
    auto result = serializer.serialize_schema_change(change, kNowUs, out);
    REQUIRE(!result.ok());
    CHECK(result.error().kind == ErrorKind::kCorrupt);
    CHECK_THAT(result.error().message, Catch::Contains("database 'shop'"));
  }
  CHECK(out.empty());
}

}  // namespace
}  // namespace tributary::envelope::testing
