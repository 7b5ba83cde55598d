// The unfinished chunked snapshot's progress in the position record: round trip, strictness, and
// further() preferring more chunks at one LSN.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "checkpoint/checkpoint_store.hpp"
#include "checkpoint/position_json.hpp"

using tributary::checkpoint::further;
using tributary::checkpoint::position_record_from_json;
using tributary::checkpoint::PositionRecord;
using tributary::checkpoint::record_to_json;
using tributary::event::SnapshotProgress;
using tributary::event::SourcePosition;

namespace {

const std::chrono::system_clock::time_point kFixedTime{std::chrono::milliseconds(1714566896789)};

SourcePosition in_snapshot(uint64_t chunks) {
  SourcePosition position;
  position.snapshot_completed = false;
  position.postgres().lsn = 0x16B374D848;
  auto progress = std::make_shared<SnapshotProgress>();
  progress->chunks = chunks;
  progress->tables["public.aa"] = {{"299"}, false};
  progress->tables["public.b \"q\""] = {{"x", "2024-01-01 00:00:00"}, true};
  position.snapshot_progress = progress;
  return position;
}

}  // namespace

TEST_CASE("a chunked snapshot's progress round-trips in the position record",
          "[checkpoint][json]") {
  PositionRecord record;
  record.pipeline = "shop";
  record.position = in_snapshot(7);
  const std::string text = record_to_json(record, kFixedTime);
  CHECK(text.find("\"snapshot_progress\":{\"chunks\":7,\"tables\":[") != std::string::npos);
  auto read = position_record_from_json(text);
  REQUIRE(read.ok());
  REQUIRE(read->position.snapshot_progress);
  CHECK(*read->position.snapshot_progress == *record.position.snapshot_progress);
  CHECK(read->position == record.position);
}

TEST_CASE("a completed snapshot writes no progress", "[checkpoint][json]") {
  PositionRecord record;
  record.pipeline = "shop";
  record.position = in_snapshot(3);
  record.position.snapshot_completed = true;
  CHECK(record_to_json(record, kFixedTime).find("snapshot_progress") == std::string::npos);
}

TEST_CASE("malformed snapshot progress is refused naming the field", "[checkpoint][json]") {
  PositionRecord record;
  record.pipeline = "shop";
  record.position = in_snapshot(1);
  std::string text = record_to_json(record, kFixedTime);
  auto replace = [&text](const std::string& from, const std::string& to) {
    std::string copy = text;
    copy.replace(copy.find(from), from.size(), to);
    return copy;
  };
  auto bad = position_record_from_json(replace("\"after\":[\"299\"]", "\"after\":[299]"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("snapshot_progress.tables[].after") != std::string::npos);
  bad = position_record_from_json(replace("\"chunks\":1", "\"chunks\":1,\"extra\":2"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("snapshot_progress.extra") != std::string::npos);
}

TEST_CASE("further() prefers the position with more chunks at the same LSN", "[checkpoint]") {
  CHECK(further(in_snapshot(2), in_snapshot(5)).snapshot_progress->chunks == 5);
  CHECK(further(in_snapshot(5), in_snapshot(2)).snapshot_progress->chunks == 5);
}
