// MySQL snapshot: text-protocol values -> typed Values (the forms the binlog decoder gives), every
// malformed or out-of-range text an error naming table.column and the value; information_schema
// facts -> ColumnType as TABLE_MAP gives it.
#include <catch2/catch.hpp>

#include "source/mysql/schema_query.hpp"
#include "source/mysql/text_values.hpp"

namespace tributary::source::mysql {
namespace {

using event::TypeKind;
using event::Value;

event::Column column(TypeKind kind, std::string source_name = "", bool nullable = true,
                     int precision = -1, int scale = -1) {
  event::Column c;
  c.name = "c";
  c.type.kind = kind;
  c.type.source_name = std::move(source_name);
  c.type.precision = precision;
  c.type.scale = scale;
  c.optional = nullable;
  return c;
}

Value ok(const event::Column& c, std::string_view text) {
  auto value = text_value(c, text, "db.t");
  INFO(text);
  REQUIRE(value.ok());
  return *value;
}

std::string fails(const event::Column& c, std::string_view text) {
  auto value = text_value(c, text, "db.t");
  INFO(text);
  REQUIRE_FALSE(value.ok());
  CHECK(value.error().message.find("db.t: column c") != std::string::npos);
  return value.error().message;
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

}  // namespace

TEST_CASE("integers are range-checked per kind; BIGINT UNSIGNED wraps as in the binlog") {
  CHECK(ok(column(TypeKind::kInt16, "tinyint"), "-128") == Value(int64_t{-128}));
  CHECK(ok(column(TypeKind::kInt16, "smallint"), "32767") == Value(int64_t{32767}));
  fails(column(TypeKind::kInt16, "smallint"), "32768");
  CHECK(ok(column(TypeKind::kInt32, "int"), "-2147483648") == Value(int64_t{INT32_MIN}));
  fails(column(TypeKind::kInt32, "int"), "2147483648");
  CHECK(ok(column(TypeKind::kInt64, "int unsigned"), "4294967295") == Value(int64_t{4294967295}));
  CHECK(ok(column(TypeKind::kInt64, "bigint unsigned"), "18446744073709551615") ==
        Value(int64_t{-1}));
  fails(column(TypeKind::kInt64, "bigint unsigned"), "-1");
  fails(column(TypeKind::kInt64, "bigint"), "9223372036854775808");
  CHECK(ok(column(TypeKind::kYear, "year"), "2155") == Value(int64_t{2155}));
  auto message = fails(column(TypeKind::kInt32, "int"), "12x");
  CHECK(message.find("'12x'") != std::string::npos);
  fails(column(TypeKind::kInt32, "int"), "");
}

TEST_CASE("FLOAT reads back the stored float, DOUBLE the double") {
  CHECK(std::get<double>(ok(column(TypeKind::kFloat32, "float"), "3.14159")) ==
        static_cast<double>(3.14159f));
  CHECK(std::get<double>(ok(column(TypeKind::kFloat64, "double"), "-2.5e-300")) == -2.5e-300);
  fails(column(TypeKind::kFloat64, "double"), "1e999");
  fails(column(TypeKind::kFloat64, "double"), "abc");
}

TEST_CASE("DECIMAL text -> minimal two's-complement unscaled bytes at the column's scale") {
  auto dec = column(TypeKind::kDecimal, "decimal(10,2)", true, 10, 2);
  CHECK(ok(dec, "123.45") == Value(event::Decimal{bytes({0x30, 0x39}), 2}));
  CHECK(ok(dec, "-1.00") == Value(event::Decimal{bytes({0x9c}), 2}));
  CHECK(ok(dec, "0.00") == Value(event::Decimal{bytes({0x00}), 2}));
  CHECK(ok(dec, "1.28") == Value(event::Decimal{bytes({0x00, 0x80}), 2}));
  CHECK(ok(dec, "-1.28") == Value(event::Decimal{bytes({0x80}), 2}));
  CHECK(ok(dec, "5") == Value(event::Decimal{bytes({0x01, 0xf4}), 2}));
  fails(dec, "1.234");
  fails(dec, "1.2.3");
  fails(dec, "-");
  // 65 digits: past any machine integer.
  auto wide = column(TypeKind::kDecimal, "decimal(65,0)", true, 65, 0);
  auto value = std::get<event::Decimal>(ok(wide, std::string(65, '9')));
  CHECK(value.unscaled.size() == 28);  // 10^65 - 1 needs 216 bits, its top bit set: + a sign byte
  CHECK(value.unscaled[0] == 0);
}

TEST_CASE("BIT(1) is a bool, BIT(n) the bytes little-endian, binary bytes as they are") {
  CHECK(ok(column(TypeKind::kBool, "bit(1)"), bytes({1})) == Value(true));
  CHECK(ok(column(TypeKind::kBool, "bit(1)"), bytes({0})) == Value(false));
  fails(column(TypeKind::kBool, "bit(1)"), bytes({0, 1}));
  CHECK(ok(column(TypeKind::kBits, "bit(12)", true, 12), bytes({0x0a, 0xbc})) ==
        Value(event::Bytes{bytes({0xbc, 0x0a})}));
  fails(column(TypeKind::kBits, "bit(12)", true, 12), bytes({0x0a}));
  CHECK(ok(column(TypeKind::kBytes, "binary(3)"), bytes({0, 0xff, 0})) ==
        Value(event::Bytes{bytes({0, 0xff, 0})}));
}

TEST_CASE("text kinds keep UTF-8 text and refuse anything else") {
  CHECK(ok(column(TypeKind::kString, "varchar(10)"), "caf\xc3\xa9") ==
        Value(std::string("caf\xc3\xa9")));
  CHECK(ok(column(TypeKind::kSet, "set('a','b')"), "a,b") == Value(std::string("a,b")));
  CHECK(ok(column(TypeKind::kJson, "json"), "{\"a\":1}") == Value(std::string("{\"a\":1}")));
  fails(column(TypeKind::kString, "varchar(10)"), "caf\xe9");
}

TEST_CASE("dates and times in Debezium units, zero dates null if nullable, else the epoch") {
  CHECK(ok(column(TypeKind::kDate, "date"), "2024-02-29") == Value(event::Date{19782}));
  CHECK(ok(column(TypeKind::kDate, "date"), "1000-01-01") == Value(event::Date{-354285}));
  CHECK(ok(column(TypeKind::kDate, "date"), "0000-00-00") == Value(event::Null{}));
  CHECK(ok(column(TypeKind::kDate, "date", false), "0000-00-00") == Value(event::Date{0}));
  CHECK(ok(column(TypeKind::kDate, "date", false), "2020-00-10") == Value(event::Date{0}));
  fails(column(TypeKind::kDate, "date"), "2024-13-01");
  fails(column(TypeKind::kDate, "date"), "2024-1-01");
  CHECK(ok(column(TypeKind::kTimestamp, "datetime(6)"), "1970-01-02 00:00:01.000002") ==
        Value(event::Timestamp{86'401'000'002}));
  CHECK(ok(column(TypeKind::kTimestamp, "datetime(3)"), "1969-12-31 23:59:59.500") ==
        Value(event::Timestamp{-500'000}));
  CHECK(ok(column(TypeKind::kTimestampTz, "timestamp"), "2038-01-19 03:14:07") ==
        Value(event::ZonedTimestamp{2147483647LL * 1'000'000, 0}));
  CHECK(ok(column(TypeKind::kTimestampTz, "timestamp", false), "0000-00-00 00:00:00") ==
        Value(event::ZonedTimestamp{0, 0}));
  CHECK(ok(column(TypeKind::kTimestamp, "datetime"), "0000-00-00 00:00:00") ==
        Value(event::Null{}));
  fails(column(TypeKind::kTimestamp, "datetime"), "2024-01-01 24:00:00");
  fails(column(TypeKind::kTimestamp, "datetime"), "2024-01-01 12:00:00.1234567");
  CHECK(ok(column(TypeKind::kTime, "time"), "-838:59:59") ==
        Value(event::Time{-(838LL * 3600 + 59 * 60 + 59) * 1'000'000}));
  CHECK(ok(column(TypeKind::kTime, "time(2)"), "00:00:00.25") == Value(event::Time{250'000}));
  CHECK(ok(column(TypeKind::kTime, "time"), "100:00:00") == Value(event::Time{360'000'000'000}));
  fails(column(TypeKind::kTime, "time"), "12:60:00");
  fails(column(TypeKind::kTime, "time"), "12:00");
}

TEST_CASE("information_schema facts map to the ColumnTypes TABLE_MAP gives") {
  auto map = [](std::string data_type, std::string full_type, std::string charset = "",
                int64_t length = -1, int precision = -1, int scale = -1, int fsp = -1) {
    ColumnFacts facts;
    facts.name = "c";
    facts.data_type = std::move(data_type);
    facts.column_type = std::move(full_type);
    facts.charset = std::move(charset);
    facts.char_length = length;
    facts.precision = precision;
    facts.scale = scale;
    facts.fsp = fsp;
    event::ColumnType type;
    const bool supported = column_type(facts, type);
    return std::make_pair(supported, type);
  };
  CHECK(map("tinyint", "tinyint(1)").second.kind == TypeKind::kInt16);
  CHECK(map("smallint", "smallint(5) unsigned").second.kind == TypeKind::kInt32);
  CHECK(map("int", "int(10) unsigned").second.source_name == "int unsigned");
  CHECK(map("int", "int(10) unsigned").second.kind == TypeKind::kInt64);
  auto dec = map("decimal", "decimal(10,2)", "", -1, 10, 2).second;
  CHECK(dec.kind == TypeKind::kDecimal);
  CHECK(dec.source_name == "decimal(10,2)");
  CHECK((dec.precision == 10 && dec.scale == 2));
  CHECK(map("bit", "bit(1)", "", -1, 1).second.kind == TypeKind::kBool);
  CHECK(map("bit", "bit(12)", "", -1, 12).second.precision == 12);
  CHECK(map("datetime", "datetime(3)", "", -1, -1, -1, 3).second.source_name == "datetime(3)");
  CHECK(map("timestamp", "timestamp", "", -1, -1, -1, 0).second.kind == TypeKind::kTimestampTz);
  auto e = map("enum", "enum('a','it''s','c')").second;
  CHECK(e.enum_values == std::vector<std::string>{"a", "it's", "c"});
  CHECK(e.source_name == "enum('a','it''s','c')");
  CHECK(map("varchar", "varchar(20)", "latin1", 20).second.source_name == "varchar(20)");
  CHECK(map("varbinary", "varbinary(20)", "", 20).second.kind == TypeKind::kBytes);
  CHECK(map("char", "char(4)", "binary", 4).second.source_name == "binary(4)");
  CHECK(map("longtext", "longtext", "utf8mb4").second.kind == TypeKind::kString);
  CHECK(map("mediumblob", "mediumblob").second.kind == TypeKind::kBytes);
  auto other = map("varchar", "varchar(5)", "ucs2", 5);
  CHECK_FALSE(other.first);
  CHECK(other.second.source_name == "varchar(5) ucs2");
  auto geometry = map("point", "point");
  CHECK_FALSE(geometry.first);
  CHECK(geometry.second.source_name == "point");
}

}  // namespace tributary::source::mysql
