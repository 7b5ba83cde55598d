// Position JSON (formats 1 to 4, PostgreSQL) round trip and strictness, atomic checkpoint
// save/load, `further`, and the resume checks (identity, WAL end, timelines, slot).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "checkpoint/checkpoint_store.hpp"
#include "checkpoint/position_json.hpp"
#include "checkpoint/resume_check.hpp"

using tributary::ErrorKind;
using tributary::checkpoint::CheckpointStore;
using tributary::checkpoint::further;
using tributary::checkpoint::position_from_json;
using tributary::checkpoint::position_record_from_json;
using tributary::checkpoint::position_to_json;
using tributary::checkpoint::PositionRecord;
using tributary::checkpoint::record_to_json;
using tributary::event::PostgresIdentity;
using tributary::event::SourcePosition;

namespace {

SourcePosition sample() {
  SourcePosition p;
  p.snapshot_completed = true;
  p.postgres().lsn = (uint64_t{0x16} << 32) | 0xB374D848u;
  p.postgres().partial_commit_lsn = (uint64_t{0x16} << 32) | 0xB3750000u;
  p.partial_events = 42;
  return p;
}

const std::chrono::system_clock::time_point kFixedTime{std::chrono::milliseconds(1714566896789)};

PostgresIdentity identity() {
  return PostgresIdentity{"7351236187229585432", 1, "shop", "tributary_orders"};
}

PositionRecord record_of(const SourcePosition& position, uint64_t epoch = 0) {
  PositionRecord record;
  record.pipeline = "orders";
  record.epoch = epoch;
  record.source = identity();
  record.position = position;
  return record;
}

/// A fresh directory under TMPDIR, removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tributary-checkpoint-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("position JSON is readable and round-trips", "[checkpoint][json]") {
  auto json = position_to_json("orders", sample(), kFixedTime);
  CHECK(json == R"({"format":4,"pipeline":"orders","epoch":0,"source":null,"tables":null,)"
                R"("snapshot_completed":true,"position":{"type":"postgres","lsn":"16/B374D848",)"
                R"("lsn_decimal":97500059720,"partial_commit_lsn":"16/B3750000",)"
                R"("partial_commit_lsn_decimal":97500069888},"partial_events":42,)"
                R"("updated_at":"2024-05-01T12:34:56.789Z"})");
  auto parsed = position_record_from_json(json);
  REQUIRE(parsed.ok());
  CHECK(parsed->position == sample());
  CHECK(parsed->pipeline == "orders");
  CHECK(parsed->updated_at == "2024-05-01T12:34:56.789Z");

  SourcePosition zero;
  auto back = position_from_json(position_to_json("p", zero));
  REQUIRE(back.ok());
  CHECK(*back == zero);

  SourcePosition max;
  max.postgres().lsn = ~uint64_t{0};
  max.postgres().partial_commit_lsn = ~uint64_t{0};
  max.partial_events = ~uint64_t{0};
  auto big = position_from_json(position_to_json("p", max));
  REQUIRE(big.ok());
  CHECK(*big == max);
}

TEST_CASE("corrupt position JSON is rejected with a clear message", "[checkpoint][json]") {
  const auto good = record_to_json(record_of(sample(), 3), kFixedTime);
  struct Case {
    std::string name;
    std::string text;
    std::string mentions;
  };
  std::vector<Case> cases = {
      {"empty", "", "invalid JSON"},
      {"truncated", good.substr(0, good.size() / 2), "invalid JSON"},
      {"trailing garbage", good + "x", "invalid JSON"},
      {"two objects", good + good, "invalid JSON"},
      {"array", "[1,2]", "expected a JSON object"},
      {"missing field", replace(good, R"("partial_events":42,)", ""), "\"partial_events\""},
      {"unknown field", replace(good, R"("format":4,)", R"("format":4,"extra":0,)"), "\"extra\""},
      {"duplicate field", replace(good, R"("format":4,)", R"("format":4,"format":4,)"),
       "duplicate"},
      {"future format", replace(good, R"("format":4)", R"("format":5)"), "format"},
      {"format zero", replace(good, R"("format":4)", R"("format":0)"), "format"},
      {"format 1 with format 2 fields",
       replace(replace(good, R"("format":4)", R"("format":1)"), R"("tables":null,)", ""),
       "unknown field \"epoch\""},
      {"format 2 with format 3 fields", replace(good, R"("format":4)", R"("format":2)"),
       "unknown field \"tables\""},
      {"format 3 with format 4 fields", replace(good, R"("format":4)", R"("format":3)"),
       "unknown field \"position\""},
      {"no position", replace(good, R"("position":{)", R"("positio":{)"), "\"positio\""},
      {"position not an object",
       replace(good,
               R"("position":{"type":"postgres","lsn":"16/B374D848","lsn_decimal":97500059720,)"
               R"("partial_commit_lsn":"16/B3750000","partial_commit_lsn_decimal":97500069888})",
               R"("position":5)"),
       "\"position\" must be an object"},
      {"position of unknown type",
       replace(good, R"("position":{"type":"postgres")", R"("position":{"type":"db2")"),
       "\"position.type\" \"db2\""},
      {"position without type",
       replace(good, R"("position":{"type":"postgres",)", R"("position":{)"), "\"position.type\""},
      {"position field unknown",
       replace(good, R"("partial_commit_lsn_decimal":97500069888})",
               R"("partial_commit_lsn_decimal":97500069888,"gtid_set":""})"),
       "unknown field \"position.gtid_set\""},
      {"position of another type than the source",
       replace(good,
               R"("position":{"type":"postgres","lsn":"16/B374D848","lsn_decimal":97500059720,)"
               R"("partial_commit_lsn":"16/B3750000","partial_commit_lsn_decimal":97500069888})",
               R"("position":{"type":"mysql","file":"mysql-bin.000003","pos":4,"gtid_set":"",)"
               R"("server_id":1})"),
       "\"position.type\" is mysql but \"source.type\" is postgres"},
      {"no tables", replace(good, R"("tables":null,)", ""), "missing field \"tables\""},
      {"tables not an array", replace(good, R"("tables":null)", R"("tables":{})"),
       "\"tables\" must be an array or null"},
      {"table without a name",
       replace(good, R"("tables":null)", R"("tables":[{"schema":"public"}])"),
       "missing field \"tables[0].table\""},
      {"table with an unknown field",
       replace(good, R"("tables":null)", R"("tables":[{"schema":"public","table":"a","x":1}])"),
       "unknown field \"tables[0].x\""},
      {"join LSNs that disagree",
       replace(good, R"("tables":null)",
               R"("tables":[{"schema":"public","table":"a","join_lsn":"0/10",)"
               R"("join_lsn_decimal":17}])"),
       "disagree"},
      {"join LSN zero",
       replace(good, R"("tables":null)",
               R"("tables":[{"schema":"public","table":"a","join_lsn":"0/0",)"
               R"("join_lsn_decimal":0}])"),
       "must not be 0/0"},
      {"table twice",
       replace(good, R"("tables":null)",
               R"("tables":[{"schema":"public","table":"a"},{"schema":"public","table":"a"}])"),
       "listed twice"},
      {"no epoch", replace(good, R"("epoch":3,)", ""), "\"epoch\""},
      {"epoch negative", replace(good, R"("epoch":3)", R"("epoch":-3)"), "\"epoch\""},
      {"source misspelt", replace(good, R"("source":{)", R"("sourc":{)"), "\"sourc\""},
      {"source not an object",
       replace(position_to_json("orders", sample(), kFixedTime), R"("source":null)",
               R"("source":5)"),
       "\"source\" must be an object or null"},
      {"source of unknown type", replace(good, R"("type":"postgres")", R"("type":"oracle")"),
       "oracle"},
      {"source field missing", replace(good, R"("slot":"tributary_orders")", R"("x":"y")"),
       "source.x"},
      {"source field duplicated",
       replace(good, R"("database":"shop",)", R"("database":"shop","database":"shop",)"),
       "duplicate field \"source.database\""},
      {"system identifier not digits",
       replace(good, R"("system_identifier":"7351236187229585432")",
               R"("system_identifier":"73a1")"),
       "source.system_identifier"},
      {"system identifier a number",
       replace(good, R"("system_identifier":"7351236187229585432")",
               R"("system_identifier":7351236187229585432)"),
       "source.system_identifier"},
      {"timeline zero", replace(good, R"("timeline":1)", R"("timeline":0)"), "source.timeline"},
      {"empty database", replace(good, R"("database":"shop")", R"("database":"")"),
       "source.database"},
      {"lsn not text", replace(good, R"("lsn":"16/B374D848")", R"("lsn":5)"), "\"position.lsn\""},
      {"lsn malformed", replace(good, R"("lsn":"16/B374D848")", R"("lsn":"16-B374D848")"),
       "16-B374D848"},
      {"lsn disagrees", replace(good, R"("lsn_decimal":97500059720)", R"("lsn_decimal":1)"),
       "disagree"},
      {"negative", replace(good, R"("partial_events":42)", R"("partial_events":-1)"),
       "\"partial_events\""},
      {"fraction", replace(good, R"("partial_events":42)", R"("partial_events":4.5)"),
       "\"partial_events\""},
      {"bool as string",
       replace(good, R"("snapshot_completed":true)", R"("snapshot_completed":"true")"),
       "\"snapshot_completed\""},
      {"empty pipeline", replace(good, R"("pipeline":"orders")", R"("pipeline":"")"),
       "\"pipeline\""},
      {"bad time", replace(good, "2024-05-01T12:34:56.789Z", "yesterday"), "\"updated_at\""},
      {"partial events without txn",
       replace(
           replace(good, R"("partial_commit_lsn":"16/B3750000")", R"("partial_commit_lsn":"0/0")"),
           R"("partial_commit_lsn_decimal":97500069888)", R"("partial_commit_lsn_decimal":0)"),
       "partial_commit_lsn"},
      {"join LSN named with its table",
       replace(good, R"("tables":null)",
               R"("tables":[{"schema":"public","table":"a","join_lsn":"0/10",)"
               R"("join_lsn_decimal":"16"}])"),
       "\"tables[0].join_lsn_decimal\""},
  };
  for (const auto& c : cases) {
    INFO(c.name << ": " << c.text);
    auto parsed = position_from_json(c.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::kCorrupt);
    CHECK_THAT(parsed.error().message, Catch::Contains(c.mentions));
  }
}

TEST_CASE("checkpoint store saves atomically and loads", "[checkpoint][store]") {
  TempDir temp;
  const auto directory = temp.path / "nested" / "offsets";  // created on first save
  CheckpointStore store(directory.string(), "orders");
  CHECK(store.path() == (directory / "orders.offsets").string());

  SECTION("missing file loads as nullopt") {
    auto loaded = store.load();
    REQUIRE(loaded.ok());
    CHECK_FALSE(loaded->has_value());
  }

  SECTION("save then load, overwrite, no temp file left") {
    REQUIRE(store.save(record_of(sample())).ok());
    CHECK_FALSE(std::filesystem::exists(store.path() + ".tmp"));
    auto content = read_file(store.path());
    REQUIRE(!content.empty());
    CHECK(content.back() == '\n');
    CHECK(position_from_json(content.substr(0, content.size() - 1)).ok());

    auto loaded = store.load();
    REQUIRE(loaded.ok());
    REQUIRE(loaded->has_value());
    CHECK(**loaded == sample());

    SourcePosition next = sample();
    next.postgres().lsn += 100;
    next.postgres().partial_commit_lsn = 0;
    next.partial_events = 0;
    REQUIRE(store.save(record_of(next)).ok());
    auto reloaded = store.load();
    REQUIRE(reloaded.ok());
    CHECK(**reloaded == next);
    int files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory)) {
      ++files;
    }
    CHECK(files == 1);
  }

  SECTION("a stale temp file from a crash is ignored and replaced") {
    std::filesystem::create_directories(directory);
    std::ofstream(store.path() + ".tmp") << "{half";
    auto loaded = store.load();
    REQUIRE(loaded.ok());
    CHECK_FALSE(loaded->has_value());
    REQUIRE(store.save(record_of(sample())).ok());
    CHECK_FALSE(std::filesystem::exists(store.path() + ".tmp"));
    CHECK(**store.load() == sample());
  }

  SECTION("corrupt file is an error naming the path") {
    std::filesystem::create_directories(directory);
    std::ofstream(store.path()) << "{\"format\":1";
    auto loaded = store.load();
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().kind == ErrorKind::kCorrupt);
    CHECK_THAT(loaded.error().message, Catch::Contains(store.path()));
  }

  SECTION("a file of another pipeline is rejected") {
    std::filesystem::create_directories(directory);
    std::ofstream(store.path()) << position_to_json("payments", sample());
    auto loaded = store.load();
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().kind == ErrorKind::kCorrupt);
    CHECK_THAT(loaded.error().message, Catch::Contains("payments"));
  }
}

TEST_CASE("checkpoint store errors name the path", "[checkpoint][store]") {
  TempDir temp;
  SECTION("directory is a file") {
    auto blocker = temp.path / "file";
    std::ofstream(blocker) << "x";
    CheckpointStore store((blocker / "sub").string(), "orders");
    auto saved = store.save(record_of(sample()));
    REQUIRE_FALSE(saved.ok());
    CHECK_THAT(saved.error().message, Catch::Contains(blocker.string()));
  }
  SECTION("unwritable directory") {
    if (::geteuid() == 0) {
      SUCCEED("running as root: permissions are not enforced");
      return;
    }
    auto locked = temp.path / "locked";
    std::filesystem::create_directories(locked);
    std::filesystem::permissions(
        locked, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    CheckpointStore store(locked.string(), "orders");
    auto saved = store.save(record_of(sample()));
    std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
    REQUIRE_FALSE(saved.ok());
    CHECK(saved.error().kind == ErrorKind::kConfig);
    CHECK_THAT(saved.error().message, Catch::Contains(locked.string()));
    CHECK_THAT(saved.error().message, Catch::Contains("Permission denied"));
  }
  SECTION("pipeline names cannot escape the directory") {
    CheckpointStore store(temp.path.string(), "../evil");
    CHECK(store.save(record_of(sample())).error().kind == ErrorKind::kConfig);
    CHECK(store.load().error().kind == ErrorKind::kConfig);
  }
}

TEST_CASE("further picks the position further along", "[checkpoint][further]") {
  SourcePosition snapshotting;
  snapshotting.postgres().lsn = 1000;
  SourcePosition streaming;
  streaming.snapshot_completed = true;
  streaming.postgres().lsn = 10;
  CHECK(further(snapshotting, streaming) == streaming);
  CHECK(further(streaming, snapshotting) == streaming);

  SourcePosition later = streaming;
  later.postgres().lsn = 20;
  CHECK(further(streaming, later) == later);
  CHECK(further(later, streaming) == later);

  SourcePosition partial = streaming;
  partial.postgres().partial_commit_lsn = 15;
  partial.partial_events = 3;
  CHECK(further(streaming, partial) == partial);
  CHECK(further(partial, streaming) == partial);
  CHECK(further(partial, later) == later);  // lsn before partial

  SourcePosition more_events = partial;
  more_events.partial_events = 7;
  CHECK(further(partial, more_events) == more_events);
  CHECK(further(more_events, partial) == more_events);

  SourcePosition a = streaming;
  SourcePosition b = streaming;
  CHECK(further(a, b) == a);
}

TEST_CASE("format 2 records carry the source identity and the epoch", "[checkpoint][json]") {
  PositionRecord record = record_of(sample(), 7);
  auto json = record_to_json(record, kFixedTime);
  CHECK(json == R"({"format":4,"pipeline":"orders","epoch":7,)"
                R"("source":{"type":"postgres","system_identifier":"7351236187229585432",)"
                R"("timeline":1,"database":"shop","slot":"tributary_orders"},"tables":null,)"
                R"("snapshot_completed":true,"position":{"type":"postgres","lsn":"16/B374D848",)"
                R"("lsn_decimal":97500059720,"partial_commit_lsn":"16/B3750000",)"
                R"("partial_commit_lsn_decimal":97500069888},"partial_events":42,)"
                R"("updated_at":"2024-05-01T12:34:56.789Z"})");
  auto parsed = position_record_from_json(json);
  REQUIRE(parsed.ok());
  CHECK(parsed->format == 4);
  CHECK(parsed->epoch == 7);
  REQUIRE(parsed->source.has_value());
  CHECK(std::get<PostgresIdentity>(*parsed->source) == identity());
  CHECK(parsed->position == sample());
  CHECK(tributary::checkpoint::record_to_json_as_read(*parsed) == json);

  // A system identifier beyond 2^53 survives (it is text, not a JSON number).
  record.source = PostgresIdentity{"18446744073709551615", 4294967295u, "d", "s"};
  auto big = position_record_from_json(record_to_json(record));
  REQUIRE(big.ok());
  CHECK(std::get<PostgresIdentity>(*big->source) ==
        PostgresIdentity{"18446744073709551615", 4294967295u, "d", "s"});
}

TEST_CASE("format 1 records (before identities) are still read", "[checkpoint][json]") {
  // Written by tributary before format 2, byte for byte.
  const std::string old =
      R"({"format":1,"pipeline":"orders","snapshot_completed":true,"lsn":"16/B374D848",)"
      R"("lsn_decimal":97500059720,"partial_commit_lsn":"16/B3750000",)"
      R"("partial_commit_lsn_decimal":97500069888,"partial_events":42,)"
      R"("updated_at":"2024-05-01T12:34:56.789Z"})";
  auto parsed = position_record_from_json(old);
  REQUIRE(parsed.ok());
  CHECK(parsed->format == 1);
  CHECK(parsed->epoch == 0);
  CHECK_FALSE(parsed->source.has_value());
  CHECK(parsed->position == sample());

  // From a file too; written back, it becomes the current format.
  TempDir temp;
  CheckpointStore store(temp.path.string(), "orders");
  std::ofstream(store.path()) << old << "\n";
  auto loaded = store.load_record();
  REQUIRE(loaded.ok());
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->format == 1);
  CHECK((*loaded)->position == sample());
  PositionRecord upgraded = **loaded;
  upgraded.source = identity();
  REQUIRE(store.save(upgraded).ok());
  auto reloaded = store.load_record();
  REQUIRE(reloaded.ok());
  CHECK((*reloaded)->format == 4);
  CHECK(std::get<PostgresIdentity>(*(*reloaded)->source) == identity());
  CHECK(**store.load() == sample());
}

TEST_CASE("format 3 records carry the captured tables and their join points",
          "[checkpoint][json]") {
  PositionRecord record = record_of(sample(), 0);
  record.tables = tributary::event::CaptureSet{{{"public", "orders"}, 0},
                                               {{"public", "refunds"}, 0x16B3000000ull}};
  auto json = record_to_json(record, kFixedTime);
  CHECK(json.find(R"("tables":[{"schema":"public","table":"orders"},)"
                  R"({"schema":"public","table":"refunds","join_lsn":"16/B3000000",)"
                  R"("join_lsn_decimal":97492402176}],)") != std::string::npos);
  auto parsed = position_record_from_json(json);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->tables.has_value());
  CHECK(*parsed->tables == *record.tables);
  CHECK(tributary::checkpoint::record_to_json_as_read(*parsed) == json);

  // An empty set is a set (nothing captured), not "unknown".
  record.tables = tributary::event::CaptureSet{};
  auto empty = position_record_from_json(record_to_json(record));
  REQUIRE(empty.ok());
  REQUIRE(empty->tables.has_value());
  CHECK(empty->tables->empty());
}

TEST_CASE("format 2 records (before captured tables) are still read", "[checkpoint][json]") {
  const std::string old =
      R"({"format":2,"pipeline":"orders","epoch":7,)"
      R"("source":{"type":"postgres","system_identifier":"7351236187229585432",)"
      R"("timeline":1,"database":"shop","slot":"tributary_orders"},)"
      R"("snapshot_completed":true,"lsn":"16/B374D848",)"
      R"("lsn_decimal":97500059720,"partial_commit_lsn":"16/B3750000",)"
      R"("partial_commit_lsn_decimal":97500069888,"partial_events":42,)"
      R"("updated_at":"2024-05-01T12:34:56.789Z"})";
  auto parsed = position_record_from_json(old);
  REQUIRE(parsed.ok());
  CHECK(parsed->format == 2);
  CHECK_FALSE(parsed->tables.has_value());  // the next start adopts the matching tables
  CHECK(parsed->position == sample());
}

TEST_CASE("a join point is dropped once the position reaches it", "[checkpoint]") {
  using tributary::event::CaptureSet;
  const CaptureSet set{{{"public", "a"}, 0}, {{"public", "b"}, 1000}};
  CHECK(tributary::event::reduce_join_points(set, 999) == set);
  CHECK(tributary::event::reduce_join_points(set, 1000) ==
        CaptureSet{{{"public", "a"}, 0}, {{"public", "b"}, 0}});
}

TEST_CASE("a higher epoch wins over any position of a lower one", "[checkpoint][further]") {
  SourcePosition far;
  far.snapshot_completed = true;
  far.postgres().lsn = 1'000'000;
  SourcePosition near;
  near.snapshot_completed = true;
  near.postgres().lsn = 10;
  SourcePosition snapshot;  // reset --snapshot: nothing completed

  PositionRecord old_far = record_of(far, 0);
  PositionRecord reset_near = record_of(near, 1);
  PositionRecord reset_snapshot = record_of(snapshot, 2);
  CHECK(&further(old_far, reset_near) == &reset_near);
  CHECK(&further(reset_near, old_far) == &reset_near);
  CHECK(&further(reset_near, reset_snapshot) == &reset_snapshot);
  CHECK(&further(reset_snapshot, old_far) == &reset_snapshot);

  // Within an epoch, the position decides; ties return the first.
  PositionRecord same_epoch_far = record_of(far, 1);
  CHECK(&further(reset_near, same_epoch_far) == &same_epoch_far);
  PositionRecord twin = reset_near;
  CHECK(&further(reset_near, twin) == &reset_near);
}

namespace {

using tributary::checkpoint::check_resume;
using tributary::checkpoint::check_slot;
using tributary::checkpoint::parse_timeline_history;
using tributary::checkpoint::ServerState;
using tributary::checkpoint::TimelineSwitch;

constexpr uint64_t lsn(uint32_t high, uint32_t low) {
  return (uint64_t{high} << 32) | low;
}

SourcePosition streamed_to(uint64_t at) {
  SourcePosition position;
  position.snapshot_completed = true;
  position.postgres().lsn = at;
  return position;
}

ServerState server_like(const PostgresIdentity& pg, uint64_t wal_end) {
  ServerState server;
  server.identity = pg;
  server.wal_end = wal_end;
  return server;
}

}  // namespace

TEST_CASE("resume checks: the same server and a position it had pass", "[checkpoint][resume]") {
  auto recorded = record_of(streamed_to(lsn(0, 0x3000000)));
  auto ok = check_resume(recorded, server_like(identity(), lsn(0, 0x3000000)));
  REQUIRE(ok.ok());
  CHECK(ok->empty());
  CHECK(check_slot(recorded, "tributary_orders", lsn(0, 0x3000000)).ok());
  CHECK(check_slot(recorded, "tributary_orders", lsn(0, 0x2000000)).ok());
}

TEST_CASE("resume checks: another server is refused, naming old and new values",
          "[checkpoint][resume]") {
  auto recorded = record_of(streamed_to(lsn(0, 0x3000000)));
  PostgresIdentity other = identity();
  other.system_identifier = "7351999999999999999";
  auto refused = check_resume(recorded, server_like(other, lsn(5, 0)));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::kConfig);
  const auto& message = refused.error().message;
  CHECK_THAT(message, Catch::Contains("system identifier 7351236187229585432 recorded, "
                                      "7351999999999999999 on the server"));
  CHECK_THAT(message, Catch::Contains("0/3000000"));
  CHECK_THAT(message, Catch::Contains("offsets reset --config <file> --pipeline orders --to-slot"));
  CHECK_THAT(message, Catch::Contains("--snapshot"));

  PostgresIdentity renamed = identity();
  renamed.database = "shop2";
  renamed.slot = "other_slot";
  renamed.timeline = 2;
  auto both = check_resume(recorded, server_like(renamed, lsn(5, 0)));
  REQUIRE_FALSE(both.ok());
  CHECK_THAT(both.error().message, Catch::Contains("database shop recorded, shop2 on the server"));
  CHECK_THAT(both.error().message,
             Catch::Contains("slot tributary_orders recorded, other_slot configured"));
  CHECK_THAT(both.error().message, Catch::Contains("timeline 1 recorded, 2 on the server"));
}

TEST_CASE("resume checks: a position beyond the server's WAL is refused", "[checkpoint][resume]") {
  auto recorded = record_of(streamed_to(lsn(0x16, 0xB374D848)));
  auto refused = check_resume(recorded, server_like(identity(), lsn(0, 0x1A2B3C4)));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::kConfig);
  CHECK_THAT(refused.error().message, Catch::Contains("16/B374D848"));
  CHECK_THAT(refused.error().message, Catch::Contains("0/1A2B3C4"));
  CHECK_THAT(refused.error().message, Catch::Contains("--to-slot"));

  // The partial transaction's commit counts too.
  SourcePosition partial = streamed_to(lsn(0, 0x100));
  partial.postgres().partial_commit_lsn = lsn(0, 0x900);
  partial.partial_events = 3;
  CHECK_FALSE(check_resume(record_of(partial), server_like(identity(), lsn(0, 0x800))).ok());
  CHECK(check_resume(record_of(partial), server_like(identity(), lsn(0, 0x900))).ok());

  // Without a recorded identity (format 1) the WAL end still applies, and a note says the
  // identity is recorded from now on.
  PositionRecord old = record_of(streamed_to(lsn(1, 0)));
  old.source.reset();
  CHECK_FALSE(check_resume(old, server_like(identity(), lsn(0, 0x10))).ok());
  auto accepted = check_resume(old, server_like(identity(), lsn(2, 0)));
  REQUIRE(accepted.ok());
  CHECK_THAT(*accepted, Catch::Contains("no source identity"));
  CHECK_THAT(*accepted, Catch::Contains("7351236187229585432"));
}

TEST_CASE("resume checks: a new timeline passes only on the shared history",
          "[checkpoint][resume]") {
  PostgresIdentity promoted = identity();
  promoted.timeline = 3;
  ServerState server = server_like(promoted, lsn(0, 0x9000000));
  server.timeline_history = {{1, lsn(0, 0x3000000)}, {2, lsn(0, 0x5000000)}};

  // Recorded on timeline 1 before it ended at 0/3000000: part of timeline 3's history.
  auto before = check_resume(record_of(streamed_to(lsn(0, 0x2FFFFFF))), server);
  REQUIRE(before.ok());
  CHECK_THAT(*before, Catch::Contains("timeline 3"));
  CHECK(check_resume(record_of(streamed_to(lsn(0, 0x3000000))), server).ok());

  // After timeline 1 ended: the server's WAL there is another history.
  auto after = check_resume(record_of(streamed_to(lsn(0, 0x3000001))), server);
  REQUIRE_FALSE(after.ok());
  CHECK_THAT(after.error().message, Catch::Contains("0/3000000"));
  CHECK_THAT(after.error().message, Catch::Contains("timeline 1 recorded, 3 on the server"));

  // Recorded on timeline 2 up to its end.
  PositionRecord on_two = record_of(streamed_to(lsn(0, 0x4000000)));
  std::get<PostgresIdentity>(*on_two.source).timeline = 2;
  CHECK(check_resume(on_two, server).ok());

  // A timeline newer than the server's, or one not in its history.
  PositionRecord newer = on_two;
  std::get<PostgresIdentity>(*newer.source).timeline = 4;
  CHECK_FALSE(check_resume(newer, server).ok());
  PositionRecord unrelated = on_two;
  std::get<PostgresIdentity>(*unrelated.source).timeline = 2;
  ServerState no_two = server;
  no_two.timeline_history = {{1, lsn(0, 0x3000000)}};
  CHECK_FALSE(check_resume(unrelated, no_two).ok());
}

TEST_CASE("resume checks: a slot confirmed beyond the position was advanced by someone else",
          "[checkpoint][resume]") {
  auto recorded = record_of(streamed_to(lsn(0, 0x3000000)));
  auto refused = check_slot(recorded, "tributary_orders", lsn(0, 0x3000001));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::kConfig);
  CHECK_THAT(refused.error().message, Catch::Contains("tributary_orders"));
  CHECK_THAT(refused.error().message, Catch::Contains("0/3000001"));
  CHECK_THAT(refused.error().message, Catch::Contains("0/3000000"));
  CHECK_THAT(refused.error().message, Catch::Contains("--to-slot"));
}

TEST_CASE("timeline history files parse", "[checkpoint][resume]") {
  auto parsed = parse_timeline_history(
      "1\t0/3000158\tno recovery target specified\n"
      "\n"
      "# a comment\n"
      "2\t1/5A000000\tbefore 2024-05-01 12:00:00+00\n");
  REQUIRE(parsed.ok());
  CHECK(*parsed == std::vector<TimelineSwitch>{{1, lsn(0, 0x3000158)}, {2, lsn(1, 0x5A000000)}});
  CHECK(parse_timeline_history("").ok());
  CHECK_FALSE(parse_timeline_history("one\t0/1\tx\n").ok());
  CHECK_FALSE(parse_timeline_history("1\tzz\tx\n").ok());
  CHECK_FALSE(parse_timeline_history("1\n").ok());
}

TEST_CASE("same_source ignores the timeline only", "[checkpoint][resume]") {
  using tributary::checkpoint::same_source;
  PostgresIdentity a = identity();
  PostgresIdentity b = identity();
  b.timeline = 5;
  CHECK(same_source(a, b));
  b.slot = "x";
  CHECK_FALSE(same_source(a, b));
}
