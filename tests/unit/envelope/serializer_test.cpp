// Serializer behaviour outside the golden files: errors for bad input, typed values, startup
// checks, schema caching across table versions.
#include "envelope/serializer.hpp"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>

#include "event_builders.hpp"

namespace tributary::envelope::testing {
namespace {

using event::Op;

Options options(bool schemas = false) {
  Options o;
  o.topic_prefix = "srv";
  o.schemas = schemas;
  o.version = "tributary-test";
  return o;
}

std::shared_ptr<const event::TableSchema> one_column(event::ColumnType t) {
  return table("public", "t",
               {column("id", type(TypeKind::kInt32, "int4"), false), column("c", std::move(t))},
               {0});
}

/// The serialized "after" of a one-column insert, or the error message.
std::string after_value(event::ColumnType t, event::Value value) {
  Serializer serializer(options());
  std::vector<sink::Message> out;
  auto result = serialize_text(
      serializer,
      change(Op::kCreate, one_column(std::move(t)), std::nullopt, row({text("1"), value})), kNowUs,
      out);
  if (!result.ok()) return "error: " + result.error().message;
  rapidjson::Document document;
  document.Parse(out.at(0).value->c_str());
  REQUIRE_FALSE(document.HasParseError());
  const auto& c = document["after"]["c"];
  if (c.IsString()) return std::string("\"") + c.GetString() + "\"";
  if (c.IsNull()) return "null";
  if (c.IsBool()) return c.GetBool() ? "true" : "false";
  if (c.IsInt64()) return std::to_string(c.GetInt64());
  // Other numbers and arrays: find the raw text in the value.
  const std::string& value_text = *out.at(0).value;
  std::size_t start = value_text.find("\"c\":") + 4;
  std::size_t end = value_text.find("},\"source\"");
  return value_text.substr(start, end - start);
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

}  // namespace

TEST_CASE("unparseable values are errors naming table, column, type and value", "[envelope]") {
  SECTION("integer") {
    std::string message = after_value(type(TypeKind::kInt32, "int4"), text("12x"));
    CHECK(starts_with(message, "error: "));
    CHECK(message.find("public.t.c") != std::string::npos);
    CHECK(message.find("int4") != std::string::npos);
    CHECK(message.find("'12x'") != std::string::npos);
  }
  SECTION("out of range for the column type") {
    CHECK(after_value(type(TypeKind::kInt16, "int2"), text("40000")).find("out of range") !=
          std::string::npos);
    CHECK(after_value(type(TypeKind::kInt32, "int4"), text("2147483648")).find("out of range") !=
          std::string::npos);
    CHECK(after_value(type(TypeKind::kInt64, "int8"), text("9223372036854775808"))
              .find("out of range") != std::string::npos);
    CHECK(after_value(type(TypeKind::kFloat32, "float4"), text("1e39")).find("out of range") !=
          std::string::npos);
  }
  SECTION("every parser reports instead of crashing or writing null") {
    const std::vector<std::pair<event::ColumnType, std::string>> bad = {
        {type(TypeKind::kBool, "bool"), "yes"},
        {type(TypeKind::kFloat64, "float8"), "1,5"},
        {type(TypeKind::kDecimal, "numeric(5,2)", 5, 2), "12.345"},
        {type(TypeKind::kDecimal, "numeric(5,2)", 5, 2), "NaN"},
        {type(TypeKind::kVariableDecimal, "numeric"), "Infinity"},
        {type(TypeKind::kBytes, "bytea"), "\\xabc"},
        {type(TypeKind::kDate, "date"), "2020-02-30"},
        {type(TypeKind::kTime, "time"), "25:00:00"},
        {type(TypeKind::kTimestamp, "timestamp"), "2020-01-01T00:00:00"},
        {type(TypeKind::kTimestampTz, "timestamptz"), "2020-01-01 00:00:00"},
        {type(TypeKind::kInterval, "interval"), "1 day ago"},
        {type(TypeKind::kInterval, "interval"), "178000000 years"},
        {array_of(type(TypeKind::kInt32, "int4"), "_int4"), "{1,x}"},
        {array_of(type(TypeKind::kInt32, "int4"), "_int4"), "{{1},{2}}"},
        {type(TypeKind::kString, "text"), "bad \xff utf-8"},
    };
    for (const auto& [t, value] : bad) {
      INFO(t.source_name << " " << value);
      std::string message = after_value(t, text(value));
      CHECK(starts_with(message, "error: cannot convert value '"));
      CHECK(message.find("public.t.c (" + t.source_name) != std::string::npos);
    }
  }
  SECTION("array errors say which element") {
    std::string message =
        after_value(array_of(type(TypeKind::kDate, "date"), "_date"), text("{2020-01-01,nope}"));
    CHECK(message.find("element 2 'nope'") != std::string::npos);
  }
  SECTION("long values are cut in the message") {
    std::string message = after_value(type(TypeKind::kInt32, "int4"), text(std::string(500, '7')));
    CHECK(message.find("(500 bytes)") != std::string::npos);
    CHECK(message.size() < 400);
  }
  SECTION("nothing is appended for a failed event") {
    Serializer serializer(options());
    std::vector<sink::Message> out(1);
    auto result = serialize_text(serializer,
                                 change(Op::kCreate, one_column(type(TypeKind::kInt32, "int4")),
                                        std::nullopt, row({text("1"), text("x")})),
                                 kNowUs, out);
    CHECK_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::kCorrupt);
    CHECK(out.size() == 1);
  }
}

TEST_CASE("intervals are io.debezium.time.MicroDuration", "[envelope]") {
  const auto interval = type(TypeKind::kInterval, "interval");
  CHECK(after_value(interval, text("1 year 2 mons 3 days 04:05:06.789")) == "37091106789000");
  CHECK(after_value(interval, text("-1 years -2 mons +3 days -04:05:06")) == "-36572706000000");
  CHECK(after_value(interval, text("-00:00:00.000001")) == "-1");
  CHECK(after_value(interval, kNull) == "null");
  CHECK(after_value(array_of(interval, "_interval"), text(R"({"1 mon",NULL,-00:00:01})")) ==
        "[2629800000000,null,-1000000]");
  SECTION("overflow is an error naming the column, not a saturated value") {
    std::string message = after_value(interval, text("178000000 years"));
    CHECK(starts_with(message,
                      "error: cannot convert value '178000000 years' of public.t.c "
                      "(interval (kInterval)): interval out of range"));
    message = after_value(array_of(interval, "_interval"), text(R"({"1 day","-178000000 years"})"));
    CHECK(message.find("public.t.c") != std::string::npos);
    CHECK(message.find("element 2 '-178000000 years': interval out of range") != std::string::npos);
  }
  SECTION("schema") {
    Serializer serializer(options(true));
    std::vector<sink::Message> out;
    REQUIRE(serialize_text(serializer,
                           change(Op::kCreate, one_column(interval), std::nullopt,
                                  row({text("1"), text("3 days")})),
                           kNowUs, out)
                .ok());
    CHECK(out.at(0).value->find(R"({"type":"int64","optional":true,)"
                                R"("name":"io.debezium.time.MicroDuration","version":1,)"
                                R"("field":"c"})") != std::string::npos);
  }
  SECTION("a fixed-size type is never unchanged TOAST; if it came, there is no placeholder") {
    CHECK(after_value(interval, kUnchanged).find("REPLICA IDENTITY FULL") != std::string::npos);
  }
}

TEST_CASE("typed values from binary sources", "[envelope]") {
  CHECK(after_value(type(TypeKind::kBool, "bool"), event::Value(true)) == "true");
  CHECK(after_value(type(TypeKind::kInt16, "int2"), event::Value(int64_t{-32768})) == "-32768");
  CHECK(after_value(type(TypeKind::kInt64, "int8"), event::Value(INT64_MAX)) ==
        "9223372036854775807");
  CHECK(after_value(type(TypeKind::kFloat32, "float4"), event::Value(1.1)) == "1.1");
  CHECK(after_value(type(TypeKind::kFloat64, "float8"), event::Value(0.1)) == "0.1");
  CHECK(after_value(type(TypeKind::kFloat64, "float8"), event::Value(int64_t{3})) == "3.0");
  CHECK(after_value(type(TypeKind::kFloat64, "float8"), event::Value(-0.0)) == "-0.0");
  CHECK(after_value(type(TypeKind::kFloat64, "float8"), event::Value(1e300)) == "1.0E300");
  CHECK(after_value(type(TypeKind::kFloat64, "float8"), event::Value(std::nan(""))) == "\"NaN\"");
  CHECK(after_value(type(TypeKind::kDecimal, "decimal(10,2)", 10, 2),
                    event::Decimal{std::string("\x9c", 1), 2}) == "\"nA==\"");  // -1.00
  CHECK(after_value(type(TypeKind::kVariableDecimal, "numeric"),
                    event::Decimal{std::string("\x03\xe8", 2), 0}) ==
        R"({"scale":0,"value":"A+g="})");
  SECTION("mismatches are errors") {
    CHECK(after_value(type(TypeKind::kInt16, "int2"), event::Value(int64_t{40000}))
              .find("out of range") != std::string::npos);
    CHECK(starts_with(
        after_value(type(TypeKind::kDecimal, "decimal(10,2)", 10, 2), event::Value(1.5)),
        "error: cannot convert double"));
    CHECK(starts_with(after_value(type(TypeKind::kString, "text"), event::Value(true)),
                      "error: cannot convert boolean true"));
    CHECK(starts_with(after_value(type(TypeKind::kDate, "date"), event::Value(int64_t{5})),
                      "error: cannot convert integer 5"));
  }
}

TEST_CASE("unchanged TOAST values without a Debezium placeholder are errors", "[envelope]") {
  for (const auto& t :
       {type(TypeKind::kDecimal, "numeric(5,2)", 5, 2), type(TypeKind::kVariableDecimal, "numeric"),
        type(TypeKind::kInt32, "int4"), array_of(type(TypeKind::kBool, "bool"), "_bool")}) {
    INFO(t.source_name);
    std::string message = after_value(t, kUnchanged);
    CHECK(message.find("REPLICA IDENTITY FULL") != std::string::npos);
  }
  CHECK(after_value(array_of(type(TypeKind::kInt16, "int2"), "_int2"), kUnchanged)
            .rfind("[95,95,100", 0) == 0);
  CHECK(after_value(type(TypeKind::kXml, "xml"), kUnchanged) == "\"__debezium_unavailable_value\"");
}

TEST_CASE("malformed events are errors", "[envelope]") {
  Serializer serializer(options());
  std::vector<sink::Message> out;
  auto customers = table("public", "customers",
                         {column("id", type(TypeKind::kInt32, "int4"), false),
                          column("email", type(TypeKind::kString, "text"))},
                         {0});
  CHECK(serialize_text(serializer, change(Op::kCreate, nullptr, std::nullopt, row({})), kNowUs, out)
            .error()
            .message.find("without a table schema") != std::string::npos);
  CHECK(serialize_text(serializer, change(Op::kCreate, customers, std::nullopt, row({text("1")})),
                       kNowUs, out)
            .error()
            .message.find("1 values but the table has 2 columns") != std::string::npos);
  CHECK_FALSE(serialize_text(serializer, change(Op::kCreate, customers, std::nullopt, std::nullopt),
                             kNowUs, out)
                  .ok());
  CHECK_FALSE(serialize_text(serializer, change(Op::kDelete, customers, std::nullopt, std::nullopt),
                             kNowUs, out)
                  .ok());
  CHECK(serialize_text(serializer,
                       change(Op::kUpdate, customers, std::nullopt, row({kUnchanged, text("x")})),
                       kNowUs, out)
            .error()
            .message.find("key column id has an unchanged TOAST value") != std::string::npos);
  CHECK(out.empty());
}

TEST_CASE("update with an unchanged key and a key-only old tuple is a plain update", "[envelope]") {
  Serializer serializer(options());
  std::vector<sink::Message> out;
  auto customers = table("public", "customers",
                         {column("id", type(TypeKind::kInt32, "int4"), false),
                          column("email", type(TypeKind::kString, "text"))},
                         {0});
  auto e = change(Op::kUpdate, customers, row({text("1"), kNull}), row({text("1"), text("b")}));
  e.before_is_key_only = true;
  REQUIRE(serialize_text(serializer, e, kNowUs, out).ok());
  REQUIRE(out.size() == 1);
  CHECK(*out[0].key == R"({"id":1})");
  CHECK(out[0].value->rfind(R"({"before":null,"after":{"id":1,"email":"b"},)", 0) == 0);
  CHECK(out[0].headers.empty());
}

TEST_CASE("a key column given as unchanged TOAST takes the old key value", "[envelope]") {
  Serializer serializer(options());
  std::vector<sink::Message> out;
  auto docs = table("public", "docs",
                    {column("name", type(TypeKind::kString, "text"), false),
                     column("body", type(TypeKind::kString, "text"))},
                    {0});
  auto e = change(Op::kUpdate, docs, row({text("k"), kNull}), row({kUnchanged, text("b")}));
  e.before_is_key_only = true;
  REQUIRE(serialize_text(serializer, e, kNowUs, out).ok());
  REQUIRE(out.size() == 1);
  CHECK(*out[0].key == R"({"name":"k"})");
}

TEST_CASE("check_supported rejects malformed column types", "[envelope]") {
  auto check = [](event::ColumnType t) {
    auto result = check_supported(*one_column(std::move(t)));
    return result.ok() ? std::string("ok") : result.error().message;
  };
  CHECK(check(type(TypeKind::kDecimal, "numeric(10,2)", 10, 2)) == "ok");
  CHECK(check(array_of(type(TypeKind::kDecimal, "numeric(5,2)", 5, 2), "_numeric")) == "ok");
  CHECK(check(enum_type({}, "empty_enum")) == "ok");

  std::string message = check(type(TypeKind::kDecimal, "numeric(10)", 10, -1));
  CHECK(message.find("table public.t column c of type numeric(10) (kDecimal)") == 0);
  CHECK(message.find("scale") != std::string::npos);
  CHECK(message.find("exclude the table") != std::string::npos);
  CHECK(message.find(R"(tables.exclude: ["public\\.t"])") != std::string::npos);

  CHECK(check(type(TypeKind::kDecimal, "numeric", -1, 2)).find("without a precision") !=
        std::string::npos);
  CHECK(check(type(TypeKind::kArray, "_int4")).find("array without an element type") !=
        std::string::npos);
  CHECK(check(array_of(type(TypeKind::kDecimal, "numeric", -1, -1), "_numeric"))
            .find("array whose element type numeric (kDecimal)") != std::string::npos);
  CHECK(check(array_of(array_of(type(TypeKind::kInt32, "int4"), "_int4"), "_int4"))
            .find("array of arrays") != std::string::npos);
  CHECK(check(type(TypeKind::kTime, "time(7)", 7)).find("precision 7") != std::string::npos);
  CHECK(check(type(static_cast<TypeKind>(99), "mystery")).find("unknown type kind 99") !=
        std::string::npos);

  auto bad_key = table("public", "t", {column("id", type(TypeKind::kInt32, "int4"))}, {});
  std::const_pointer_cast<event::TableSchema>(bad_key)->key_columns = {3};
  CHECK(check_supported(*bad_key).error().message.find("key column index 3") != std::string::npos);
  CHECK(check_supported(*bad_key).error().kind == ErrorKind::kConfig);

  SECTION("serialize refuses an unsupported table with the same error") {
    Serializer serializer(options());
    std::vector<sink::Message> out;
    auto result = serialize_text(serializer,
                                 change(Op::kCreate, one_column(type(TypeKind::kArray, "_int4")),
                                        std::nullopt, row({text("1"), kNull})),
                                 kNowUs, out);
    CHECK(result.error().kind == ErrorKind::kConfig);
  }
}

TEST_CASE("a new table version gets a new schema and evicts the old one", "[envelope]") {
  Serializer serializer(options(true));
  std::vector<sink::Message> out;
  auto v1 = table("public", "t", {column("id", type(TypeKind::kInt32, "int4"), false)}, {0}, 1);
  auto v2 = table("public", "t",
                  {column("id", type(TypeKind::kInt32, "int4"), false),
                   column("added", type(TypeKind::kString, "text"))},
                  {0}, 2);
  REQUIRE(serialize_text(serializer, change(Op::kCreate, v1, std::nullopt, row({text("1")})),
                         kNowUs, out)
              .ok());
  REQUIRE(serialize_text(serializer,
                         change(Op::kCreate, v2, std::nullopt, row({text("2"), text("x")})), kNowUs,
                         out)
              .ok());
  REQUIRE(serialize_text(serializer, change(Op::kCreate, v1, std::nullopt, row({text("3")})),
                         kNowUs, out)
              .ok());
  REQUIRE(out.size() == 3);
  CHECK(out[0].value->find("\"added\"") == std::string::npos);
  CHECK(out[1].value->find(R"({"type":"string","optional":true,"field":"added"})") !=
        std::string::npos);
  CHECK(*out[2].value == [&] {
    std::string v = *out[0].value;
    return v.replace(v.find("\"id\":1}"), 7, "\"id\":3}");
  }());
}

TEST_CASE("topic names are sanitized like Debezium's", "[envelope]") {
  CHECK(sanitize_topic_name("srv.public.t") == "srv.public.t");
  CHECK(sanitize_topic_name("srv.My Schema.t$1-ä") == "srv.My_Schema.t_1-__");
  Serializer serializer(options(true));
  std::vector<sink::Message> out;
  auto t =
      table("odd schema", "tab$le", {column("id", type(TypeKind::kInt32, "int4"), false)}, {0});
  REQUIRE(serialize_text(serializer, change(Op::kCreate, t, std::nullopt, row({text("1")})), kNowUs,
                         out)
              .ok());
  CHECK(out[0].topic == "srv.odd_schema.tab_le");
  CHECK(out[0].key->find(R"("name":"srv.odd_schema.tab_le.Key")") != std::string::npos);
  CHECK(out[0].value->find(R"("schema":"odd schema","table":"tab$le")") != std::string::npos);
}

TEST_CASE("the connector names one of the source block layouts", "[envelope]") {
  Options o = options();
  for (const char* connector : {"postgresql", "mysql", "mariadb"}) {
    o.connector = connector;
    CHECK_NOTHROW(Serializer(o));
  }
  o.connector = "oracle";
  CHECK_THROWS_AS(Serializer(o), std::invalid_argument);
}

TEST_CASE("the envelope parses no source text: text in a typed column is a source bug",
          "[envelope]") {
  // Each of these parsed in the envelope before; now only a ValueDecoder turns text into values.
  const std::vector<std::pair<event::ColumnType, std::string>> cases = {
      {type(TypeKind::kBool, "bool"), "t"},
      {type(TypeKind::kInt32, "int4"), "12"},
      {type(TypeKind::kFloat64, "float8"), "1.5"},
      {type(TypeKind::kDecimal, "numeric(5,2)", 5, 2), "1.50"},
      {type(TypeKind::kVariableDecimal, "numeric"), "1.5"},
      {type(TypeKind::kBytes, "bytea"), "\\xdead"},
      {type(TypeKind::kDate, "date"), "2020-01-01"},
      {type(TypeKind::kTime, "time"), "12:00:00"},
      {type(TypeKind::kTimestamp, "timestamp"), "2020-01-01 00:00:00"},
      {type(TypeKind::kTimestampTz, "timestamptz"), "2020-01-01 00:00:00+00"},
      {type(TypeKind::kInterval, "interval"), "1 day"},
      {array_of(type(TypeKind::kInt32, "int4"), "_int4"), "{1,2}"},
  };
  for (const auto& [t, value] : cases) {
    INFO(t.source_name << " " << value);
    Serializer serializer(options());
    std::vector<sink::Message> out;
    auto result = serializer.serialize(change(Op::kCreate, one_column(t), std::nullopt,
                                              row({event::Value(int64_t{1}), text(value)})),
                                       kNowUs, out);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::kCorrupt);
    CHECK(result.error().message.find("public.t.c (" + t.source_name) != std::string::npos);
    CHECK(result.error().message.find("the source did not decode it") != std::string::npos);
    CHECK(out.empty());
  }
  SECTION("text-valued kinds take the text as it is") {
    Serializer serializer(options());
    std::vector<sink::Message> out;
    REQUIRE(serializer
                .serialize(change(Op::kCreate, one_column(type(TypeKind::kUuid, "uuid")),
                                  std::nullopt, row({event::Value(int64_t{1}), text("x")})),
                           kNowUs, out)
                .ok());
  }
}

TEST_CASE("typed values of every PostgreSQL kind", "[envelope]") {
  CHECK(after_value(type(TypeKind::kBytes, "bytea"), event::Bytes{"\xde\xad"}) == "\"3q0=\"");
  CHECK(after_value(type(TypeKind::kDate, "date"), event::Date{-1}) == "-1");
  CHECK(after_value(type(TypeKind::kTime, "time(3)", 3), event::Time{1500}) == "1");
  CHECK(after_value(type(TypeKind::kTime, "time"), event::Time{1500}) == "1500");
  CHECK(after_value(type(TypeKind::kTimestamp, "timestamp(3)", 3), event::Timestamp{-1500}) ==
        "-2");
  CHECK(after_value(type(TypeKind::kTimestampTz, "timestamptz(3)", 3),
                    event::ZonedTimestamp{1601213844058468, 0}) == "\"2020-09-27T13:37:24.058Z\"");
  CHECK(after_value(type(TypeKind::kTimestampTz, "timestamptz"), event::ZonedTimestamp{0, -1}) ==
        "\"-infinity\"");
  CHECK(after_value(type(TypeKind::kInterval, "interval"), event::Interval{-1}) == "-1");
  CHECK(after_value(array_of(type(TypeKind::kDate, "date"), "_date"),
                    event::Array{{event::Date{1}, event::Null{}}}) == "[1,null]");
  SECTION("a decimal at another scale than the column's is an error, not rescaled") {
    CHECK(after_value(type(TypeKind::kDecimal, "numeric(5,2)", 5, 2),
                      event::Decimal{std::string("\x01", 1), 3})
              .find("a decimal of scale 3 in a column of scale 2") != std::string::npos);
  }
  SECTION("an array element of the wrong kind names the element") {
    CHECK(after_value(array_of(type(TypeKind::kDate, "date"), "_date"),
                      event::Array{{event::Date{1}, event::Value(true)}})
              .find("element 2 (boolean true)") != std::string::npos);
  }
}

TEST_CASE("source block without LSNs or txid", "[envelope]") {
  Serializer serializer(options());
  std::vector<sink::Message> out;
  event::SourceInfo source;
  source.db = "db";
  source.commit_time_us = -1500;  // before the epoch: ts_ms rounds down like Java's toEpochMilli
  auto e = change(Op::kCreate, one_column(type(TypeKind::kInt32, "int4")), std::nullopt,
                  row({text("1"), kNull}), source);
  REQUIRE(serialize_text(serializer, e, -1, out).ok());
  CHECK(
      out[0].value->find(
          R"("source":{"version":"tributary-test","connector":"postgresql","name":"srv","ts_ms":-2,"snapshot":"false","db":"db","sequence":"[null,null]","ts_us":-1500,"ts_ns":-1500000,"schema":"public","table":"t","txId":null,"lsn":null,"xmin":null,"origin":null,"origin_lsn":null},"transaction":null,"op":"c","ts_ms":-1,"ts_us":-1,"ts_ns":-1000})") !=
      std::string::npos);
}

TEST_CASE("serializer throughput", "[.][benchmark][envelope]") {
  auto t = table("public", "orders",
                 {column("id", type(TypeKind::kInt64, "int8"), false),
                  column("customer", type(TypeKind::kString, "text")),
                  column("amount", type(TypeKind::kDecimal, "numeric(12,2)", 12, 2)),
                  column("created", type(TypeKind::kTimestampTz, "timestamptz")),
                  column("status", type(TypeKind::kString, "text")),
                  column("qty", type(TypeKind::kInt32, "int4"))},
                 {0});
  auto e = change(Op::kCreate, t, std::nullopt,
                  row({text("123456"), text("customer-42@example.com"), text("1234.56"),
                       text("2024-05-06 07:08:09.123456+00"), text("shipped"), text("3")}));
  for (bool schemas : {true, false}) {
    Serializer serializer(options(schemas));
    std::vector<sink::Message> out;
    constexpr int kEvents = 200000;
    out.reserve(kEvents);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kEvents; ++i) {
      if (!serialize_text(serializer, e, kNowUs, out).ok()) FAIL("serialize failed");
    }
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    WARN(kEvents / elapsed.count()
         << " events/s, schemas " << schemas << ", " << out.back().value->size() << " value bytes");
  }
}

TEST_CASE("names and options must be valid UTF-8", "[envelope]") {
  Options o = options();
  o.unavailable_value_placeholder = "bad \xc3";
  CHECK_THROWS_AS(Serializer(o), std::invalid_argument);
  Serializer serializer(options(true));
  std::vector<sink::Message> out;
  auto t =
      table("public", "t", {column("bad \xff name", type(TypeKind::kInt32, "int4"), false)}, {0});
  auto result = serialize_text(serializer, change(Op::kCreate, t, std::nullopt, row({text("1")})),
                               kNowUs, out);
  CHECK(result.error().kind == ErrorKind::kConfig);
  CHECK(result.error().message.find("not valid UTF-8") != std::string::npos);
}

}  // namespace tributary::envelope::testing

namespace tributary::envelope::testing {
namespace {

std::shared_ptr<const event::TableSchema> places(bool omit_key) {
  event::Column spot = column("spot", type(TypeKind::kString, "pg_catalog.point"));
  spot.omitted = true;
  std::vector<event::Column> columns = {column("id", type(TypeKind::kInt32, "int4"), false), spot,
                                        column("name", type(TypeKind::kString, "text"))};
  if (omit_key) columns[0].omitted = true;
  return table("public", "places", std::move(columns), {0});
}

}  // namespace

TEST_CASE("an omitted column is left out of the key, before, after and the schema", "[envelope]") {
  Serializer serializer(options(/*schemas=*/true));
  std::vector<sink::Message> out;
  // The source still hands a value at the omitted column's index (its text, or NULL): ignored.
  auto result =
      serialize_text(serializer,
                     change(Op::kUpdate, places(false), row({text("1"), text("(1,2)"), text("a")}),
                            row({text("1"), text("(3,4)"), text("b")})),
                     kNowUs, out);
  REQUIRE(result.ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].key->find("spot") == std::string::npos);
  const std::string& value = *out[0].value;
  CHECK(value.find("spot") == std::string::npos);
  CHECK(value.find("(1,2)") == std::string::npos);
  CHECK(value.find("(3,4)") == std::string::npos);
  rapidjson::Document document;
  document.Parse(value.c_str());
  REQUIRE_FALSE(document.HasParseError());
  const auto& payload = document["payload"];
  CHECK(payload["before"].MemberCount() == 2);
  CHECK(payload["after"].MemberCount() == 2);
  CHECK(std::string(payload["after"]["name"].GetString()) == "b");
  CHECK(payload["after"]["id"].GetInt() == 1);
  const auto& fields = document["schema"]["fields"];
  for (rapidjson::SizeType i = 0; i < 2; ++i) {  // before, after
    CHECK(fields[i]["fields"].Size() == 2);
  }

  // Without the schema part too.
  Serializer schemaless(options(false));
  out.clear();
  REQUIRE(serialize_text(
              schemaless,
              change(Op::kCreate, places(false), std::nullopt, row({text("2"), kNull, text("c")})),
              kNowUs, out)
              .ok());
  CHECK(*out.at(0).value == std::string(R"({"before":null,"after":{"id":2,"name":"c"},)") +
                                out.at(0).value->substr(out.at(0).value->find("\"source\"")));
}

TEST_CASE("a key column cannot be omitted", "[envelope]") {
  Serializer serializer(options());
  std::vector<sink::Message> out;
  auto result = serialize_text(
      serializer,
      change(Op::kCreate, places(true), std::nullopt, row({text("1"), kNull, text("a")})), kNowUs,
      out);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message.find("key column id") != std::string::npos);
  CHECK(out.empty());
}

}  // namespace tributary::envelope::testing
