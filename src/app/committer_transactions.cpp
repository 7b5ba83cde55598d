// Committer: transaction metadata (pipelines[].transactions.topic), Debezium's
// provide.transaction.metadata. The committer counts what it writes, so skipped operations,
// filtered messages and a key change's two events count as Debezium's TransactionMonitor counts
// them; the BEGIN record goes before the transaction's first event and the END record with its
// commit, each in the Kafka transaction of what it describes. A resumed transaction's prefix
// already in Kafka comes again marked `replayed` and is counted without being written, so the
// orders and counts are those of an uninterrupted run and BEGIN is not written twice.
#include <cstdio>

#include "app/committer.hpp"
#include "base/clock.hpp"

namespace tributary::app {

OpenTransaction::Table& OpenTransaction::table(const event::TableId* id) {
  for (auto& entry : tables) {
    if (id == nullptr ? entry.table.table.empty()
                      : entry.table.table == id->table && entry.table.schema == id->schema) {
      return entry;
    }
  }
  tables.push_back({id == nullptr ? event::TableId{} : *id, 0});
  return tables.back();
}

std::vector<envelope::DataCollectionCount> OpenTransaction::collections() const {
  std::vector<envelope::DataCollectionCount> out;
  out.reserve(tables.size());
  for (const auto& entry : tables) {
    if (entry.events == 0) continue;  // only skipped events of it so far
    out.push_back(
        {entry.table.table.empty() ? std::string(kMessageCollection) : entry.table.qualified(),
         entry.events});
  }
  return out;
}

std::optional<std::string> transaction_key(const event::SourceInfo& source) {
  if (const auto* postgres = std::get_if<event::PostgresSourceInfo>(&source.origin)) {
    if (!postgres->txid) return std::nullopt;
    return std::to_string(*postgres->txid);
  }
  const auto& mysql = std::get<event::MysqlSourceInfo>(source.origin);
  if (mysql.gtid && !mysql.gtid->empty()) return *mysql.gtid;
  if (mysql.file) return *mysql.file + ":" + std::to_string(mysql.pos);
  return std::nullopt;
}

namespace {

std::string postgres_id(int64_t txid, uint64_t lsn) {
  char text[48];
  std::snprintf(text, sizeof text, "%lld:%llu", static_cast<long long>(txid),
                static_cast<unsigned long long>(lsn));
  return text;
}

}  // namespace

Result<bool> Committer::order_in_transaction(const event::SourceInfo& source,
                                             const event::TableId* table,
                                             event::TransactionOrder& order) {
  if (!pipeline_.transactions.topic) return false;
  auto key = transaction_key(source);
  if (!key) return false;
  if (transaction_ && transaction_->key != *key) {
    // The source went on to another transaction without a commit marker: as Debezium, the
    // open one ends where the next begins.
    auto ended = end_transaction(batch_.position_dirty ? batch_.position : committed_position_);
    if (!ended.ok()) return ended.error();
  }
  if (!transaction_) {
    transaction_.emplace();
    transaction_->key = std::move(*key);
    if (const auto* postgres = std::get_if<event::PostgresSourceInfo>(&source.origin)) {
      transaction_->txid = postgres->txid;
    } else {
      transaction_->id = std::make_shared<const std::string>(transaction_->key);
    }
    transaction_->ts_ms = source.commit_time_us / 1000;
  }
  order.id = transaction_->id;
  order.total_order = transaction_->total + 1;
  order.data_collection_order = transaction_->table(table).events + 1;
  return true;
}

void Committer::count_in_transaction(const event::SourceInfo& source, const event::TableId* table,
                                     bool replayed) {
  int64_t records = 0;
  for (const auto& message : scratch_) records += message.value ? 1 : 0;
  transaction_->total += records;
  transaction_->table(table).events += records;
  if (transaction_->begun) return;
  transaction_->begun = true;
  if (replayed) return;  // its BEGIN went with it into Kafka
  std::string id;
  if (transaction_->id) {
    id = *transaction_->id;
  } else {
    const auto& postgres = std::get<event::PostgresSourceInfo>(source.origin);
    id = postgres_id(*transaction_->txid, postgres.lsn.value_or(0));
  }
  scratch_.insert(scratch_.begin(), envelope::transaction_begin_record(
                                        serializer_->options().topic_prefix,
                                        serializer_->options().schemas, id, transaction_->ts_ms));
}

Result<void> Committer::end_transaction(const event::SourcePosition& position) {
  if (!transaction_) return {};
  OpenTransaction done = std::move(*transaction_);
  transaction_.reset();
  if (!done.begun) return {};
  // PostgreSQL: <txId>:<the commit's end LSN>, as Debezium's END.
  const std::string id = done.id ? *done.id : postgres_id(*done.txid, position.lsn());
  scratch_.clear();
  scratch_.push_back(envelope::transaction_end_record(serializer_->options().topic_prefix,
                                                      serializer_->options().schemas, id,
                                                      done.total, done.collections(), done.ts_ms));
  return add_to_batch(position);
}

Result<void> Committer::begin_for_skipped(event::ChangeEvent& change) {
  // As Debezium: a skipped operation still opens its transaction (BEGIN, and END with the
  // counts, 0 if nothing else), without counting.
  auto ordered = order_in_transaction(change.source, &change.schema->id, change.transaction);
  if (!ordered.ok()) return ordered.error();
  if (!*ordered || transaction_->begun) return {};
  transaction_->begun = true;
  if (change.replayed) return {};  // its BEGIN went into Kafka before the restart
  scratch_.clear();
  scratch_.push_back(envelope::transaction_begin_record(
      serializer_->options().topic_prefix, serializer_->options().schemas,
      transaction_->id
          ? *transaction_->id
          : postgres_id(*transaction_->txid,
                        std::get<event::PostgresSourceInfo>(change.source.origin).lsn.value_or(0)),
      transaction_->ts_ms));
  return add_to_batch(change.position);
}

Result<void> Committer::replay(event::ChangeEvent& change) {
  if (!pipeline_.transactions.topic) return {};
  if (config::operation_skipped(pipeline_, static_cast<char>(change.op))) {
    return begin_for_skipped(change);
  }
  auto ordered = order_in_transaction(change.source, &change.schema->id, change.transaction);
  if (!ordered.ok()) return ordered.error();
  if (!*ordered) return {};
  // Written out only to count its records (a key change is two), then dropped.
  if (auto decoded = decoder_->decode(change); !decoded.ok()) {
    return Error::fatal("cannot read a value of table " + change.schema->id.qualified() + ": " +
                        decoded.error().message);
  }
  scratch_.clear();
  auto serialized = serializer_->serialize(change, unix_now_us(), scratch_);
  if (!serialized.ok()) {
    return Error::fatal("cannot write the event of table " + change.schema->id.qualified() +
                        " as an envelope: " + serialized.error().message);
  }
  count_in_transaction(change.source, &change.schema->id, /*replayed=*/true);
  scratch_.clear();
  return {};
}

}  // namespace tributary::app
