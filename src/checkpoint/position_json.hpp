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

/// Layout version written in "format". Formats 1 (no "epoch", no "source"), 2 (no "tables") and
/// 3 (the PostgreSQL LSNs at the top level instead of "position") are still read; they are all
/// PostgreSQL records.
inline constexpr int kPositionFormatVersion = 4;

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

/// One object, human-readable and strict to parse (format 4):
/// {"format":4,"pipeline":"orders","epoch":0,
///  "source":{"type":"postgres","system_identifier":"7351236187229585432","timeline":1,
///            "database":"shop","slot":"tributary_orders"},
///  "tables":[{"schema":"public","table":"orders"},
///            {"schema":"public","table":"refunds","join_lsn":"16/B3000000",
///             "join_lsn_decimal":97492402176}],
///  "snapshot_completed":true,
///  "position":{"type":"postgres","lsn":"16/B374D848","lsn_decimal":97500727368,
///              "partial_commit_lsn":"0/0","partial_commit_lsn_decimal":0},
///  "partial_events":0,"updated_at":"2024-05-01T12:34:56.789Z"}
/// A MySQL / MariaDB record differs in "source" and "position":
///  "source":{"type":"mysql","flavour":"mariadb","server_uuid":"","server_id":1,
///            "gtid_domain_id":0}
///    (flavour "mysql": server_uuid is @@server_uuid and gtid_domain_id 0; "mariadb": server_uuid
///    "" and gtid_domain_id @@gtid_domain_id; server_id > 0),
///  "position":{"type":"mysql","file":"mysql-bin.000003","pos":1234,"gtid_set":"0-1-100",
///              "server_id":1}
///    (file/pos: the end of the last fully emitted transaction, where the next one starts;
///    file "" and pos 0 before the first binlog read; gtid_set as the server prints it, "" without
///    GTIDs; partial_events counts events of the transaction starting at file/pos).
/// "source" and "tables" are null when unknown; "position.type" must equal "source.type". The
/// text LSN is for people; the decimal one must agree with it (a cross-check on parse). The system
/// identifier is a string: it does not fit a double. Format 3 is format 4 for PostgreSQL with
/// "position"'s LSN fields at the top level instead; format 2 also without "tables"; format 1
/// also without "epoch" and "source".
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

/// "postgres system identifier 7351236187229585432, timeline 1, database shop, slot s",
/// "mariadb server_id 1, gtid domain 0", "mysql server_uuid 3e11fa47-..., server_id 1".
std::string describe(const event::SourceIdentity& identity);

/// "2024-05-01T12:34:56.789Z".
std::string format_iso8601_utc(std::chrono::system_clock::time_point time);

}  // namespace tributary::checkpoint
