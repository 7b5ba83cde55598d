// Edge cases of the PostgreSQL text parsers (decimals, bytea, dates, times, intervals,
// timestamps, arrays), moved here with them from the envelope.
#include <catch2/catch.hpp>
#include <cmath>

#include "envelope/text_codec.hpp"
#include "source/postgres/values/postgres_value_decoder.hpp"
#include "source/postgres/values/text_parsers.hpp"

namespace tributary::source::postgres::text {
namespace {

/// The expectations are written as Debezium's JSON shows them: base64 and ISO-8601 by the
/// envelope's own encoders.
std::string base64(std::string_view bytes) {
  std::string out;
  envelope::codec::append_base64(bytes, out);
  return out;
}

/// Base64 of the Decimal bytes of `text` at `scale`; "error: <message>" on failure.
std::string decimal(std::string_view text, int scale) {
  std::string bytes;
  auto result = decimal_unscaled_bytes(text, scale, bytes);
  return result.ok() ? base64(bytes) : "error: " + result.error().message;
}

/// "<scale>:<base64>" of the VariableScaleDecimal of `text`.
std::string variable(std::string_view text) {
  std::string bytes;
  auto scale = variable_decimal_bytes(text, bytes);
  return scale.ok() ? std::to_string(*scale) + ":" + base64(bytes)
                    : "error: " + scale.error().message;
}

/// The instant as the envelope writes it, "infinity" / "-infinity", or "error: <message>".
std::string iso(std::string_view text, int digits) {
  auto result = timestamptz_from_text(text);
  if (!result.ok()) return "error: " + result.error().message;
  if (result->infinity != 0) return result->infinity > 0 ? "infinity" : "-infinity";
  std::string out;
  envelope::codec::append_iso_utc(result->micros, digits, out);
  return out;
}

std::vector<std::string> elements(std::string_view text) {
  ArrayElements parsed;
  auto result = parse_array(text, parsed);
  if (!result.ok()) return {"error: " + result.error().message};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    out.push_back(parsed.is_null(i) ? "<null>" : std::string(parsed.text(i)));
  }
  return out;
}

}  // namespace

TEST_CASE("decimal unscaled bytes are Java's BigInteger.toByteArray", "[pg_values]") {
  SECTION("the documented examples") {
    CHECK(decimal("123.45", 2) == "MDk=");
    CHECK(decimal("-1.00", 2) == "nA==");
  }
  SECTION("zero, in every spelling") {
    CHECK(decimal("0", 0) == "AA==");
    CHECK(decimal("0.00", 2) == "AA==");
    CHECK(decimal("0", 5) == "AA==");
    CHECK(decimal("-0.000", 3) == "AA==");
    CHECK(decimal("0", 1000) == "AA==");
  }
  SECTION("sign-byte boundaries at scale 0") {
    CHECK(decimal("1", 0) == "AQ==");
    CHECK(decimal("127", 0) == "fw==");
    CHECK(decimal("128", 0) == "AIA=");
    CHECK(decimal("255", 0) == "AP8=");
    CHECK(decimal("256", 0) == "AQA=");
    CHECK(decimal("-1", 0) == "/w==");
    CHECK(decimal("-128", 0) == "gA==");
    CHECK(decimal("-129", 0) == "/38=");
    CHECK(decimal("-256", 0) == "/wA=");
  }
  SECTION("scale padding and excess zero digits") {
    CHECK(decimal("0.01", 2) == "AQ==");
    CHECK(decimal("1.5", 2) == "AJY=");      // 150
    CHECK(decimal("1.50000", 2) == "AJY=");  // zeros beyond the scale are dropped
    CHECK(decimal("-0.05", 2) == "+w==");    // -5
    CHECK(decimal("000127", 0) == "fw==");
  }
  SECTION("int64 boundaries and beyond") {
    CHECK(decimal("999999999999999999", 0) == "DeC2s6dj//8=");
    CHECK(decimal("1000000000000000000", 0) == "DeC2s6dkAAA=");
    CHECK(decimal("-1000000000000000000", 0) == "8h9JTFicAAA=");
    CHECK(decimal("9223372036854775807", 0) == "f/////////8=");
    CHECK(decimal("-9223372036854775808", 0) == "gAAAAAAAAAA=");
    CHECK(decimal("10000000000000000000000000000000000000000", 0) == "HWMp8cNcpL+rufVhAAAAAAA=");
  }
  SECTION("precision 38 and more") {
    CHECK(decimal("99999999999999999999999999999999999999", 0) == "SztMqFqGxHoJiiI//////w==");
    CHECK(decimal("-99999999999999999999999999999999999999", 0) == "tMSzV6V5O4X2dd3AAAAAAQ==");
    CHECK(decimal("123456789012345678901234567890.123456789", 9) == "XODppWAV/sWq36MorjmBFQ==");
    CHECK(decimal("-123456789012345678901234567890.123456789", 9) == "ox8WWp/qATpVIFzXUcZ+6w==");
    CHECK(decimal("1", 40) == "HWMp8cNcpL+rufVhAAAAAAA=");  // 10^40 by padding alone
  }
  SECTION("rejected input") {
    CHECK(decimal("1.234", 2).find("more fractional digits") != std::string::npos);
    CHECK(decimal("NaN", 2).find("NaN") != std::string::npos);
    CHECK(decimal("Infinity", 2).find("Infinity") != std::string::npos);
    CHECK(decimal("-Infinity", 0).find("-Infinity") != std::string::npos);
    for (const char* bad : {"", "-", ".", "1.2.3", "1e5", " 1", "1 ", "abc", "--1", "0x10"}) {
      INFO(bad);
      CHECK(decimal(bad, 2).rfind("error: ", 0) == 0);
    }
  }
}

TEST_CASE("variable-scale decimals strip trailing fractional zeros", "[pg_values]") {
  CHECK(variable("1.500") == "1:Dw==");
  CHECK(variable("1000") == "0:A+g=");  // never a negative scale
  CHECK(variable("0.000") == "0:AA==");
  CHECK(variable("0") == "0:AA==");
  CHECK(variable("-0.50") == "1:+w==");
  CHECK(variable("-123456789012345678901234567890.123456789") == "9:ox8WWp/qATpVIFzXUcZ+6w==");
  CHECK(variable("0.01") == "2:AQ==");
  CHECK(variable("NaN").find("NaN") != std::string::npos);
}

TEST_CASE("bytea text forms", "[pg_values]") {
  std::string out;
  REQUIRE(bytea_from_text("\\xdeadbeef", out).ok());
  CHECK(out == std::string("\xde\xad\xbe\xef", 4));
  REQUIRE(bytea_from_text("\\xDEAD00", out).ok());
  CHECK(out == std::string("\xde\xad\x00", 3));
  REQUIRE(bytea_from_text("\\x", out).ok());
  CHECK(out.empty());
  REQUIRE(bytea_from_text("ab\\\\c\\000\\377", out).ok());  // escape format
  CHECK(out == std::string("ab\\c\x00\xff", 6));
  CHECK_FALSE(bytea_from_text("\\xabc", out).ok());
  CHECK_FALSE(bytea_from_text("\\xzz", out).ok());
  CHECK_FALSE(bytea_from_text("a\\9", out).ok());
}

TEST_CASE("dates count days from 1970-01-01, proleptic Gregorian", "[pg_values]") {
  CHECK(*date_from_text("1970-01-01") == 0);
  CHECK(*date_from_text("1969-12-31") == -1);
  CHECK(*date_from_text("2020-09-27") == 18532);
  CHECK(*date_from_text("2000-02-29") == 11016);
  CHECK(*date_from_text("0001-01-01") == -719162);
  CHECK(*date_from_text("0001-12-31 BC") == -719163);  // year 0
  CHECK(*date_from_text("0044-03-15 BC") == -735160);
  CHECK(*date_from_text("4713-01-01 BC") == -2440550);    // PostgreSQL's earliest date
  CHECK(*date_from_text("5874897-12-31") == 2145042905);  // and its latest
  // Debezium's days for them (-5877611-06-21 and -06-22), not the int32 extremes.
  CHECK(*date_from_text("infinity") == -2147472692);
  CHECK(*date_from_text("-infinity") == -2147472691);
  for (const char* bad : {"2020-13-01", "2020-02-30", "2021-02-29", "2020-1-01", "2020-01-01 ",
                          "abc", "", "2020-01-01 AD", "0000-01-01 BC", "2020/01/01"}) {
    INFO(bad);
    CHECK_FALSE(date_from_text(bad).ok());
  }
}

TEST_CASE("times are microseconds past midnight", "[pg_values]") {
  CHECK(*time_from_text("00:00:00") == 0);
  CHECK(*time_from_text("00:00:00.000001") == 1);
  CHECK(*time_from_text("12:34:56.5") == 45296500000);
  CHECK(*time_from_text("15:37:24.058468") == 56244058468);
  CHECK(*time_from_text("23:59:59.999999") == 86399999999);
  CHECK(*time_from_text("24:00:00") == 86400000000);
  for (const char* bad : {"24:00:00.000001", "24:00:01", "25:00:00", "12:60:00", "12:00:60",
                          "12:00", "12:00:00.1234567", "1:00:00", "12:00:00.", "12:00:00+02"}) {
    INFO(bad);
    CHECK_FALSE(time_from_text(bad).ok());
  }
}

TEST_CASE("intervals are Debezium's MicroDuration microseconds", "[pg_values]") {
  constexpr int64_t kSecond = 1'000'000;
  constexpr int64_t kDay = 86'400 * kSecond;
  constexpr int64_t kMonth = 2'629'800 * kSecond;  // 365.25 / 12 days
  SECTION("IntervalStyle postgres forms, as PostgreSQL 15 prints them") {
    CHECK(*interval_micros_from_text("00:00:00") == 0);
    CHECK(*interval_micros_from_text("3 days") == 3 * kDay);
    CHECK(*interval_micros_from_text("1 year 2 mons 3 days 04:05:06.789") ==
          14 * kMonth + 3 * kDay + (4 * 3600 + 5 * 60 + 6) * kSecond + 789'000);
    CHECK(*interval_micros_from_text("1 year 2 mons 3 days 04:05:06.789") == 37091106789000);
    CHECK(*interval_micros_from_text("1 year") == 12 * kMonth);
    CHECK(*interval_micros_from_text("1 mon") == kMonth);
    CHECK(*interval_micros_from_text("1 year 00:00:01") == 12 * kMonth + kSecond);
    CHECK(*interval_micros_from_text("25:00:00.5") == 25 * 3600 * kSecond + 500'000);
  }
  SECTION("negative and mixed-sign fields") {
    CHECK(*interval_micros_from_text("-1 years -2 mons +3 days -04:05:06") ==
          -14 * kMonth + 3 * kDay - (4 * 3600 + 5 * 60 + 6) * kSecond);
    CHECK(*interval_micros_from_text("-1 mons") == -kMonth);
    CHECK(*interval_micros_from_text("1 mon -1 days") == kMonth - kDay);
    CHECK(*interval_micros_from_text("-1 days +00:00:01") == -kDay + kSecond);
    CHECK(*interval_micros_from_text("-00:00:00.000001") == -1);
    CHECK(*interval_micros_from_text("1 day -00:00:00.000001") == kDay - 1);
    CHECK(*interval_micros_from_text("-00:00:01.5") == -1'500'000);
  }
  SECTION("Debezium's double arithmetic, truncated toward zero, is kept") {
    CHECK(*interval_micros_from_text("00:00:00.000001") == 1);
    CHECK(*interval_micros_from_text("00:00:00.000249") == 248);  // 248.99999999999997
    CHECK(*interval_micros_from_text("00:00:01.000001") == 1'000'000);
    CHECK(*interval_micros_from_text("-00:00:01.000001") == -1'000'000);
  }
  SECTION("the ends of int64") {
    CHECK(*interval_micros_from_text("2562047788:00:54.775807") == INT64_MAX);
    CHECK(*interval_micros_from_text("-2562047788:00:54.775808") == INT64_MIN);
    CHECK(*interval_micros_from_text("292271 years") == 9223371309600000000);
    for (const char* big : {"178000000 years", "-178000000 years", "292272 years",
                            "178956970 years 7 mons", "2147483647 days", "-2147483648 days",
                            "2562047788:00:54.775808", "106751992 days 04:00:54.775808"}) {
      INFO(big);
      auto result = interval_micros_from_text(big);
      REQUIRE_FALSE(result.ok());
      CHECK(result.error().message.find("interval out of range") == 0);
    }
  }
  SECTION("other forms are errors, never a guess") {
    for (const char* bad : {"",
                            " ",
                            "3 days ",
                            " 3 days",
                            "3  days",
                            "3",
                            "3 fortnights",
                            "1 day 1 year",
                            "1 year 2 years",
                            "00:00:00 1 day",
                            "00:00:00 00:00:00",
                            "1 days,",
                            "12:60:00",
                            "12:00:60",
                            "12:00",
                            "00:00:00.1234567",
                            "00:00:00.",
                            "12345678901 days",
                            "@ 1 day",
                            "1 day ago",
                            "P1Y2M3DT4H5M6S",
                            "1-2",
                            "3 4:05:06",
                            "infinity",
                            "-infinity",
                            "1 hour",
                            "1 Day",
                            "+-1 day"}) {
      INFO(bad);
      CHECK_FALSE(interval_micros_from_text(bad).ok());
    }
  }
}

TEST_CASE("timestamps without zone are wall-clock microseconds as UTC", "[pg_values]") {
  CHECK(*timestamp_from_text("1970-01-01 00:00:00") == 0);
  CHECK(*timestamp_from_text("1969-12-31 23:59:59.5") == -500000);
  CHECK(*timestamp_from_text("2020-09-27 15:37:24.058468") == 1601221044058468);
  CHECK(*timestamp_from_text("9999-12-31 23:59:59.999999") == 253402300799999999);
  // PostgreSQL's latest timestamp is past int64 microseconds since 1970 (Debezium's long too).
  CHECK(timestamp_from_text("294276-12-31 23:59:59.999999").error().message ==
        "timestamp out of range");
  CHECK(*timestamp_from_text("4713-01-01 00:00:00 BC") == -210863520000000000);
  CHECK(*timestamp_from_text("infinity") == kTimestampPositiveInfinityMicros);
  CHECK(*timestamp_from_text("-infinity") == kTimestampNegativeInfinityMicros);
  for (const char* bad : {"2020-09-27", "2020-09-27T15:37:24", "2020-09-27 24:00:00",
                          "2020-09-27 15:37:24+02", "9999999-01-01 00:00:00", "x"}) {
    INFO(bad);
    CHECK_FALSE(timestamp_from_text(bad).ok());
  }
}

TEST_CASE("timestamptz is an instant (written as an ISO-8601 UTC string)", "[pg_values]") {
  CHECK(iso("2020-09-27 15:37:24.058468+02", 6) == "2020-09-27T13:37:24.058468Z");
  CHECK(iso("2020-09-27 15:37:24.5+02", 6) == "2020-09-27T13:37:24.500000Z");
  CHECK(iso("2020-09-27 15:37:24+02", 6) == "2020-09-27T13:37:24.000000Z");
  CHECK(iso("2020-09-27 15:37:24.058+02", 3) == "2020-09-27T13:37:24.058Z");
  CHECK(iso("2020-09-27 15:37:24+02", 0) == "2020-09-27T13:37:24Z");
  CHECK(iso("2020-01-01 00:00:00+05:30", 0) == "2019-12-31T18:30:00Z");
  CHECK(iso("2020-01-01 00:00:00-03", 0) == "2020-01-01T03:00:00Z");
  CHECK(iso("1970-01-01 00:59:59.000001+01", 6) == "1969-12-31T23:59:59.000001Z");
  CHECK(iso("0044-03-15 12:00:00+00:53:28 BC", 6) == "-0043-03-15T11:06:32.000000Z");
  CHECK(iso("0001-01-01 00:30:00+01 BC", 0) == "-0001-12-31T23:30:00Z");
  CHECK(iso("0001-01-01 00:30:00+01", 0) == "0000-12-31T23:30:00Z");
  CHECK(iso("10000-01-01 05:00:00+00", 0) == "+10000-01-01T05:00:00Z");
  CHECK(iso("infinity", 6) == "infinity");
  CHECK(iso("-infinity", 6) == "-infinity");
  for (const char* bad : {"2020-09-27 15:37:24", "2020-09-27 15:37:24+2", "2020-09-27 15:37:24Z",
                          "2020-09-27 15:37:24+02:60", "2020-09-27 15:37:24+02 AD"}) {
    INFO(bad);
    CHECK(iso(bad, 6).rfind("error: ", 0) == 0);
  }
}

TEST_CASE("array literals", "[pg_values]") {
  using V = std::vector<std::string>;
  CHECK(elements("{1,2,NULL}") == V{"1", "2", "<null>"});
  CHECK(elements("{}") == V{});
  CHECK(elements(R"({"a b","c\"d",NULL,"NULL","",plain,"back\\slash","{x}"})") ==
        V{"a b", "c\"d", "<null>", "NULL", "", "plain", "back\\slash", "{x}"});
  CHECK(elements(R"({"\\xdead",NULL})") == V{"\\xdead", "<null>"});
  CHECK(elements("{null,Null}") == V{"<null>", "<null>"});
  CHECK(elements(" { 1 , 2 } ") == V{"1", "2"});
  CHECK(elements("{a b,c}") == V{"a b", "c"});
  CHECK(elements(R"({a\,b})") == V{"a,b"});
  CHECK(elements(R"({NUL\L})") == V{"NULL"});  // escaped: a string, not NULL
  CHECK(elements("[0:1]={5,6}") == V{"5", "6"});
  CHECK(elements(R"({"2020-09-27 13:37:24.5+00"})") == V{"2020-09-27 13:37:24.5+00"});
  for (const char* bad : {"{{1,2},{3,4}}", "[0:1][1:2]={{1,2},{3,4}}", "{1,2", "{\"abc}", "1,2",
                          "{1,,2}", "{1}x", "{a\"b}", "", "{1 2 \"x\"}"}) {
    INFO(bad);
    CHECK(elements(bad).front().rfind("error: ", 0) == 0);
  }
  CHECK(elements("{{1,2},{3,4}}").front().find("multi-dimensional") != std::string::npos);
}

}  // namespace tributary::source::postgres::text

// --- PostgresValueDecoder: whole events ------------------------------------------------------

namespace tributary::source {
namespace {

using event::TypeKind;

event::ColumnType pg_type(TypeKind kind, std::string name, int precision = -1, int scale = -1) {
  event::ColumnType t;
  t.kind = kind;
  t.precision = precision;
  t.scale = scale;
  t.source_name = std::move(name);
  return t;
}

event::ColumnType pg_array(event::ColumnType element, std::string name) {
  event::ColumnType t = pg_type(TypeKind::kArray, std::move(name));
  t.element = std::make_shared<const event::ColumnType>(std::move(element));
  return t;
}

/// A table "public.t" with the given column types, named c0, c1, ...
std::shared_ptr<const event::TableSchema> table_of(std::vector<event::ColumnType> types) {
  auto t = std::make_shared<event::TableSchema>();
  t->id = {"public", "t"};
  for (std::size_t i = 0; i < types.size(); ++i) {
    t->columns.push_back({"c" + std::to_string(i), std::move(types[i]), true, false});
  }
  return t;
}

event::ChangeEvent insert_of(std::shared_ptr<const event::TableSchema> schema, event::Row row) {
  event::ChangeEvent e;
  e.op = event::Op::kCreate;
  e.schema = std::move(schema);
  e.after = std::move(row);
  return e;
}

event::Value text_value(std::string s) {
  return event::Value(std::move(s));
}

}  // namespace

TEST_CASE("the decoder turns each kind's text into its typed value", "[pg_values]") {
  auto schema = table_of(
      {pg_type(TypeKind::kBool, "bool"), pg_type(TypeKind::kInt16, "int2"),
       pg_type(TypeKind::kInt64, "int8"), pg_type(TypeKind::kFloat32, "float4"),
       pg_type(TypeKind::kFloat64, "float8"), pg_type(TypeKind::kDecimal, "numeric(10,2)", 10, 2),
       pg_type(TypeKind::kVariableDecimal, "numeric"), pg_type(TypeKind::kBytes, "bytea"),
       pg_type(TypeKind::kDate, "date"), pg_type(TypeKind::kTime, "time"),
       pg_type(TypeKind::kTimestamp, "timestamp"), pg_type(TypeKind::kTimestampTz, "timestamptz"),
       pg_type(TypeKind::kInterval, "interval"), pg_type(TypeKind::kString, "text"),
       pg_type(TypeKind::kUuid, "uuid"), pg_array(pg_type(TypeKind::kInt32, "int4"), "_int4")});
  auto e = insert_of(
      schema,
      {text_value("t"), text_value("-32768"), text_value("9223372036854775807"), text_value("1.1"),
       text_value("NaN"), text_value("123.45"), text_value("50.050"), text_value("\\xdeadbeef"),
       text_value("2020-09-27"), text_value("15:37:24.058468"), text_value("1969-12-31 23:59:59.5"),
       text_value("2020-09-27 15:37:24.5+02"), text_value("3 days"), text_value("plain"),
       text_value("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), text_value("{1,NULL,-3}")});
  PostgresValueDecoder decoder;
  REQUIRE(decoder.decode(e).ok());
  const event::Row& r = *e.after;
  CHECK(r[0] == event::Value(true));
  CHECK(r[1] == event::Value(int64_t{-32768}));
  CHECK(r[2] == event::Value(INT64_MAX));
  CHECK(std::get<double>(r[3]) == static_cast<double>(1.1f));  // read as a float4
  CHECK(std::isnan(std::get<double>(r[4])));
  CHECK(r[5] == event::Value(event::Decimal{std::string("\x30\x39", 2), 2}));  // 12345
  CHECK(r[6] == event::Value(event::Decimal{std::string("\x13\x8d", 2), 2}));  // 5005, scale 2
  CHECK(r[7] == event::Value(event::Bytes{std::string("\xde\xad\xbe\xef", 4)}));
  CHECK(r[8] == event::Value(event::Date{18532}));
  CHECK(r[9] == event::Value(event::Time{56244058468}));
  CHECK(r[10] == event::Value(event::Timestamp{-500000}));
  CHECK(r[11] == event::Value(event::ZonedTimestamp{1601213844500000, 0}));
  CHECK(r[12] == event::Value(event::Interval{3 * 86400LL * 1000000, 0, 3, 0}));
  CHECK(r[13] == text_value("plain"));
  CHECK(r[14] == text_value("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
  CHECK(r[15] == event::Value(event::Array{{event::Value(int64_t{1}), event::Value(event::Null{}),
                                            event::Value(int64_t{-3})}}));
}

TEST_CASE("the decoder keeps Null, Unchanged, typed values and omitted columns", "[pg_values]") {
  auto schema = std::const_pointer_cast<event::TableSchema>(
      table_of({pg_type(TypeKind::kInt32, "int4"), pg_type(TypeKind::kBytes, "bytea"),
                pg_type(TypeKind::kInt32, "int4"), pg_type(TypeKind::kString, "point")}));
  schema->columns[3].omitted = true;
  auto e = insert_of(
      schema, {event::Null{}, event::Unchanged{}, event::Value(int64_t{7}), text_value("(1,2)")});
  e.before = event::Row{text_value("5"), event::Null{}, event::Null{}, event::Null{}};
  PostgresValueDecoder decoder;
  REQUIRE(decoder.decode(e).ok());
  CHECK(std::holds_alternative<event::Null>((*e.after)[0]));
  CHECK(std::holds_alternative<event::Unchanged>((*e.after)[1]));
  CHECK((*e.after)[2] == event::Value(int64_t{7}));
  CHECK((*e.after)[3] == text_value("(1,2)"));
  CHECK((*e.before)[0] == event::Value(int64_t{5}));  // the before image is decoded too
}

TEST_CASE("a value that does not parse names table, column, type and value", "[pg_values]") {
  PostgresValueDecoder decoder;
  auto message = [&](event::ColumnType t, std::string value) {
    auto e = insert_of(table_of({std::move(t)}), {text_value(std::move(value))});
    auto result = decoder.decode(e);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::kCorrupt);
    return result.error().message;
  };
  CHECK(message(pg_type(TypeKind::kInt32, "int4"), "12x") ==
        "cannot convert value '12x' of public.t.c0 (int4 (kInt32)): not an integer");
  CHECK(message(pg_type(TypeKind::kInterval, "interval"), "178000000 years")
            .rfind("cannot convert value '178000000 years' of public.t.c0 (interval (kInterval)): "
                   "interval out of range",
                   0) == 0);
  CHECK(message(pg_array(pg_type(TypeKind::kDate, "date"), "_date"), "{2020-01-01,nope}")
            .find("element 2 'nope': not a date") != std::string::npos);
  CHECK(message(pg_type(TypeKind::kInt32, "int4"), std::string(500, '7')).find("(500 bytes)") !=
        std::string::npos);
  CHECK(message(pg_type(TypeKind::kInt16, "int2"), "40000").find("out of range") !=
        std::string::npos);
  CHECK(message(pg_type(TypeKind::kFloat32, "float4"), "1e39").find("out of range for a real") !=
        std::string::npos);
  SECTION("a bytea that fails is quoted as it came, not half decoded") {
    CHECK(message(pg_type(TypeKind::kBytes, "bytea"), "\\x41414z").find("'\\x41414z'") !=
          std::string::npos);
    CHECK(message(pg_type(TypeKind::kBytes, "bytea"), "AAA\\9").find("'AAA\\9'") !=
          std::string::npos);
  }
}

TEST_CASE("types the envelope refuses are left as text for its check to name", "[pg_values]") {
  auto e = insert_of(table_of({pg_type(TypeKind::kDecimal, "numeric(10)", 10, -1),
                               pg_type(TypeKind::kArray, "_int4")}),
                     {text_value("1"), text_value("{1}")});
  PostgresValueDecoder decoder;
  REQUIRE(decoder.decode(e).ok());
  CHECK((*e.after)[0] == text_value("1"));
  CHECK((*e.after)[1] == text_value("{1}"));
}

}  // namespace tributary::source
