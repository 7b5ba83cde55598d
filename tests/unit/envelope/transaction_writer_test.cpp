// Transaction metadata: the BEGIN / END records (shapes as Debezium 3.6 writes them with
// provide.transaction.metadata=true) and the data events' `transaction` block, key changes
// included.
#include "envelope/transaction_writer.hpp"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "event_builders.hpp"

namespace tributary::envelope::testing {
namespace {

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str());
  REQUIRE_FALSE(document.HasParseError());
  return document;
}

}  // namespace

TEST_CASE("BEGIN and END records without schemas", "[transactions]") {
  auto begin = transaction_begin_record("srv", false, "733:30725736", 1796222168128);
  CHECK(begin.topic == "srv.transaction");
  CHECK_FALSE(begin.partition.has_value());  // placed by murmur2 of the key, as Connect's
  CHECK(begin.headers.empty());
  CHECK(*begin.key == R"({"id":"733:30725736"})");
  CHECK(*begin.value ==
        R"({"status":"BEGIN","id":"733:30725736","event_count":null,"data_collections":null,)"
        R"("ts_ms":1796222168128})");

  auto end = transaction_end_record("srv", false, "733:30726432", 3,
                                    {{"public.a", 2}, {"public.b", 1}}, 1796222168128);
  CHECK(*end.key == R"({"id":"733:30726432"})");
  CHECK(*end.value == R"({"status":"END","id":"733:30726432","event_count":3,"data_collections":[)"
                      R"({"data_collection":"public.a","event_count":2},)"
                      R"({"data_collection":"public.b","event_count":1}],"ts_ms":1796222168128})");
}

TEST_CASE("BEGIN and END records with JsonConverter schemas", "[transactions]") {
  auto end = transaction_end_record("srv", true, "0-1-9", 1, {{"db.a", 1}}, 5);
  CHECK(*end.key ==
        R"({"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"}],)"
        R"("optional":false,"name":"io.debezium.connector.common.TransactionMetadataKey",)"
        R"("version":1},"payload":{"id":"0-1-9"}})");
  const std::string schema =
      R"({"type":"struct","fields":[{"type":"string","optional":false,"field":"status"},)"
      R"({"type":"string","optional":false,"field":"id"},)"
      R"({"type":"int64","optional":true,"field":"event_count"},)"
      R"({"type":"array","items":{"type":"struct","fields":[)"
      R"({"type":"string","optional":false,"field":"data_collection"},)"
      R"({"type":"int64","optional":false,"field":"event_count"}],"optional":true,)"
      R"("name":"event.collection","version":1},"optional":true,"field":"data_collections"},)"
      R"({"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,)"
      R"("name":"io.debezium.connector.common.TransactionMetadataValue","version":1})";
  CHECK(*end.value == R"({"schema":)" + schema +
                          R"(,"payload":{"status":"END","id":"0-1-9","event_count":1,)"
                          R"("data_collections":[{"data_collection":"db.a","event_count":1}],)"
                          R"("ts_ms":5}})");
  auto begin = transaction_begin_record("srv", true, "0-1-9", 5);
  CHECK(*begin.value == R"({"schema":)" + schema +
                            R"(,"payload":{"status":"BEGIN","id":"0-1-9","event_count":null,)"
                            R"("data_collections":null,"ts_ms":5}})");
}

TEST_CASE("An id with characters JSON escapes", "[transactions]") {
  auto begin = transaction_begin_record("srv", false, "binlog.000001:\"4\"", 1);
  CHECK(parse(*begin.key)["id"].GetString() == std::string("binlog.000001:\"4\""));
}

TEST_CASE("The transaction block of data events", "[transactions]") {
  Options o;
  o.topic_prefix = "srv";
  o.schemas = false;
  Serializer serializer(o);
  auto t = table("public", "a",
                 {column("id", type(TypeKind::kInt32, "int4"), false),
                  column("v", type(TypeKind::kString, "text"))},
                 {0});

  SECTION("null without an order, as snapshot rows and metadata off") {
    std::vector<sink::Message> out;
    REQUIRE(serialize_text(serializer,
                           change(event::Op::kCreate, t, std::nullopt, row({text("1"), text("x")})),
                           kNowUs, out)
                .ok());
    CHECK(parse(*out.at(0).value)["transaction"].IsNull());
  }
  SECTION("PostgreSQL: <txId>:<the event's LSN>") {
    auto e = change(event::Op::kCreate, t, std::nullopt, row({text("1"), text("x")}));
    e.source.postgres().txid = 733;
    e.source.postgres().lsn = 30725864;
    e.transaction.total_order = 2;
    e.transaction.data_collection_order = 1;
    std::vector<sink::Message> out;
    REQUIRE(serialize_text(serializer, e, kNowUs, out).ok());
    const auto& block = parse(*out.at(0).value)["transaction"];
    CHECK(block["id"].GetString() == std::string("733:30725864"));
    CHECK(block["total_order"].GetInt64() == 2);
    CHECK(block["data_collection_order"].GetInt64() == 1);
  }
  SECTION("a key change: the delete and the create are two events") {
    auto e =
        change(event::Op::kUpdate, t, row({text("1"), text("x")}), row({text("2"), text("x")}));
    e.source.postgres().txid = 734;
    e.source.postgres().lsn = 30726432;
    e.transaction.total_order = 1;
    e.transaction.data_collection_order = 1;
    std::vector<sink::Message> out;
    REQUIRE(serialize_text(serializer, e, kNowUs, out).ok());
    REQUIRE(out.size() == 3);  // delete, tombstone, create
    CHECK(parse(*out[0].value)["transaction"]["total_order"].GetInt64() == 1);
    CHECK_FALSE(out[1].value.has_value());
    const auto& created = parse(*out[2].value)["transaction"];
    CHECK(created["total_order"].GetInt64() == 2);
    CHECK(created["data_collection_order"].GetInt64() == 2);
    CHECK(created["id"].GetString() == std::string("734:30726432"));
  }
  SECTION("MySQL/MariaDB: the id the committer set (the GTID)") {
    auto e = change(event::Op::kCreate, t, std::nullopt, row({text("1"), text("x")}));
    e.source.mysql().gtid = std::make_shared<const std::string>("0-1-9");
    e.transaction.id = e.source.mysql().gtid;
    e.transaction.total_order = 3;
    e.transaction.data_collection_order = 2;
    Options mysql = o;
    mysql.connector = "mariadb";
    Serializer mysql_serializer(mysql);
    std::vector<sink::Message> out;
    REQUIRE(serialize_text(mysql_serializer, e, kNowUs, out).ok());
    const auto& block = parse(*out.at(0).value)["transaction"];
    CHECK(block["id"].GetString() == std::string("0-1-9"));
    CHECK(block["total_order"].GetInt64() == 3);
  }
}

}  // namespace tributary::envelope::testing
