// SourcePosition <-> JSON: the checkpoint file's content and the Kafka offsets record's value.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "event/source_position.hpp"

namespace tributary::checkpoint {

/// Layout version written in "format"; position_from_json rejects any other.
inline constexpr int kPositionFormatVersion = 1;

/// One object, human-readable and strict to parse:
/// {"format":1,"pipeline":"orders","snapshot_completed":true,"lsn":"16/B374D848",
///  "lsn_decimal":97500727368,"partial_commit_lsn":"0/0","partial_commit_lsn_decimal":0,
///  "partial_events":0,"updated_at":"2024-05-01T12:34:56.789Z"}
/// The text LSN is for people; the decimal one must agree with it (a cross-check on parse).
std::string position_to_json(const std::string& pipeline, const event::SourcePosition& position);
/// Same, with an explicit `updated_at` (tests, reproducible output).
std::string position_to_json(const std::string& pipeline, const event::SourcePosition& position,
                             std::chrono::system_clock::time_point updated_at);

/// Everything a position record holds.
struct PositionRecord {
  std::string pipeline;
  event::SourcePosition position;
  std::string updated_at;  ///< ISO 8601 UTC, as written
};

/// Strict: every field present with its type, no unknown or duplicate keys, text and decimal
/// LSNs agree, nothing after the object. Any violation -> Error::corrupt naming the field.
Result<PositionRecord> position_record_from_json(std::string_view text);
/// position_record_from_json without the metadata.
Result<event::SourcePosition> position_from_json(std::string_view text);

/// "2024-05-01T12:34:56.789Z".
std::string format_iso8601_utc(std::chrono::system_clock::time_point time);

}  // namespace tributary::checkpoint
