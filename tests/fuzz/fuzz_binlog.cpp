// libFuzzer target: the MySQL/MariaDB binlog decoder (event framing, TABLE_MAP, row images,
// binary JSON) on untrusted bytes.
//
// An input is a run of binlog events as in a file after its magic: each event's header gives
// its size; a size that does not fit ends the run (the rest is tried as one event). One
// EventDecoder reads the run (a FORMAT_DESCRIPTION switches checksums on), TABLE_MAPs are kept
// by table id and each rows event is decoded against its map, as the source does. The run is
// read twice: as is (checksums then stop most mutations early), and with each event's CRC32
// recomputed, so the body decoders meet the mutations. The seeds (tests/fuzz/corpus/binlog,
// written by tests/data/mysql/capture.py --seeds) are a FORMAT_DESCRIPTION followed by the
// events of one transaction of the captured file. Besides "no crash, no leak, no UB" it checks
// the documented contracts: errors are kCorrupt (kConfig only for a schema without names) and
// name "binlog <event>" and an offset inside the event; rows hold one value per column;
// decoding is deterministic.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "source/mysql/binlog/events.hpp"
#include "source/mysql/binlog/json_binary.hpp"
#include "source/mysql/binlog/row_image.hpp"
#include "source/mysql/binlog/table_schema.hpp"

namespace {

namespace binlog = tributary::source::mysql::binlog;
using tributary::fuzz::printable;

/// "binlog <...> at offset N" with N <= the event's size.
void check_error(const tributary::Error& error, std::size_t size) {
  FUZZ_CHECK(error.kind == tributary::ErrorKind::kCorrupt, error.message);
  FUZZ_CHECK(error.message.rfind("binlog ", 0) == 0, error.message);
  const std::size_t at = error.message.rfind(" at offset ");
  FUZZ_CHECK(at != std::string::npos, error.message);
  const std::string digits = error.message.substr(at + 11);
  FUZZ_CHECK(!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos,
             error.message);
  FUZZ_CHECK(std::stoull(digits) <= size,
             error.message + " (event of " + std::to_string(size) + " bytes)");
}

uint32_t event_size(std::string_view bytes) {
  uint32_t size = 0;
  for (int i = 3; i >= 0; --i) size = (size << 8) | static_cast<uint8_t>(bytes[9 + i]);
  return size;
}

void run(std::string_view input, bool fix_checksums) {
  binlog::EventDecoder decoder;
  std::map<uint64_t, binlog::TableMap> maps;
  std::string fixed;
  while (!input.empty()) {
    std::string_view bytes = input;
    if (input.size() >= binlog::kHeaderSize) {
      const uint32_t size = event_size(input);
      if (size >= binlog::kHeaderSize && size <= input.size()) bytes = input.substr(0, size);
    }
    input.remove_prefix(bytes.size());
    const bool is_format =
        bytes.size() > 4 && static_cast<uint8_t>(bytes[4]) == binlog::kFormatDescription;
    if (fix_checksums && bytes.size() >= binlog::kHeaderSize + 4 &&
        (decoder.checksum() == binlog::ChecksumAlg::kCrc32 || is_format)) {
      fixed.assign(bytes);
      const uint32_t crc = binlog::crc32(std::string_view(fixed).substr(0, fixed.size() - 4));
      for (int i = 0; i < 4; ++i) fixed[fixed.size() - 4 + i] = static_cast<char>(crc >> (8 * i));
      bytes = fixed;
    }
    auto event = decoder.decode(bytes);
    if (!event.ok()) {
      check_error(event.error(), bytes.size());
      continue;
    }
    FUZZ_CHECK(event->header.event_size == bytes.size(), printable(bytes));
    if (const auto* map = std::get_if<binlog::TableMap>(&event->body)) {
      FUZZ_CHECK(!map->columns.empty() && map->columns.size() <= 4096, printable(bytes));
      FUZZ_CHECK(map->primary_key.size() == map->primary_key_prefix.size(), printable(bytes));
      auto schema = binlog::table_schema(*map);
      if (schema.ok()) {
        FUZZ_CHECK(schema->columns.size() == map->columns.size(), printable(bytes));
        for (std::size_t key : schema->key_columns) {
          FUZZ_CHECK(key < schema->columns.size() && !schema->columns[key].omitted,
                     printable(bytes));
        }
      } else {
        FUZZ_CHECK(schema.error().kind == tributary::ErrorKind::kConfig, schema.error().message);
      }
      maps[map->table_id] = *map;
    } else if (const auto* rows = std::get_if<binlog::RowsEvent>(&event->body)) {
      FUZZ_CHECK(rows->present.size() == rows->column_count, printable(bytes));
      auto map = maps.find(rows->table_id);
      if (map == maps.end()) continue;
      auto changes = binlog::decode_row_images(*rows, map->second);
      if (!changes.ok()) {
        check_error(changes.error(), bytes.size());
        auto again = binlog::decode_row_images(*rows, map->second);
        FUZZ_CHECK(!again.ok() && again.error().message == changes.error().message,
                   changes.error().message);
        continue;
      }
      for (const auto& change : *changes) {
        if (change.before)
          FUZZ_CHECK(change.before->size() == map->second.columns.size(), "before");
        if (change.after) FUZZ_CHECK(change.after->size() == map->second.columns.size(), "after");
        FUZZ_CHECK(change.before.has_value() == (rows->kind != binlog::RowsEvent::Kind::kWrite),
                   "before image presence");
        FUZZ_CHECK(change.after.has_value() == (rows->kind != binlog::RowsEvent::Kind::kDelete),
                   "after image presence");
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  run(bytes, false);
  run(bytes, true);
  // The same bytes as one binary JSON document.
  auto json = binlog::json_binary_to_text(bytes, 0, "WRITE_ROWS");
  if (!json.ok()) check_error(json.error(), size);
  return 0;
}
