// Binlog forms MariaDB 10.11 does not write (MySQL's binary JSON, GTID and PREVIOUS_GTIDS events)
// and edge cases of the value formats, on hand-built bytes.
#include <catch2/catch.hpp>

#include "binlog_file.hpp"
#include "source/mysql/binlog/byte_reader.hpp"
#include "source/mysql/binlog/events.hpp"
#include "source/mysql/binlog/json_binary.hpp"
#include "source/mysql/binlog/row_image.hpp"
#include "source/mysql/binlog/table_schema.hpp"
#include "source/mysql/binlog/value_formats.hpp"

namespace {

namespace binlog = tributary::source::mysql::binlog;
using tributary::ErrorKind;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::string json(const std::string& doc) {
  auto text = binlog::json_binary_to_text(doc, 0, "WRITE_ROWS");
  if (!text.ok()) FAIL(text.error().message);
  return *text;
}

std::string le32(uint32_t v) {
  return bytes({static_cast<int>(v & 0xff), static_cast<int>((v >> 8) & 0xff),
                static_cast<int>((v >> 16) & 0xff), static_cast<int>(v >> 24)});
}

/// A whole event of `type` around `body`: header, body, CRC32.
std::string event(uint8_t type, const std::string& body) {
  std::string out = le32(1700000000) + bytes({type}) + le32(7) + le32(19 + body.size() + 4) +
                    le32(1000) + bytes({0, 0}) + body;
  return out + le32(binlog::crc32(out));
}

}  // namespace

TEST_CASE("MySQL binary JSON prints as MySQL prints it") {
  // Scalars: literal, int16, string, double.
  CHECK(json(bytes({0x04, 0x01})) == "true");
  CHECK(json(bytes({0x04, 0x00})) == "null");
  CHECK(json(bytes({0x05, 0xfe, 0xff})) == "-2");
  CHECK(json(bytes({0x0c, 0x03, 'a', '"', 'b'})) == "\"a\\\"b\"");
  CHECK(json(bytes({0x0b, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f})) == "1.5");
  CHECK(json(bytes({0x0b, 0, 0, 0, 0, 0, 0, 0x08, 0x40})) == "3.0");
  CHECK(json("") == "null");
  // {"a": 1, "bc": [true, "x"]}: small object, two keys, an inlined int16 and a nested array.
  //   count 2, size, key entries (offset, length) x2, value entries (type, offset) x2, keys, array
  const std::string array =
      bytes({0x02, 0x00, 0x0c, 0x00, 0x04, 0x01, 0x00, 0x0c, 0x0a, 0x00, 0x01, 'x'});
  std::string object = bytes({0x02, 0x00, 0x00, 0x00,  // count 2, size (patched below)
                              0x12, 0x00, 0x01, 0x00,  // key "a" at 18
                              0x13, 0x00, 0x02, 0x00,  // key "bc" at 19
                              0x05, 0x01, 0x00,        // int16 1, inlined
                              0x02, 0x15, 0x00,        // small array at 21
                              'a',  'b',  'c'});
  object += array;
  object[2] = static_cast<char>(object.size());
  CHECK(json(bytes({0x00}) + object) == "{\"a\": 1, \"bc\": [true, \"x\"]}");
  // Opaque DECIMAL(5,2) -12.34 and DATE 2024-02-29.
  CHECK(json(bytes({0x0f, 246, 0x05, 0x05, 0x02, 0x7f, 0xf3, 0xdd})) == "-12.34");
  const int64_t date = ((((2024LL * 13 + 2) << 5) | 29) << 17) << 24;
  std::string date_doc = bytes({0x0f, 10, 0x08});
  for (int i = 0; i < 8; ++i) date_doc.push_back(static_cast<char>((date >> (8 * i)) & 0xff));
  CHECK(json(date_doc) == "\"2024-02-29\"");
}

TEST_CASE("bad binary JSON fails with an offset, also when offsets point outside or nest deep") {
  for (const std::string& doc :
       {bytes({0x0c, 0x05, 'a'}), bytes({0x00, 0x01, 0x00, 0x03, 0x00}), bytes({0x09, 0x01}),
        bytes({0x02, 0x01, 0x00, 0x07, 0x00, 0x0c, 0x30, 0x00}), bytes({0x04, 0x07}),
        bytes({0x0c, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})}) {
    auto text = binlog::json_binary_to_text(doc, 100, "WRITE_ROWS");
    REQUIRE_FALSE(text.ok());
    CHECK(text.error().kind == ErrorKind::kCorrupt);
    CHECK(text.error().message.find(" at offset 10") != std::string::npos);
  }
  // 200 nested one-element arrays: refused at depth 100, no stack overflow.
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += bytes({0x02, 0x01, 0x00, 0x00, 0x00, 0x02, 0x07, 0x00});
  deep = bytes({0x02}) + deep.substr(0, deep.size());
  auto text = binlog::json_binary_to_text(deep, 0, "WRITE_ROWS");
  CHECK_FALSE(text.ok());
}

TEST_CASE("DECIMAL binary form: DEBEZIUM_FORMAT's examples and the sign rule") {
  auto decode = [](const std::string& raw, int precision, int scale) {
    binlog::ByteReader reader(raw);
    auto value = binlog::read_decimal(reader, precision, scale);
    REQUIRE_FALSE(reader.failed());
    return value;
  };
  // DECIMAL(5,2) 123.45: integer group 123 in 2 bytes (0x007b, sign bit set), fraction 45 in 1.
  auto positive = decode(bytes({0x80, 0x7b, 0x2d}), 5, 2);
  CHECK(positive.unscaled == bytes({0x30, 0x39}));  // 12345, "MDk="
  CHECK(binlog::decimal_text(positive) == "123.45");
  // -1.00: every byte of 1.00's form inverted.
  auto negative = decode(bytes({0x7f, 0xfe, 0xff}), 5, 2);
  CHECK(negative.unscaled == bytes({0x9c}));  // -100, "nA=="
  CHECK(binlog::decimal_text(negative) == "-1.00");
  // A digit group past its width is corrupt.
  binlog::ByteReader reader(bytes({0x80, 0xff, 0x2d}));
  (void)binlog::read_decimal(reader, 5, 2);
  CHECK(reader.failed());
}

TEST_CASE("MySQL GTID and PREVIOUS_GTIDS events") {
  binlog::EventDecoder decoder(binlog::ChecksumAlg::kCrc32);
  std::string sid;
  for (int i = 0; i < 16; ++i) sid.push_back(static_cast<char>(0x10 + i));
  std::string gtid_body = bytes({0x01}) + sid + bytes({23, 0, 0, 0, 0, 0, 0, 0, 0x02}) +
                          bytes({5, 0, 0, 0, 0, 0, 0, 0}) + bytes({6, 0, 0, 0, 0, 0, 0, 0});
  auto gtid = decoder.decode(event(binlog::kMysqlGtid, gtid_body));
  REQUIRE(gtid.ok());
  const auto& g = std::get<binlog::MysqlGtid>(gtid->body);
  CHECK(g.text() == "10111213-1415-1617-1819-1a1b1c1d1e1f:23");
  CHECK(g.last_committed == 5);
  CHECK(g.sequence_number == 6);

  std::string previous = bytes({1, 0, 0, 0, 0, 0, 0, 0}) + sid + bytes({2, 0, 0, 0, 0, 0, 0, 0}) +
                         bytes({1, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0}) +
                         bytes({9, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0});
  auto set = decoder.decode(event(binlog::kMysqlPreviousGtids, previous));
  REQUIRE(set.ok());
  CHECK(std::get<binlog::MysqlPreviousGtids>(set->body).gtid_set ==
        "10111213-1415-1617-1819-1a1b1c1d1e1f:1-5:9");
  // A forged interval count cannot make it allocate or read past the end.
  std::string forged = previous;
  forged[24] = static_cast<char>(0xff);
  auto bad = decoder.decode(event(binlog::kMysqlPreviousGtids, forged));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("PREVIOUS_GTIDS") != std::string::npos);
}

TEST_CASE("checksum errors name the event and offset; the caller adds file and position") {
  binlog::EventDecoder decoder(binlog::ChecksumAlg::kCrc32);
  std::string xid = event(binlog::kXid, bytes({1, 2, 3, 4, 5, 6, 7, 8}));
  auto ok = decoder.decode(xid);
  REQUIRE(ok.ok());
  CHECK(std::get<binlog::Xid>(ok->body).xid == 0x0807060504030201ULL);
  xid[20] ^= 0x01;
  auto bad = decoder.decode(xid);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.rfind("binlog XID event: checksum mismatch", 0) == 0);
  CHECK(bad.error().message.find("at offset 27") != std::string::npos);
  auto located = binlog::at_position(bad.error(), "binlog.000007", 4711);
  CHECK(located.message.rfind("binlog.000007 position 4711: binlog XID event", 0) == 0);
  // Without checksums (binlog_checksum=NONE) the same bytes minus the CRC decode.
  binlog::EventDecoder plain(binlog::ChecksumAlg::kOff);
  std::string body = bytes({1, 2, 3, 4, 5, 6, 7, 8});
  std::string no_crc =
      le32(0) + bytes({binlog::kXid}) + le32(7) + le32(19 + 8) + le32(0) + bytes({0, 0}) + body;
  CHECK(plain.decode(no_crc).ok());
}

TEST_CASE("a TABLE_MAP without column names (binlog_row_metadata=MINIMAL) names the setting") {
  binlog::TableMap map;
  map.database = "shop";
  map.table = "orders";
  map.columns.resize(1);
  auto schema = binlog::table_schema(map);
  REQUIRE_FALSE(schema.ok());
  CHECK(schema.error().kind == ErrorKind::kConfig);
  CHECK(schema.error().message.find("binlog_row_metadata = 'FULL'") != std::string::npos);
}

namespace {

/// A MySQL 8.0 FORMAT_DESCRIPTION (checksums CRC32) with the post-header lengths MySQL writes
/// for TABLE_MAP (8) and the v2 rows events (10).
std::string mysql8_format_description() {
  std::string version = "8.0.36";
  version.resize(50, '\0');
  std::string lengths(41, '\0');
  lengths[binlog::kQuery - 1] = 13;
  lengths[binlog::kTableMap - 1] = 8;
  for (uint8_t type : {binlog::kWriteRowsV2, binlog::kUpdateRowsV2, binlog::kDeleteRowsV2}) {
    lengths[type - 1] = 10;
  }
  std::string body = bytes({4, 0}) + version + le32(0) + bytes({19}) + lengths + bytes({1});
  return event(binlog::kFormatDescription, body);
}

}  // namespace

TEST_CASE(
    "MySQL 8: TABLE_MAP with JSON and unsigned columns, WRITE_ROWS v2 with extra data, "
    "UPDATE_ROWS v2 with a MINIMAL after image") {
  binlog::EventDecoder decoder;
  auto format = decoder.decode(mysql8_format_description());
  REQUIRE(format.ok());
  CHECK_FALSE(std::get<binlog::FormatDescription>(format->body).mariadb());
  CHECK(decoder.checksum() == binlog::ChecksumAlg::kCrc32);

  // shop.docs (id INT UNSIGNED PRIMARY KEY, doc JSON, y YEAR): types LONG, JSON, YEAR;
  // metadata: JSON pack length 4; null bitmap: doc nullable; optional metadata: SIGNEDNESS
  // (one bit per numeric column: id unsigned -> 0x80; YEAR has none on MySQL), COLUMN_NAME,
  // SIMPLE_PRIMARY_KEY [0].
  std::string map_body = bytes({0x2a, 0, 0, 0, 0, 0, 0x01, 0x00}) + bytes({4}) + "shop" +
                         bytes({0, 4}) + "docs" +
                         bytes({0, 3, binlog::kTypeLong, binlog::kTypeJson, binlog::kTypeYear}) +
                         bytes({1, 4}) + bytes({0x02}) + bytes({1, 1, 0x80}) + bytes({4, 9, 2}) +
                         "id" + bytes({3}) + "doc" + bytes({1}) + "y" + bytes({8, 1, 0});
  auto map_event = decoder.decode(event(binlog::kTableMap, map_body));
  if (!map_event.ok()) FAIL(map_event.error().message);
  const auto map = std::get<binlog::TableMap>(map_event->body);
  CHECK(map.table_id == 42);
  CHECK(map.columns[0].is_unsigned);
  auto schema = binlog::table_schema(map);
  REQUIRE(schema.ok());
  CHECK(schema->columns[0].type.source_name == "int unsigned");
  CHECK(schema->columns[0].type.kind == tributary::event::TypeKind::kInt64);
  CHECK(schema->columns[1].type.kind == tributary::event::TypeKind::kJson);
  CHECK(schema->key_columns == std::vector<std::size_t>{0});

  // WRITE_ROWS v2: extra data (length 4 = itself + 2 bytes), 3 columns all present; row:
  // null bitmap 0, id 4294967295, doc {"k": 7} in binary JSON (4-byte length), year 2024.
  const std::string doc =
      bytes({0x00, 0x01, 0x00, 0x0c, 0x00, 0x0b, 0x00, 0x01, 0x00, 0x05, 0x07, 0x00, 'k'});
  std::string write_body = bytes({0x2a, 0, 0, 0, 0, 0, 0x01, 0x00}) + bytes({4, 0, 0xaa, 0xbb}) +
                           bytes({3, 0x07}) + bytes({0x00}) + le32(0xffffffff) + le32(doc.size()) +
                           doc + bytes({124});
  auto write = decoder.decode(event(binlog::kWriteRowsV2, write_body));
  if (!write.ok()) FAIL(write.error().message);
  const auto& rows = std::get<binlog::RowsEvent>(write->body);
  CHECK(rows.version == 2);
  CHECK(rows.extra_data == bytes({0xaa, 0xbb}));
  auto changes = binlog::decode_row_images(rows, map);
  if (!changes.ok()) FAIL(changes.error().message);
  REQUIRE(changes->size() == 1);
  const auto& after = *(*changes)[0].after;
  CHECK(std::get<int64_t>(after[0]) == 4294967295LL);
  CHECK(std::get<std::string>(after[1]) == "{\"k\": 7}");
  CHECK(std::get<int64_t>(after[2]) == 2024);

  // UPDATE_ROWS v2, before image: id only (MINIMAL), after image: doc only -> the other
  // columns are Unchanged (not in the image); a NULL doc is Null.
  std::string update_body = bytes({0x2a, 0, 0, 0, 0, 0, 0x01, 0x00}) + bytes({2, 0}) +
                            bytes({3, 0x01, 0x02}) + bytes({0x00}) + le32(5) + bytes({0x01});
  auto update = decoder.decode(event(binlog::kUpdateRowsV2, update_body));
  if (!update.ok()) FAIL(update.error().message);
  auto updated = binlog::decode_row_images(std::get<binlog::RowsEvent>(update->body), map);
  if (!updated.ok()) FAIL(updated.error().message);
  REQUIRE(updated->size() == 1);
  const auto& change = (*updated)[0];
  CHECK(std::get<int64_t>((*change.before)[0]) == 5);
  CHECK(std::holds_alternative<tributary::event::Unchanged>((*change.before)[1]));
  CHECK(std::holds_alternative<tributary::event::Unchanged>((*change.after)[0]));
  CHECK(std::holds_alternative<tributary::event::Null>((*change.after)[1]));

  // A rows event whose column count is not the TABLE_MAP's is corrupt, naming the table.
  std::string wrong = bytes({0x2a, 0, 0, 0, 0, 0, 0x01, 0x00}) + bytes({2, 0}) + bytes({2, 0x03}) +
                      bytes({0x00}) + le32(1) + le32(0);
  auto wrong_event = decoder.decode(event(binlog::kWriteRowsV2, wrong));
  REQUIRE(wrong_event.ok());
  auto refused = binlog::decode_row_images(std::get<binlog::RowsEvent>(wrong_event->body), map);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("shop.docs has 3") != std::string::npos);
}
