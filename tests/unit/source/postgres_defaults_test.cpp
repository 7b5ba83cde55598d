// Column DEFAULT expressions (pg_get_expr's text) -> Debezium's schema default values.
#include <catch2/catch.hpp>

#include "source/postgres/values/default_value.hpp"

namespace {

using tributary::event::ColumnType;
using tributary::event::TypeKind;
using tributary::source::postgres::debezium_default;

ColumnType type(TypeKind kind, const char* name, int precision = -1, int scale = -1) {
  ColumnType t;
  t.kind = kind;
  t.source_name = name;
  t.precision = precision;
  t.scale = scale;
  return t;
}

template <class T>
T value_of(const ColumnType& t, const char* expression) {
  auto value = debezium_default(t, expression);
  REQUIRE(value.has_value());
  REQUIRE(std::holds_alternative<T>(*value));
  return std::get<T>(*value);
}

}  // namespace

TEST_CASE("constants and casts of constants are defaults", "[postgres][defaults]") {
  const auto int4 = type(TypeKind::kInt32, "int4");
  CHECK(value_of<int64_t>(int4, "5") == 5);
  CHECK(value_of<int64_t>(int4, "'-2147483648'::integer") == INT32_MIN);
  CHECK(value_of<int64_t>(type(TypeKind::kInt64, "int8"), "'9223372036854775807'::bigint") ==
        INT64_MAX);
  CHECK(value_of<bool>(type(TypeKind::kBool, "bool"), "true"));
  CHECK_FALSE(value_of<bool>(type(TypeKind::kBool, "bool"), "false"));
  CHECK(value_of<double>(type(TypeKind::kFloat64, "float8"), "1.5") == 1.5);
  CHECK(value_of<std::string>(type(TypeKind::kString, "text"), "'untitled'::text") == "untitled");
  CHECK(value_of<std::string>(type(TypeKind::kString, "varchar"), "''::character varying").empty());
  // Debezium takes the first quoted literal as it is: 'it''s' gives "it".
  CHECK(value_of<std::string>(type(TypeKind::kString, "text"), "'it''s'::text") == "it");
  CHECK(value_of<std::string>(type(TypeKind::kUuid, "uuid"),
                              "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid") ==
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  CHECK(
      value_of<tributary::event::Date>(type(TypeKind::kDate, "date"), "'2020-02-03'::date").days ==
      18295);
  CHECK(value_of<tributary::event::Interval>(type(TypeKind::kInterval, "interval"),
                                             "'1 day'::interval")
            .micros == 86400000000LL);
  const auto price =
      value_of<tributary::event::Decimal>(type(TypeKind::kDecimal, "numeric(6,2)", 6, 2), "9.5");
  CHECK(price.scale == 2);
  CHECK(price.unscaled == std::string("\x03\xb6", 2));  // 950
  ColumnType tier = type(TypeKind::kEnum, "tier");
  tier.enum_values = {"basic", "gold"};
  CHECK(value_of<std::string>(tier, "'gold'::tier") == "gold");
  CHECK(value_of<std::string>(tier, "'gold'::shop.tier") == "gold");
}

TEST_CASE("generated defaults give the type's placeholder", "[postgres][defaults]") {
  CHECK(value_of<int64_t>(type(TypeKind::kInt32, "int4"), "nextval('settings_id_seq'::regclass)") ==
        0);
  CHECK(value_of<tributary::event::ZonedTimestamp>(type(TypeKind::kTimestampTz, "timestamptz"),
                                                   "now()")
            .micros == 0);
  CHECK(value_of<tributary::event::ZonedTimestamp>(type(TypeKind::kTimestampTz, "timestamptz"),
                                                   "CURRENT_TIMESTAMP")
            .micros == 0);
  CHECK(value_of<tributary::event::Date>(type(TypeKind::kDate, "date"), "CURRENT_DATE").days == 0);
  CHECK(value_of<std::string>(type(TypeKind::kUuid, "uuid"), "gen_random_uuid()") ==
        "00000000-0000-0000-0000-000000000000");
}

TEST_CASE("no default where Debezium has none", "[postgres][defaults]") {
  CHECK_FALSE(debezium_default(type(TypeKind::kInt32, "int4"), "NULL::integer"));
  CHECK_FALSE(debezium_default(type(TypeKind::kVariableDecimal, "numeric"), "1.5"));
  CHECK_FALSE(debezium_default(type(TypeKind::kBytes, "bytea"), "'\\x00'::bytea"));
  CHECK_FALSE(debezium_default(type(TypeKind::kDecimal, "money", 0, 2), "'1.00'::money"));
  CHECK_FALSE(debezium_default(type(TypeKind::kInterval, "interval"), "now() - now()"));
  CHECK_FALSE(debezium_default(type(TypeKind::kInt32, "int4"), "'abc'::integer"));
  ColumnType tier = type(TypeKind::kEnum, "tier");
  CHECK_FALSE(debezium_default(tier, "'gold'::other"));
}
