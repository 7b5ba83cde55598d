// SourcePosition: how far a pipeline has durably emitted, as stored in checkpoints and Kafka.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace tributary::event {

/// PostgreSQL: where in the WAL.
struct PostgresPosition {
  /// End LSN of the last fully emitted source transaction (or the slot's consistent point right
  /// after the snapshot). Streaming resumes after it.
  uint64_t lsn = 0;
  /// Commit LSN (Begin's final_lsn) of the source transaction emitted in part, 0 if none.
  uint64_t partial_commit_lsn = 0;

  bool operator==(const PostgresPosition&) const = default;
};

/// MySQL / MariaDB: where in the binlog.
struct MysqlPosition {
  /// Binlog file and offset of the end of the last fully emitted transaction, i.e. where the next
  /// one starts ("mysql-bin.000003", 1234). Streaming by file/position resumes there.
  std::string file;
  uint64_t pos = 0;
  /// GTID set executed up to and including that transaction, as the server prints it: MariaDB
  /// "0-1-100,1-2-7" (domain-server-sequence), MySQL "uuid:1-100[:...],uuid2:1-5". Empty when the
  /// server has no GTIDs. Streaming by GTID resumes after it.
  std::string gtid_set;
  /// server_id of the server that wrote the last emitted transaction (0: unknown).
  uint32_t server_id = 0;

  bool operator==(const MysqlPosition&) const = default;
};

/// How far an unfinished chunked snapshot got: per table, the key of the last row emitted (in
/// key order) or done. Immutable once shared: a new chunk makes a new copy.
struct SnapshotProgress {
  struct Table {
    std::vector<std::string> after;  ///< key columns' text of the last row emitted; empty: none
    bool done = false;
    bool operator==(const Table&) const = default;
  };
  std::map<std::string, Table> tables;  ///< by "schema.table"
  uint64_t chunks = 0;                  ///< chunks emitted so far (all tables, all attempts)
  bool operator==(const SnapshotProgress&) const = default;
};

/// The point reached in the source. A Kafka transaction may end inside a source transaction, so a
/// position is (last fully emitted source transaction, events already emitted of the next one).
struct SourcePosition {
  /// false until the initial snapshot has been fully emitted; while false, a restart must snapshot
  /// again (the snapshot is gone).
  bool snapshot_completed = false;
  /// events of the transaction after `at` already emitted (to skip on resume); 0 if none.
  uint64_t partial_events = 0;
  /// Per source type; PostgreSQL by default.
  std::variant<PostgresPosition, MysqlPosition> at;
  /// While snapshot_completed is false: the chunks already emitted (null: none, the snapshot
  /// starts from the beginning). Shared, so copying a position allocates nothing.
  std::shared_ptr<const SnapshotProgress> snapshot_progress;

  bool is_postgres() const { return std::holds_alternative<PostgresPosition>(at); }
  bool is_mysql() const { return std::holds_alternative<MysqlPosition>(at); }
  /// The PostgreSQL position; switches `at` to PostgreSQL (zero) if it held another type.
  PostgresPosition& postgres() {
    if (!is_postgres()) at = PostgresPosition{};
    return std::get<PostgresPosition>(at);
  }
  /// The MySQL position; switches `at` to MySQL (empty) if it held another type.
  MysqlPosition& mysql() {
    if (!is_mysql()) at = MysqlPosition{};
    return std::get<MysqlPosition>(at);
  }
  /// Read-only views: a default (zero) position of that type if `at` holds another.
  const PostgresPosition& postgres() const;
  const MysqlPosition& mysql() const;
  /// Shorthands for PostgreSQL code (0 when not a PostgreSQL position).
  uint64_t lsn() const { return postgres().lsn; }
  uint64_t partial_commit_lsn() const { return postgres().partial_commit_lsn; }
  /// The source type's name as the checkpoint's JSON writes it: "postgres" or "mysql".
  const char* type_name() const { return is_postgres() ? "postgres" : "mysql"; }

  bool operator==(const SourcePosition& other) const {
    const bool same_progress = snapshot_progress == other.snapshot_progress ||
                               (snapshot_progress && other.snapshot_progress &&
                                *snapshot_progress == *other.snapshot_progress);
    return snapshot_completed == other.snapshot_completed &&
           partial_events == other.partial_events && at == other.at && same_progress;
  }
};

/// For logs: PostgreSQL "16/B374D848" (the end LSN), MySQL "mysql-bin.000003:1234 gtid 0-1-100"
/// (no " gtid ..." part when the set is empty); then " +N events" when partial_events > 0.
std::string describe(const SourcePosition& position);

/// "16/B374D848" style, as PostgreSQL prints LSNs.
std::string format_lsn(uint64_t lsn);
/// Parses "X/Y"; returns false on malformed input.
bool parse_lsn(const std::string& text, uint64_t& out);

}  // namespace tributary::event
