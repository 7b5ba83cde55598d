// pipelines[].types: Debezium's decimal, time precision, binary, hstore and interval handling
// modes, in the schema and the payload (expected texts as Debezium 3.6.1 wrote them for the same
// PostgreSQL values, tests/conformance/test_pg_modes_conformance.py compares the rest).
#include "envelope/value_modes.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <catch2/catch.hpp>
#include <stdexcept>

#include "envelope/serializer.hpp"
#include "event_builders.hpp"

namespace tributary::envelope::testing {
namespace {

using config::BinaryHandling;
using config::DecimalHandling;
using config::HstoreHandling;
using config::IntervalHandling;
using config::TimePrecision;
using event::Op;

struct Modes {
  DecimalHandling decimal = DecimalHandling::kPrecise;
  std::optional<TimePrecision> time;
  BinaryHandling binary = BinaryHandling::kBytes;
  HstoreHandling hstore = HstoreHandling::kJson;
  IntervalHandling interval = IntervalHandling::kNumeric;
  std::string connector = "postgresql";
};

Options options_for(const Modes& modes) {
  Options o;
  o.topic_prefix = "srv";
  o.schemas = true;
  o.version = "tributary-test";
  o.connector = modes.connector;
  o.decimal_handling = modes.decimal;
  o.time_precision = modes.time;
  o.binary_handling = modes.binary;
  o.hstore_handling = modes.hstore;
  o.interval_handling = modes.interval;
  return o;
}

/// {"schema": <the after field c's schema>, "value": <after.c>} as compact JSON texts.
struct Written {
  std::string schema;
  std::string value;
};

std::string compact(const rapidjson::Value& node) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  node.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

Written write(const Modes& modes, event::ColumnType t, const std::string& text_value) {
  Serializer serializer(options_for(modes));
  auto schema = table("public", "t",
                      {column("id", type(TypeKind::kInt32, "int4"), false), column("c", t)}, {0});
  auto e = change(Op::kCreate, schema, std::nullopt, row({text("1"), text(text_value)}));
  source::PostgresValueDecoder decoder(modes.decimal);
  auto decoded = decoder.decode(e);
  REQUIRE(decoded.ok());
  std::vector<sink::Message> out;
  auto result = serializer.serialize(e, kNowUs, out);
  if (!result.ok()) FAIL(result.error().message);
  rapidjson::Document document;
  document.Parse(out.at(0).value->c_str());
  REQUIRE_FALSE(document.HasParseError());
  const auto& after_schema = document["schema"]["fields"][1]["fields"][1];
  REQUIRE(std::string(after_schema["field"].GetString()) == "c");
  // The value as written (a DOM would re-print numbers): "c" is the after row's last field.
  const std::string& text_out = *out.at(0).value;
  const std::size_t after = text_out.find("\"after\":{", text_out.find("\"payload\":"));
  const std::size_t start = text_out.find("\"c\":", after) + 4;
  const std::size_t end = text_out.find("},\"source\"", start);
  return {compact(after_schema), text_out.substr(start, end - start)};
}

event::ColumnType numeric(int precision, int scale) {
  return type(TypeKind::kDecimal, "numeric", precision, scale);
}

}  // namespace

TEST_CASE("decimal_handling string writes BigDecimal.toPlainString", "[envelope][modes]") {
  Modes modes{.decimal = DecimalHandling::kString};
  auto fixed = write(modes, numeric(10, 2), "123.45");
  CHECK(fixed.schema == R"({"type":"string","optional":true,"field":"c"})");
  CHECK(fixed.value == R"("123.45")");
  CHECK(write(modes, numeric(10, 2), "-0.01").value == R"("-0.01")");
  CHECK(write(modes, numeric(10, 2), "1").value == R"("1.00")");
  CHECK(write(modes, numeric(10, 0), "0").value == R"("0")");
  // An unconstrained numeric keeps the scale it was written with (Debezium: "1.500").
  const auto variable = type(TypeKind::kVariableDecimal, "numeric");
  auto v = write(modes, variable, "1.500");
  CHECK(v.schema == R"({"type":"string","optional":true,"field":"c"})");
  CHECK(v.value == R"("1.500")");
  CHECK(write(modes, variable, "12345678901234567890.123456789").value ==
        R"("12345678901234567890.123456789")");
  CHECK(write(modes, variable, "-98765432109876543210987654321").value ==
        R"("-98765432109876543210987654321")");
  CHECK(write(modes, variable, "NaN").value == R"("NAN")");
  // money follows the mode, as PostgresValueConverter's moneySchema does.
  CHECK(write(modes, type(TypeKind::kDecimal, "money", 0, 2), "$9.99").value == R"("9.99")");
  CHECK(write(modes, array_of(numeric(5, 2), "_numeric"), "{1.5,NULL}").value ==
        R"(["1.50",null])");
}

TEST_CASE("decimal_handling double writes a float64", "[envelope][modes]") {
  Modes modes{.decimal = DecimalHandling::kDouble};
  auto fixed = write(modes, numeric(10, 2), "123.45");
  CHECK(fixed.schema == R"({"type":"double","optional":true,"field":"c"})");
  CHECK(fixed.value == "123.45");
  const auto variable = type(TypeKind::kVariableDecimal, "numeric");
  CHECK(write(modes, variable, "1.500").value == "1.5");
  CHECK(write(modes, variable, "0").value == "0.0");
  CHECK(write(modes, variable, "12345678901234567890.123456789").value == "1.2345678901234567E19");
  CHECK(write(modes, variable, "NaN").value == R"("NaN")");
  CHECK(write(modes, array_of(variable, "_numeric"), "{1.500,2}").value == "[1.5,2.0]");
}

TEST_CASE("time_precision connect and adaptive_time_microseconds", "[envelope][modes]") {
  Modes connect{.time = TimePrecision::kConnect};
  auto date = write(connect, type(TypeKind::kDate, "date"), "2020-09-27");
  CHECK(
      date.schema ==
      R"({"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"c"})");
  CHECK(date.value == "18532");
  auto time6 = write(connect, type(TypeKind::kTime, "time", 6), "15:37:24.058468");
  CHECK(
      time6.schema ==
      R"({"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Time","version":1,"field":"c"})");
  CHECK(time6.value == "56244058");
  auto ts =
      write(connect, type(TypeKind::kTimestamp, "timestamp", -1), "2020-09-27 15:37:24.058468");
  CHECK(
      ts.schema ==
      R"({"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"c"})");
  CHECK(ts.value == "1601221044058");
  // Zoned types do not change.
  CHECK(write(connect, type(TypeKind::kTimestampTz, "timestamptz", 6),
              "2020-09-27 15:37:24.058468+02")
            .value == R"("2020-09-27T13:37:24.058468Z")");
  CHECK(
      write(connect, array_of(type(TypeKind::kTime, "time"), "_time"), "{01:02:03.456789}").value ==
      "[3723456]");

  Modes micros{.time = TimePrecision::kAdaptiveTimeMicroseconds};
  auto time0 = write(micros, type(TypeKind::kTime, "time", 0), "15:37:24");
  CHECK(
      time0.schema ==
      R"({"type":"int64","optional":true,"name":"io.debezium.time.MicroTime","version":1,"field":"c"})");
  CHECK(time0.value == "56244000000");
  // Debezium 3.6.1 writes time[] items in whole milliseconds in this mode (the column: µs).
  CHECK(
      write(micros, array_of(type(TypeKind::kTime, "time"), "_time"), "{01:02:03.456789}").value ==
      "[3723456000]");
  CHECK(
      write(micros, type(TypeKind::kTimestamp, "timestamp", 3), "2020-09-27 15:37:24.058").schema ==
      R"({"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"c"})");
}

TEST_CASE("time_precision adaptive is refused for MySQL, its default is micro time",
          "[envelope][modes]") {
  CHECK_THROWS_AS(
      Serializer(options_for(Modes{.time = TimePrecision::kAdaptive, .connector = "mysql"})),
      std::invalid_argument);
  CHECK_NOTHROW(Serializer(options_for(Modes{.connector = "mysql"})));
  CHECK_NOTHROW(
      Serializer(options_for(Modes{.time = TimePrecision::kConnect, .connector = "mariadb"})));
}

TEST_CASE("binary_handling base64, base64-url-safe and hex", "[envelope][modes]") {
  const auto bytea = type(TypeKind::kBytes, "bytea");
  auto base64 = write(Modes{.binary = BinaryHandling::kBase64}, bytea, "\\xdeadbeef");
  CHECK(base64.schema == R"({"type":"string","optional":true,"field":"c"})");
  CHECK(base64.value == R"("3q2+7w==")");
  CHECK(write(Modes{.binary = BinaryHandling::kBase64UrlSafe}, bytea, "\\xdeadbeef").value ==
        R"("3q2-7w==")");
  CHECK(write(Modes{.binary = BinaryHandling::kBase64UrlSafe}, bytea, "\\xfbff").value ==
        R"("-_8=")");
  auto hex = write(Modes{.binary = BinaryHandling::kHex}, bytea, "\\xDEADbeef00");
  CHECK(hex.schema == R"({"type":"string","optional":true,"field":"c"})");
  CHECK(hex.value == R"("deadbeef00")");
  CHECK(write(Modes{.binary = BinaryHandling::kHex}, bytea, "\\x").value == R"("")");
  auto array = write(Modes{.binary = BinaryHandling::kHex}, array_of(bytea, "_bytea"),
                     R"({"\\x00ff",NULL})");
  CHECK(
      array.schema ==
      R"({"type":"array","items":{"type":"string","optional":true},"optional":true,"field":"c"})");
  CHECK(array.value == R"(["00ff",null])");
}

TEST_CASE("hstore_handling map writes a Connect map", "[envelope][modes]") {
  Modes modes{.hstore = HstoreHandling::kMap};
  auto map = write(modes, type(TypeKind::kHstore, "hstore"), R"("a"=>"b", "k"=>NULL)");
  CHECK(
      map.schema ==
      R"({"type":"map","keys":{"type":"string","optional":false},"values":{"type":"string","optional":true},"optional":true,"field":"c"})");
  CHECK(map.value == R"({"a":"b","k":null})");
  auto array =
      write(modes, array_of(type(TypeKind::kHstore, "hstore"), "_hstore"), R"({"\"x\"=>\"y\""})");
  CHECK(array.value == R"([{"x":"y"}])");
}

TEST_CASE("interval_handling string writes io.debezium.time.Interval", "[envelope][modes]") {
  Modes modes{.interval = IntervalHandling::kString};
  const auto interval = type(TypeKind::kInterval, "interval");
  auto written = write(modes, interval, "1 year 2 mons 3 days 04:05:06.78");
  CHECK(
      written.schema ==
      R"({"type":"string","optional":true,"name":"io.debezium.time.Interval","version":1,"field":"c"})");
  CHECK(written.value == R"("P1Y2M3DT4H5M6.78S")");
  CHECK(write(modes, interval, "-1 days -00:00:01.5").value == R"("P0Y0M-1DT0H0M-1.5S")");
  CHECK(write(modes, interval, "00:00:00").value == R"("P0Y0M0DT0H0M0S")");
  CHECK(write(modes, interval, "-2 years -7 mons 00:00:01.000001").value ==
        R"("P-2Y-7M0DT0H0M1.000001S")");
  CHECK(write(modes, interval, "100:00:00").value == R"("P0Y0M0DT100H0M0S")");
}

TEST_CASE("the default modes are Debezium's defaults", "[envelope][modes]") {
  Modes defaults;
  CHECK(write(defaults, numeric(10, 2), "123.45").value == R"("MDk=")");
  CHECK(write(defaults, type(TypeKind::kBytes, "bytea"), "\\xdeadbeef").schema ==
        R"({"type":"bytes","optional":true,"field":"c"})");
  CHECK(write(defaults, type(TypeKind::kInterval, "interval"), "1 day").value == "86400000000");
  CHECK(write(defaults, type(TypeKind::kTime, "time", 3), "15:37:24.058").value == "56244058");
}

TEST_CASE("plain decimal text of Connect's unscaled bytes", "[envelope][modes]") {
  auto plain = [](std::string unscaled, int scale) {
    std::string out;
    codec::append_plain_decimal(unscaled, scale, out);
    return out;
  };
  CHECK(plain(std::string(1, '\0'), 0) == "0");
  CHECK(plain(std::string(1, '\0'), 3) == "0.000");
  CHECK(plain("\xff", 2) == "-0.01");
  CHECK(plain("\x80", 0) == "-128");
  CHECK(plain(std::string("\x00\x80", 2), 1) == "12.8");
  CHECK(plain("\x30\x39", 2) == "123.45");
  CHECK(plain(std::string("\x7f\xff\xff\xff\xff\xff\xff\xff\xff", 9), 0) ==
        "2361183241434822606847");
}

}  // namespace tributary::envelope::testing
