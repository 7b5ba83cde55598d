// The option table's rows for pipelines[].transactions and pipelines[].heartbeat.
#include "config/option_rows.hpp"

namespace tributary::config::detail {

std::vector<Option> transaction_options() {
  return {
      {.path = "pipelines[].transactions",
       .type = Type::kSection,
       .description =
           "Debezium's transaction metadata: BEGIN and END records of each source transaction "
           "and the `transaction` block of its data events."},
      {.path = "pipelines[].transactions.topic",
       .type = Type::kBoolean,
       .description =
           "Debezium's `provide.transaction.metadata`: for each source transaction that wrote "
           "an event, a BEGIN record before its first event and an END record (`event_count`, "
           "and per table `data_collections`) after its last, on `<topic_prefix>.transaction` "
           "(key `{\"id\": ...}`: PostgreSQL `<txId>:<LSN>`, MySQL/MariaDB the GTID, else "
           "`<binlog file>:<position>`), in the same Kafka transactions as the events; every "
           "streamed data event gets `transaction` `{id, total_order, data_collection_order}` "
           "(snapshot rows keep null). Skipped operations and filtered tables or messages do not "
           "count (as Debezium, a transaction of skipped operations only still has a BEGIN and an "
           "END with `event_count` 0); a key change counts twice (its delete and its create). A "
           "source transaction split over Kafka transactions, or resumed after a crash inside "
           "it, still has one BEGIN and one END.",
       .default_value = "false",
       .bind = FIELD(pipeline->transactions.topic)},
      {.path = "pipelines[].heartbeat",
       .type = Type::kSection,
       .description =
           "Debezium's heartbeats: a record on `__debezium-heartbeat.<topic_prefix>` at a fixed "
           "interval, idle or busy, committed in one Kafka transaction with the offsets record."},
      {.path = "pipelines[].heartbeat.interval_ms",
       .type = Type::kInteger,
       .description =
           "Debezium's `heartbeat.interval.ms`: milliseconds between heartbeat records (key "
           "`{\"serverName\": \"<topic_prefix>\"}`, value `{\"ts_ms\": ...}`); 0 turns them off. "
           "A heartbeat is written only once the pipeline has a position (after its first "
           "commit or checkpoint).",
       .default_value = "0",
       .min = 0,
       .max = 86400000,
       .bind = FIELD(pipeline->heartbeat.interval_ms)},
      {.path = "pipelines[].heartbeat.action_query",
       .type = Type::kString,
       .description =
           "Debezium's `heartbeat.action.query`: a statement run on its own connection to the "
           "source at each heartbeat (e.g. `UPDATE heartbeat SET ts = now()` on a captured "
           "table; on PostgreSQL also `SELECT pg_logical_emit_message(false, 'heartbeat', "
           "now()::text)`), so that the source writes a change the pipeline reads while the "
           "captured tables are idle (PostgreSQL: the slot then sees this database's WAL move "
           "when only other databases of the server are busy). MySQL/MariaDB run it with "
           "autocommit on. Failures are logged and retried at the next heartbeat. Needs "
           "`heartbeat.interval_ms` > 0.",
       .default_doc = "none",
       .bind = FIELD(pipeline->heartbeat.action_query)},
  };
}

}  // namespace tributary::config::detail
