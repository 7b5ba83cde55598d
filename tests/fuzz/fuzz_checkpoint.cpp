// libFuzzer target: the position record parser, shared by the checkpoint file and the Kafka
// offsets record (checkpoint::position_record_from_json), and LSN text.
//
// Property: whatever parses is written back (record_to_json) to text that parses to the same
// record, and writing that again gives the same text; parse errors are kCorrupt.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "checkpoint/position_json.hpp"
#include "event/source_position.hpp"
#include "fuzz_check.hpp"

namespace {

namespace checkpoint = tributary::checkpoint;
using tributary::fuzz::printable;

/// A fixed "updated_at", so that two writes of one record are byte-identical.
const std::chrono::system_clock::time_point kWrittenAt{std::chrono::milliseconds(1714566896789)};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  uint64_t lsn = 0;
  if (tributary::event::parse_lsn(text, lsn)) {
    uint64_t again = 0;
    const std::string formatted = tributary::event::format_lsn(lsn);
    FUZZ_CHECK(tributary::event::parse_lsn(formatted, again) && again == lsn,
               printable(text) + " -> " + formatted);
  }

  auto parsed = checkpoint::position_record_from_json(text);
  auto position = checkpoint::position_from_json(text);
  FUZZ_CHECK(parsed.ok() == position.ok(), printable(text));
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error().kind == tributary::ErrorKind::kCorrupt, parsed.error().message);
    return 0;
  }
  FUZZ_CHECK(*position == parsed->position, printable(text));

  const std::string written = checkpoint::record_to_json(*parsed, kWrittenAt);
  auto reparsed = checkpoint::position_record_from_json(written);
  FUZZ_CHECK(reparsed.ok(), printable(text) + "\nwritten as\n" + written + "\n" +
                                (reparsed.ok() ? "" : reparsed.error().message));
  FUZZ_CHECK(reparsed->pipeline == parsed->pipeline && reparsed->epoch == parsed->epoch &&
                 reparsed->source == parsed->source && reparsed->position == parsed->position,
             printable(text) + "\nwritten as\n" + written);
  FUZZ_CHECK(checkpoint::record_to_json(*reparsed, kWrittenAt) == written, written);
  return 0;
}
