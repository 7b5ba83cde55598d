// PostgreSQL money and bit/varbit: text parsing at the extremes, and the value and schema JSON
// the envelope writes for them (Debezium 3.6 PostgresValueConverter defaults).
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "../envelope/event_builders.hpp"
#include "envelope/text_codec.hpp"
#include "source/postgres/values/text_parsers.hpp"

namespace tributary::envelope::testing {
namespace {

using event::Op;

std::string base64(std::string_view bytes) {
  std::string out;
  codec::append_base64(bytes, out);
  return out;
}

std::string money(std::string_view text) {
  std::string bytes;
  auto result = source::postgres::text::money_unscaled_bytes(text, bytes);
  return result.ok() ? base64(bytes) : "error: " + result.error().message;
}

std::string bits(std::string_view text) {
  std::string bytes;
  auto result = source::postgres::text::bits_little_endian(text, bytes);
  return result.ok() ? base64(bytes) : "error: " + result.error().message;
}

/// The one-column insert's envelope with schemas, parsed.
rapidjson::Document envelope_of(event::ColumnType t, std::string value_text) {
  Options o;
  o.topic_prefix = "srv";
  o.schemas = true;
  o.version = "tributary-test";
  Serializer serializer(o);
  std::vector<sink::Message> out;
  auto schema = table("public", "t",
                      {column("id", type(TypeKind::kInt32, "int4"), false), column("c", t)}, {0});
  auto result = serialize_text(
      serializer,
      change(Op::kCreate, schema, std::nullopt, row({text("1"), text(std::move(value_text))})),
      kNowUs, out);
  REQUIRE(result.ok());
  rapidjson::Document document;
  document.Parse(out.at(0).value->c_str());
  REQUIRE_FALSE(document.HasParseError());
  return document;
}

/// The "after" struct's schema of field "c".
const rapidjson::Value& field_schema(const rapidjson::Document& d) {
  const auto& fields = d["schema"]["fields"];
  for (const auto& f : fields.GetArray()) {
    if (std::string(f["field"].GetString()) != "after") continue;
    for (const auto& g : f["fields"].GetArray()) {
      if (std::string(g["field"].GetString()) == "c") return g;
    }
  }
  FAIL("no after.c in the schema");
  return fields;
}

event::ColumnType money_type() {
  event::ColumnType t = type(TypeKind::kDecimal, "money", 0, 2);
  return t;
}

TEST_CASE("money text -> Decimal at scale 2 (PostgresMoney.parse)", "[pg_values]") {
  CHECK(money("$0.00") == "AA==");
  CHECK(money("$1.00") == "ZA==");                      // 100
  CHECK(money("-$1.00") == "nA==");                     // -100
  CHECK(money("($1.00)") == "nA==");                    // accounting form
  CHECK(money("$1,234.56") == base64("\x01\xe2\x40"));  // 123456
  // The extremes of int8 cents.
  CHECK(money("$92,233,720,368,547,758.07") == base64("\x7f\xff\xff\xff\xff\xff\xff\xff"));
  CHECK(money("-$92,233,720,368,547,758.08") ==
        base64(std::string("\x80\x00\x00\x00\x00\x00\x00\x00", 8)));
  CHECK(money("$.50") == "Mg==");  // 50
  CHECK(money("").rfind("error: ", 0) == 0);
  CHECK(money("$").rfind("error: ", 0) == 0);
  CHECK(money("1.234,56 EUR").rfind("error: ", 0) == 0);  // a ','-decimal locale is refused
}

TEST_CASE("bit text -> little-endian Bits cut after the highest set bit", "[pg_values]") {
  CHECK(bits("00000000") == "");  // BitSet.toByteArray of no set bit: no bytes
  CHECK(bits("1") == "AQ==");
  CHECK(bits("10") == "Ag==");
  CHECK(bits("0000000100000010") == base64("\x02\x01"));  // 0x0102 little-endian
  CHECK(bits("1000000000000000000000000000000000000000000000000000000000000000") ==
        base64(std::string("\0\0\0\0\0\0\0\x80", 8)));
  CHECK(bits(std::string(64, '1')) == base64(std::string(8, '\xff')));
  CHECK(bits("0000000000000101") == "BQ==");  // leading zero bytes dropped
  CHECK(bits("01a").rfind("error: ", 0) == 0);
}

TEST_CASE("money envelope: Decimal schema with scale 2 and no precision", "[pg_values]") {
  auto d = envelope_of(money_type(), "-$92,233,720,368,547,758.08");
  CHECK(std::string(d["payload"]["after"]["c"].GetString()) == "gAAAAAAAAAA=");
  const auto& s = field_schema(d);
  CHECK(std::string(s["type"].GetString()) == "bytes");
  CHECK(std::string(s["name"].GetString()) == "org.apache.kafka.connect.data.Decimal");
  CHECK(std::string(s["parameters"]["scale"].GetString()) == "2");
  CHECK_FALSE(s["parameters"].HasMember("connect.decimal.precision"));
}

TEST_CASE("bit(n) envelope: io.debezium.data.Bits with its length", "[pg_values]") {
  auto d = envelope_of(type(TypeKind::kBits, "bit(16)", 16), "0000000100000010");
  CHECK(std::string(d["payload"]["after"]["c"].GetString()) == base64("\x02\x01"));
  const auto& s = field_schema(d);
  CHECK(std::string(s["type"].GetString()) == "bytes");
  CHECK(std::string(s["name"].GetString()) == "io.debezium.data.Bits");
  CHECK(std::string(s["parameters"]["length"].GetString()) == "16");
}

TEST_CASE("bit(1) envelope: boolean from 1 and 0", "[pg_values]") {
  auto one = envelope_of(type(TypeKind::kBool, "bit(1)"), "1");
  CHECK(one["payload"]["after"]["c"].GetBool());
  CHECK(std::string(field_schema(one)["type"].GetString()) == "boolean");
  auto zero = envelope_of(type(TypeKind::kBool, "bit(1)"), "0");
  CHECK_FALSE(zero["payload"]["after"]["c"].GetBool());
}

}  // namespace
}  // namespace tributary::envelope::testing
