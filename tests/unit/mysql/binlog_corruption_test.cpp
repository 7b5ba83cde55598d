// Corrupt and truncated binlog events fail cleanly: every prefix of every captured event, and
// random bit flips (fixed seed), give a kCorrupt error naming the event and an offset inside it,
// or decode; never a crash, an overrun (run under ASan by the fuzz replay) or a huge allocation.
#include <catch2/catch.hpp>
#include <map>
#include <random>

#include "binlog_file.hpp"
#include "source/mysql/binlog/events.hpp"
#include "source/mysql/binlog/row_image.hpp"
#include "source/mysql/binlog/table_schema.hpp"

namespace {

namespace binlog = tributary::source::mysql::binlog;
using tributary::ErrorKind;
using tributary::test::load_binlog_events;
using tributary::test::reframe;

void check_error(const tributary::Error& error, std::size_t size) {
  INFO(error.message);
  CHECK(error.kind == ErrorKind::kCorrupt);
  REQUIRE(error.message.rfind("binlog ", 0) == 0);
  const std::size_t at = error.message.rfind(" at offset ");
  REQUIRE(at != std::string::npos);
  const std::string digits = error.message.substr(at + 11);
  REQUIRE(!digits.empty());
  REQUIRE(digits.find_first_not_of("0123456789") == std::string::npos);
  CHECK(std::stoull(digits) <= size);
}

/// The captured file's events, and the TABLE_MAP each rows event refers to.
struct Corpus {
  std::vector<std::string> events;
  std::map<uint64_t, binlog::TableMap> maps;
  std::string format;  ///< the FORMAT_DESCRIPTION's bytes
};

Corpus load() {
  Corpus corpus;
  corpus.events = load_binlog_events("types.binlog");
  binlog::EventDecoder decoder;
  for (const auto& bytes : corpus.events) {
    auto event = decoder.decode(bytes);
    REQUIRE(event.ok());
    if (const auto* map = std::get_if<binlog::TableMap>(&event->body))
      corpus.maps[map->table_id] = *map;
    if (event->header.type == binlog::kFormatDescription) corpus.format = bytes;
  }
  return corpus;
}

/// Decodes `bytes` after the FORMAT_DESCRIPTION; a rows event's rows too. Returns whether it
/// decoded whole.
bool decode_checked(const Corpus& corpus, const std::string& bytes) {
  binlog::EventDecoder decoder;
  REQUIRE(decoder.decode(corpus.format).ok());
  auto event = decoder.decode(bytes);
  if (!event.ok()) {
    check_error(event.error(), bytes.size());
    return false;
  }
  if (const auto* map = std::get_if<binlog::TableMap>(&event->body)) {
    auto schema = binlog::table_schema(*map);
    if (!schema.ok()) CHECK(schema.error().kind == ErrorKind::kConfig);
  }
  if (const auto* rows = std::get_if<binlog::RowsEvent>(&event->body)) {
    auto map = corpus.maps.find(rows->table_id);
    if (map == corpus.maps.end()) return true;
    auto changes = binlog::decode_row_images(*rows, map->second);
    if (!changes.ok()) {
      check_error(changes.error(), bytes.size());
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("every prefix of every captured event fails cleanly") {
  const Corpus corpus = load();
  std::size_t prefixes = 0;
  for (const auto& bytes : corpus.events) {
    INFO("event type " << static_cast<int>(static_cast<uint8_t>(bytes[4])));
    // As cut: the header's size no longer matches.
    for (std::size_t size = 0; size < bytes.size(); ++size) {
      binlog::EventDecoder decoder;
      REQUIRE(decoder.decode(corpus.format).ok());
      auto event = decoder.decode(std::string_view(bytes).substr(0, size));
      REQUIRE_FALSE(event.ok());
      check_error(event.error(), size);
      ++prefixes;
    }
    // Re-framed (size and CRC fixed): the body decoders meet the truncation. Only the event's
    // full body may decode whole, except where a shorter body is a valid event too (variable
    // tails: query text, file names, rows past a complete row).
    const std::size_t body = bytes.size() - 19 - 4;
    for (std::size_t cut = 0; cut < body; ++cut) {
      (void)decode_checked(corpus, reframe(bytes, cut));
    }
    CHECK(decode_checked(corpus, bytes));
  }
  CHECK(prefixes > 20000);
}

TEST_CASE(
    "a flipped bit is caught by the checksum; with the checksum fixed it decodes or fails "
    "cleanly") {
  const Corpus corpus = load();
  std::mt19937 random(20261201);
  int caught = 0, decoded = 0, failed = 0;
  for (int round = 0; round < 20000; ++round) {
    const std::string& original = corpus.events[random() % corpus.events.size()];
    std::string bytes = original;
    const std::size_t bit = random() % (bytes.size() * 8);
    bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
    {
      binlog::EventDecoder decoder;
      REQUIRE(decoder.decode(corpus.format).ok());
      auto event = decoder.decode(bytes);
      // The FORMAT_DESCRIPTION's own bytes may flip into "checksum off"; every other flip is
      // caught (CRC32 detects every single-bit error), by the size check or the checksum.
      if (static_cast<uint8_t>(original[4]) != binlog::kFormatDescription) {
        REQUIRE_FALSE(event.ok());
        ++caught;
      }
      if (!event.ok()) check_error(event.error(), bytes.size());
    }
    // Flip up to 4 bits of the body, then fix size and CRC: now the decoders see it.
    bytes = original;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < flips; ++i) {
      const std::size_t body_bit = 19 * 8 + random() % ((bytes.size() - 19 - 4) * 8);
      bytes[body_bit / 8] = static_cast<char>(bytes[body_bit / 8] ^ (1 << (body_bit % 8)));
    }
    if (decode_checked(corpus, reframe(bytes, bytes.size() - 19 - 4))) {
      ++decoded;
    } else {
      ++failed;
    }
  }
  CHECK(caught > 15000);
  CHECK(decoded > 0);
  CHECK(failed > 0);
}
