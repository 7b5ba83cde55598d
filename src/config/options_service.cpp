// The option table's rows shared by every pipeline: kafka, offsets, http, shutdown, log.
#include "config/option_rows.hpp"

namespace tributary::config::detail {

std::vector<Option> service_options() {
  return {
      // ----------------------------------------------------------------- kafka
      {.path = "kafka",
       .type = Type::kSection,
       .description = "The Kafka producer, shared settings for every pipeline."},
      {.path = "kafka.bootstrap_servers",
       .type = Type::kString,
       .description = "Initial brokers, comma-separated `host:port` (librdkafka "
                      "`bootstrap.servers`).",
       .required = true,
       .example = "bootstrap_servers: 127.0.0.1:9092",
       .validate = bootstrap_servers,
       .bind = FIELD(config->kafka.bootstrap_servers)},
      {.path = "kafka.properties",
       .type = Type::kStringMap,
       .description =
           "Further librdkafka properties (its CONFIGURATION.md), passed to `rd_kafka_conf_set` as "
           "they are; numbers and booleans become text. Checked when the configuration loads (also "
           "by `check --offline`): every key or value librdkafka refuses is reported with its "
           "message. Values may be secrets (`sasl.password`) and are never shown in errors: the "
           "value of every key containing `password`, `secret`, `token`, `credential` or `.pem` "
           "(and `sasl.oauthbearer.config`) is masked wherever librdkafka quotes it. Keys "
           "tributary sets itself are rejected: `bootstrap.servers`, `metadata.broker.list`, "
           "`transactional.id`, `transaction.timeout.ms`, `enable.idempotence`.",
       .default_value = "{}",
       .bind = FIELD(config->kafka.properties)},
      {.path = "kafka.batch",
       .type = Type::kSection,
       .description = "Bounds of one Kafka transaction: it is committed as soon as any bound is "
                      "reached."},
      {.path = "kafka.batch.max_events",
       .type = Type::kInteger,
       .description = "Change events per transaction.",
       .default_value = "10000",
       .min = 1,
       .max = 10000000,
       .bind = FIELD(config->kafka.batch.max_events)},
      {.path = "kafka.batch.max_bytes",
       .type = Type::kInteger,
       .description = "Bytes of encoded records per transaction.",
       .default_value = "16777216",
       .min = 1024,
       .max = 2147483647,
       .bind = FIELD(config->kafka.batch.max_bytes)},
      {.path = "kafka.batch.max_ms",
       .type = Type::kInteger,
       .description = "Milliseconds a transaction stays open; less than "
                      "`kafka.transaction_timeout_ms`.",
       .default_value = "50",
       .min = 1,
       .max = 3600000,
       .bind = FIELD(config->kafka.batch.max_ms)},
      {.path = "kafka.transactional_id_prefix",
       .type = Type::kString,
       .description =
           "Each pipeline's `transactional.id` is this prefix followed by its name. Keep "
           "it stable: a restarted producer with the same id fences its predecessor.",
       .default_value = "tributary-",
       .bind = FIELD(config->kafka.transactional_id_prefix)},
      {.path = "kafka.transaction_timeout_ms",
       .type = Type::kInteger,
       .description = "librdkafka `transaction.timeout.ms`. Must not exceed the brokers' "
                      "`transaction.max.timeout.ms` (900000 by default).",
       .default_value = "60000",
       .min = 1000,
       .max = 900000,
       .bind = FIELD(config->kafka.transaction_timeout_ms)},
      {.path = "kafka.topics",
       .type = Type::kSection,
       .description =
           "Topics tributary creates through Kafka's Admin API before it produces to them, for "
           "clusters that run with `auto.create.topics.enable=false`: each pipeline's data topics "
           "(`<topic_prefix>.<schema>.<table>`, also of a table first seen while streaming) and "
           "`offsets.topic`. Topics that exist are used as they are, never altered. The offsets "
           "topic "
           "is always created with `cleanup.policy=compact` and 1 partition, whatever the keys "
           "below "
           "say. The defaults are Debezium's `topic.creation.default.*`."},
      {.path = "kafka.topics.create",
       .type = Type::kBoolean,
       .description = "Create missing topics. `false`: a missing topic stops the pipeline with an "
                      "error naming it (exit code 2); create the topics beforehand.",
       .default_value = "true",
       .bind = FIELD(config->kafka.topics.create)},
      {.path = "kafka.topics.partitions",
       .type = Type::kInteger,
       .description =
           "Partitions of a created topic; `-1`: the broker's `num.partitions` (`0` is "
           "not allowed). Records are placed by key, so more partitions spread a table's "
           "rows while keeping each key's changes in order.",
       .default_value = "1",
       .min = -1,
       .max = 2147483647,
       .validate = broker_default_or_positive,
       .bind = FIELD(config->kafka.topics.partitions)},
      {.path = "kafka.topics.replication_factor",
       .type = Type::kInteger,
       .description = "Replicas of each partition of a created topic; `-1`: the broker's "
                      "`default.replication.factor` (`0` is not allowed). At most the number of "
                      "brokers.",
       .default_value = "-1",
       .min = -1,
       .max = 32767,
       .validate = broker_default_or_positive,
       .bind = FIELD(config->kafka.topics.replication_factor)},
      {.path = "kafka.topics.config",
       .type = Type::kStringMap,
       .description = "Topic configuration of a created topic, Kafka's topic-level keys "
                      "(`cleanup.policy`, `retention.ms`, `min.insync.replicas`, ...); numbers and "
                      "booleans become text. Keys not given take the broker's defaults.",
       .default_value = "{}",
       .bind = FIELD(config->kafka.topics.config)},
      {.path = "kafka.topics.overrides",
       .type = Type::kList,
       .description =
           "Other settings for the topics whose name matches a pattern, e.g. `overrides: [{match: "
           "\"shop\\\\.public\\\\.orders\", partitions: 12}]`. A topic takes the first override, "
           "in "
           "list order, whose `match` matches its whole name, and no other; what that override "
           "leaves out comes from `kafka.topics`.",
       .bind = FIELD(config->kafka.topics.overrides)},
      {.path = "kafka.topics.overrides[].match",
       .type = Type::kString,
       .description = "ECMAScript regular expression matched against the whole topic name (no "
                      "`^`/`$` needed); escape a literal `.` as `\\.`.",
       .required = true,
       .example = "match: \"shop\\\\.public\\\\..*\"",
       .validate = regular_expression,
       .bind = FIELD(topic_override->match)},
      {.path = "kafka.topics.overrides[].partitions",
       .type = Type::kInteger,
       .description = "Partitions of a matching topic; `-1`: the broker's default.",
       .default_doc = "`kafka.topics.partitions`",
       .min = -1,
       .max = 2147483647,
       .validate = broker_default_or_positive,
       .bind = FIELD(topic_override->partitions)},
      {.path = "kafka.topics.overrides[].replication_factor",
       .type = Type::kInteger,
       .description = "Replication factor of a matching topic; `-1`: the broker's default.",
       .default_doc = "`kafka.topics.replication_factor`",
       .min = -1,
       .max = 32767,
       .validate = broker_default_or_positive,
       .bind = FIELD(topic_override->replication_factor)},
      {.path = "kafka.topics.overrides[].config",
       .type = Type::kStringMap,
       .description = "Topic configuration of a matching topic, merged over `kafka.topics.config` "
                      "(a key given in both takes this value).",
       .default_value = "{}",
       .bind = FIELD(topic_override->config)},
      // ----------------------------------------------------------------- offsets
      {.path = "offsets",
       .type = Type::kSection,
       .description = "Where the source position of the last committed transaction is kept."},
      {.path = "offsets.directory",
       .type = Type::kString,
       .description = "Directory of the checkpoint files, one `<name>.offsets` per pipeline.",
       .default_value = "/var/lib/tributary",
       .validate = not_empty,
       .bind = FIELD(config->offsets.directory)},
      {.path = "offsets.topic",
       .type = Type::kString,
       .description = "Kafka topic of the offsets records (key: the pipeline name). Created when "
                      "missing (see `kafka.topics`), always with `cleanup.policy=compact` and 1 "
                      "partition, so Kafka keeps each pipeline's last record.",
       .default_value = "tributary.offsets",
       .validate = topic_name,
       .bind = FIELD(config->offsets.topic)},
      // ----------------------------------------------------------------- http
      {.path = "http",
       .type = Type::kSection,
       .description = "The HTTP endpoint for health checks and Prometheus metrics."},
      {.path = "http.listen",
       .type = Type::kString,
       .description = "Address to listen on, `host:port`; port `0` picks a free port; `''` turns "
                      "the endpoint off.",
       .default_value = "127.0.0.1:9187",
       .validate = listen_address,
       .bind = FIELD(config->http.listen)},
      {.path = "http.max_connections",
       .type = Type::kInteger,
       .description = "Connections held open at once. A new connection past the limit closes the "
                      "one idle longest, so idle clients cannot lock health checks out.",
       .default_value = "128",
       .min = 1,
       .max = 65536,
       .bind = FIELD(config->http.max_connections)},
      {.path = "http.idle_timeout_ms",
       .type = Type::kInteger,
       .description = "A connection that sends nothing for this long between requests is closed.",
       .default_value = "15000",
       .min = 100,
       .max = 3600000,
       .bind = FIELD(config->http.idle_timeout_ms)},
      {.path = "http.request_timeout_ms",
       .type = Type::kInteger,
       .description = "A request must arrive whole within this time after its first byte, or the "
                      "connection is closed (slow clients cannot hold a connection).",
       .default_value = "5000",
       .min = 100,
       .max = 600000,
       .bind = FIELD(config->http.request_timeout_ms)},
      // ----------------------------------------------------------------- shutdown
      {.path = "shutdown",
       .type = Type::kSection,
       .description = "How SIGTERM and SIGINT end the process."},
      {.path = "shutdown.timeout_ms",
       .type = Type::kInteger,
       .description = "On SIGTERM/SIGINT each pipeline stops reading, commits its open Kafka "
                      "transaction (or aborts it when Kafka does not answer) and writes its "
                      "checkpoint within this time; past it the process exits 1, losing nothing "
                      "(the next start resumes from the last committed checkpoint). Keep it below "
                      "systemd's `TimeoutStopSec` and Kubernetes' `terminationGracePeriodSeconds`.",
       .default_value = "30000",
       .min = 1000,
       .max = 3600000,
       .bind = FIELD(config->shutdown_timeout_ms)},
      // ----------------------------------------------------------------- log
      {.path = "log", .type = Type::kSection, .description = "Logging: one event per line."},
      {.path = "log.level",
       .type = Type::kEnum,
       .description = "Least severe level written.",
       .default_value = "info",
       .allowed = {"trace", "debug", "info", "warn", "error"},
       .bind = FIELD(config->log.level)},
      {.path = "log.format",
       .type = Type::kEnum,
       .description = "`text`: `<time> <LEVEL> [pipeline] [table] message`; `json`: one JSON "
                      "object per line with `ts`, `level`, `pipeline`, `table` (when there is one) "
                      "and `message`, for log collectors.",
       .default_value = "text",
       .allowed = {"text", "json"},
       .bind = FIELD(config->log.format)},
      {.path = "log.file",
       .type = Type::kString,
       .description = "File the log is appended to; empty: standard error (journald, `docker "
                      "logs`). SIGHUP reopens it, so logrotate can move it away first.",
       .default_doc = "empty",
       .bind = FIELD(config->log.file)},
  };
}

}  // namespace tributary::config::detail
