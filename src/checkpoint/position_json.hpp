// Position records <-> JSON: the checkpoint file's content and the Kafka offsets record's value.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "event/capture_set.hpp"
#include "event/source_identity.hpp"
#include "event/source_position.hpp"

namespace tributary::checkpoint {

/// Layout version written in "format". Formats 1 (no "epoch", no "source") and 2 (no "tables")
/// are still read.
inline constexpr int kPositionFormatVersion = 3;

/// Everything a position record holds.
struct PositionRecord {
  std::string pipeline;
  /// Raised by `tributary offsets reset`: a record of a higher epoch replaces any record of a
  /// lower one, whatever their positions (see further()). 0 in format 1 records.
  uint64_t epoch = 0;
  /// The source the position was read from. nullopt in format 1 records, and before a source
  /// connected for the first time.
  std::optional<event::SourceIdentity> source;
  /// The tables captured at `position`, with the join point of each table that joined after the
  /// initial snapshot and whose join the position has not passed yet. nullopt in format 1 and 2
  /// records (the next start adopts the tables that match then) and after `offsets reset`.
  std::optional<event::CaptureSet> tables;
  event::SourcePosition position;
  std::string updated_at;               ///< ISO 8601 UTC, as written (when read)
  int format = kPositionFormatVersion;  ///< as read
};

/// One object, human-readable and strict to parse:
/// {"format":3,"pipeline":"orders","epoch":0,
///  "source":{"type":"postgres","system_identifier":"7351236187229585432","timeline":1,
///            "database":"shop","slot":"tributary_orders"},
///  "tables":[{"schema":"public","table":"orders"},
///            {"schema":"public","table":"refunds","join_lsn":"16/B3000000",
///             "join_lsn_decimal":97492402176}],
///  "snapshot_completed":true,"lsn":"16/B374D848","lsn_decimal":97500727368,
///  "partial_commit_lsn":"0/0","partial_commit_lsn_decimal":0,"partial_events":0,
///  "updated_at":"2024-05-01T12:34:56.789Z"}
/// "source" and "tables" are null when unknown. The text LSN is for people; the decimal one must
/// agree with it (a cross-check on parse). The system identifier is a string: it does not fit a
/// double. Format 2 is the same without "tables"; format 1 also without "epoch" and "source".
std::string record_to_json(const PositionRecord& record,
                           std::chrono::system_clock::time_point updated_at);
/// Same, stamped now (record.updated_at is ignored).
std::string record_to_json(const PositionRecord& record);
/// Same, with record.updated_at as read (showing a stored record); now when it is empty.
std::string record_to_json_as_read(const PositionRecord& record);
/// A record of `position` alone (epoch 0, no source): for logs and tests.
std::string position_to_json(const std::string& pipeline, const event::SourcePosition& position);
std::string position_to_json(const std::string& pipeline, const event::SourcePosition& position,
                             std::chrono::system_clock::time_point updated_at);

/// Strict: every field of the record's format present with its type, no unknown or duplicate
/// keys, text and decimal LSNs agree, nothing after the object. Any violation -> Error::corrupt
/// naming the field.
Result<PositionRecord> position_record_from_json(std::string_view text);
/// position_record_from_json without the metadata.
Result<event::SourcePosition> position_from_json(std::string_view text);

/// "postgres system identifier 7351236187229585432, timeline 1, database shop, slot s".
std::string describe(const event::SourceIdentity& identity);

/// "2024-05-01T12:34:56.789Z".
std::string format_iso8601_utc(std::chrono::system_clock::time_point time);

}  // namespace tributary::checkpoint
