// Transaction metadata (pipelines[].transactions.topic): the committer's count of the source
// transaction it is writing, for the events' `transaction` blocks and the BEGIN / END records.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "envelope/transaction_writer.hpp"
#include "event/change_event.hpp"

namespace tributary::app {

/// The open source transaction: what has been counted of it so far, on this run and (replayed
/// events) on the run that wrote its first part. Sink thread only.
struct OpenTransaction {
  /// Identity used to see where one transaction ends and the next starts: PostgreSQL's txid,
  /// MySQL/MariaDB's GTID (else the binlog file and position of the transaction's BEGIN).
  std::string key;
  std::shared_ptr<const std::string> id;  ///< MySQL/MariaDB: the id on records; PostgreSQL: null
  std::optional<int64_t> txid;            ///< PostgreSQL
  int64_t total = 0;                      ///< events counted
  int64_t ts_ms = 0;                      ///< source commit time
  bool begun = false;                     ///< its BEGIN is written (or was, before a restart)
  struct Table {
    event::TableId table;  ///< empty for logical decoding messages (one entry for them all)
    int64_t events = 0;
  };
  std::vector<Table> tables;  ///< in the order first seen

  /// `id` null: the entry of logical decoding messages.
  Table& table(const event::TableId* id);

  std::vector<envelope::DataCollectionCount> collections() const;
};

/// The data_collection of logical decoding messages on END records. Debezium writes its
/// LogicalDecodingMessageId object's default toString, `<class>@<identity hash>`, which differs
/// per run; tributary writes the class name alone.
inline constexpr const char* kMessageCollection =
    "io.debezium.connector.postgresql.LogicalDecodingMessageMonitor$LogicalDecodingMessageId";

/// The transaction key of a streamed event's source block (see OpenTransaction::key); nullopt:
/// none (events without a transaction id).
std::optional<std::string> transaction_key(const event::SourceInfo& source);

}  // namespace tributary::app
