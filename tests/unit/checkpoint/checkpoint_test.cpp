// Position JSON round trip and strictness, atomic checkpoint save/load, `further`.
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

using tributary::ErrorKind;
using tributary::checkpoint::CheckpointStore;
using tributary::checkpoint::further;
using tributary::checkpoint::position_from_json;
using tributary::checkpoint::position_record_from_json;
using tributary::checkpoint::position_to_json;
using tributary::event::SourcePosition;

namespace {

SourcePosition sample() {
  SourcePosition p;
  p.snapshot_completed = true;
  p.lsn = (uint64_t{0x16} << 32) | 0xB374D848u;
  p.partial_commit_lsn = (uint64_t{0x16} << 32) | 0xB3750000u;
  p.partial_events = 42;
  return p;
}

const std::chrono::system_clock::time_point kFixedTime{std::chrono::milliseconds(1714566896789)};

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
  CHECK(json == R"({"format":1,"pipeline":"orders","snapshot_completed":true,"lsn":"16/B374D848",)"
                R"("lsn_decimal":97500059720,"partial_commit_lsn":"16/B3750000",)"
                R"("partial_commit_lsn_decimal":97500069888,"partial_events":42,)"
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
  max.lsn = ~uint64_t{0};
  max.partial_commit_lsn = ~uint64_t{0};
  max.partial_events = ~uint64_t{0};
  auto big = position_from_json(position_to_json("p", max));
  REQUIRE(big.ok());
  CHECK(*big == max);
}

TEST_CASE("corrupt position JSON is rejected with a clear message", "[checkpoint][json]") {
  const auto good = position_to_json("orders", sample(), kFixedTime);
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
      {"unknown field", replace(good, R"("format":1,)", R"("format":1,"extra":0,)"), "\"extra\""},
      {"duplicate field", replace(good, R"("format":1,)", R"("format":1,"format":1,)"),
       "duplicate"},
      {"future format", replace(good, R"("format":1)", R"("format":2)"), "format"},
      {"lsn not text", replace(good, R"("lsn":"16/B374D848")", R"("lsn":5)"), "\"lsn\""},
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
    REQUIRE(store.save(sample()).ok());
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
    next.lsn += 100;
    next.partial_commit_lsn = 0;
    next.partial_events = 0;
    REQUIRE(store.save(next).ok());
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
    REQUIRE(store.save(sample()).ok());
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
    auto saved = store.save(sample());
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
    auto saved = store.save(sample());
    std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
    REQUIRE_FALSE(saved.ok());
    CHECK(saved.error().kind == ErrorKind::kConfig);
    CHECK_THAT(saved.error().message, Catch::Contains(locked.string()));
    CHECK_THAT(saved.error().message, Catch::Contains("Permission denied"));
  }
  SECTION("pipeline names cannot escape the directory") {
    CheckpointStore store(temp.path.string(), "../evil");
    CHECK(store.save(sample()).error().kind == ErrorKind::kConfig);
    CHECK(store.load().error().kind == ErrorKind::kConfig);
  }
}

TEST_CASE("further picks the position further along", "[checkpoint][further]") {
  SourcePosition snapshotting;
  snapshotting.lsn = 1000;
  SourcePosition streaming;
  streaming.snapshot_completed = true;
  streaming.lsn = 10;
  CHECK(further(snapshotting, streaming) == streaming);
  CHECK(further(streaming, snapshotting) == streaming);

  SourcePosition later = streaming;
  later.lsn = 20;
  CHECK(further(streaming, later) == later);
  CHECK(further(later, streaming) == later);

  SourcePosition partial = streaming;
  partial.partial_commit_lsn = 15;
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
