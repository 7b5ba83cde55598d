// The checkpoint file is read in bounded reads: an oversized file, a device or a FIFO in its
// place is a clear error naming the file, never a hang or a read without end.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "checkpoint/checkpoint_store.hpp"

namespace {

using tributary::ErrorKind;
using tributary::checkpoint::CheckpointStore;

/// A fresh directory under TMPDIR, removed at scope exit.
struct Directory {
  std::filesystem::path path;
  Directory() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tributary-bounded-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~Directory() { std::filesystem::remove_all(path); }
};

TEST_CASE("an oversized checkpoint file is an error naming the file and the limit",
          "[checkpoint][limits]") {
  Directory directory;
  CheckpointStore store(directory.path.string(), "orders");
  std::ofstream(store.path(), std::ios::binary) << std::string((1 << 20) + 1, ' ');
  auto loaded = store.load_record();
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().kind == ErrorKind::kCorrupt);
  CHECK(loaded.error().message ==
        "checkpoint file " + store.path() +
            " holds more than 1 MiB, the most tributary reads: it is not a checkpoint file (one "
            "is a few hundred bytes)");
}

TEST_CASE("a device or a FIFO in the checkpoint file's place is an error, not a hang",
          "[checkpoint][limits]") {
  Directory directory;
  CheckpointStore store(directory.path.string(), "orders");
  SECTION("/dev/zero") {
    std::filesystem::create_symlink("/dev/zero", store.path());
  }
  SECTION("a FIFO without a writer") {
    REQUIRE(::mkfifo(store.path().c_str(), 0600) == 0);
  }
  auto loaded = store.load_record();
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().kind == ErrorKind::kCorrupt);
  CHECK(loaded.error().message ==
        "checkpoint file " + store.path() +
            " is not a regular file (a device, FIFO or socket is in its place)");
}

}  // namespace
