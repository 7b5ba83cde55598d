// The option table's rows for pipelines[].signals.
#include "config/option_rows.hpp"

namespace tributary::config::detail {
namespace {

std::optional<std::string> signal_table(const std::string& value) {
  const auto dot = value.find('.');
  if (value.empty() || dot == std::string::npos || dot == 0 || dot + 1 == value.size() ||
      value.find('.', dot + 1) != std::string::npos) {
    return "must be schema.table (e.g. public.tributary_signal), one dot, no quotes";
  }
  return std::nullopt;
}

}  // namespace

std::vector<Option> signal_options() {
  return {
      {.path = "pipelines[].signals",
       .type = Type::kSection,
       .description =
           "Debezium's signals: commands sent to a running pipeline through a table of the "
           "source database or a Kafka topic. Supported types: `log` (logs `data.message` at "
           "info with the pipeline). A signal of another type, or whose `data` is not a JSON "
           "object, is logged as a warning naming its id and skipped."},
      {.path = "pipelines[].signals.table",
       .type = Type::kString,
       .description =
           "Debezium's `signal.data.collection`: a table `schema.table` (MySQL/MariaDB: "
           "`database.table`) with the columns `id`, `type`, `data` (text types) whose inserted "
           "rows are signals, read from the replication stream or binlog in commit order (so "
           "acted on once: a restart resumes after them). As Debezium, its rows are also written "
           "to Kafka as change events when `tables.include` captures it. PostgreSQL: tributary "
           "adds it to the publication, and reads it as signals only when it is not captured. "
           "MySQL/MariaDB: it must be captured (as Debezium), else it is not read (a warning).",
       .default_doc = "none",
       .validate = signal_table,
       .bind = FIELD(pipeline->signals.table)},
      {.path = "pipelines[].signals.kafka_topic",
       .type = Type::kString,
       .description =
           "Debezium's `signal.kafka.topic` (single partition): records whose key is the "
           "pipeline's topic prefix and whose value is `{\"type\": ..., \"data\": {...}}` are "
           "signals; other keys are skipped. Read with a read_committed consumer on the "
           "`kafka` connection settings from the group's committed offset (each signal's offset "
           "is committed after it is acted on, so a restart does not act on it again); a group "
           "with no committed offset starts at the topic's beginning (as Debezium's "
           "`auto.offset.reset: earliest`). A record's signal id is its value's `id`, else "
           "`<topic>/<partition>@<offset>`.",
       .default_doc = "none",
       .validate = topic_name,
       .bind = FIELD(pipeline->signals.kafka_topic)},
      {.path = "pipelines[].signals.kafka_group_id",
       .type = Type::kString,
       .description =
           "Debezium's `signal.kafka.groupId` (whose default is `kafka-signal`): the consumer "
           "group that keeps the signal topic's offset; one per pipeline by default.",
       .default_doc = "`tributary-signals-<name>`",
       .validate = not_empty,
       .bind = FIELD(pipeline->signals.kafka_group_id),
       .derive =
           +[](Target t) {
             t.pipeline->signals.kafka_group_id = "tributary-signals-" + t.pipeline->name;
           },
       .derived_from = "pipelines[].name"},
  };
}

}  // namespace tributary::config::detail
