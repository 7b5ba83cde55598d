// The option table (in the manner of librdkafka's rdkafka_conf.c): one row per key.
#include "config/options.hpp"

#include "config/regex_check.hpp"
#include "config/validators.hpp"

namespace tributary::config::detail {
namespace {

// Binds a row to a member: FIELD(pipeline->source.port) stores into Target::pipeline.
#define FIELD(member) (+[](Target t) -> auto& { return t.member; })
#define ENUM_FIELD(member, Enum) \
  (+[](Target t, std::size_t index) { t.member = static_cast<Enum>(index); })

const std::vector<Option> kOptions = {
    // ----------------------------------------------------------------- pipelines
    {.path = "pipelines",
     .type = Type::kList,
     .description =
         "One entry per source database to capture. Each pipeline has its own replication slot, "
         "Kafka transactional producer and checkpoint file, and runs independently of the others.",
     .required = true,
     .min = 1,
     .example = "pipelines: [{name: shop, source: {type: postgres, database: shop, user: cdc}}]",
     .bind = FIELD(config->pipelines)},
    {.path = "pipelines[].name",
     .type = Type::kString,
     .description =
         "Unique name of the pipeline. Names the checkpoint file (`<offsets.directory>/<name>"
         ".offsets`) and the Kafka `transactional.id`, and is the default topic prefix, slot and "
         "publication. Renaming a pipeline makes it start over (new slot, new checkpoint).",
     .required = true,
     .example = "name: shop",
     .validate = pipeline_name,
     .bind = FIELD(pipeline->name)},
    {.path = "pipelines[].source",
     .type = Type::kSection,
     .description = "The database whose changes the pipeline captures."},
    {.path = "pipelines[].source.type",
     .type = Type::kEnum,
     .description = "Database kind: `postgres`, or `mysql` for MySQL 5.7/8.x and MariaDB 10.5+ "
                    "(the flavour is detected). Keys marked PostgreSQL only or MySQL only are an "
                    "error with the other type.",
     .required = true,
     .allowed = {"postgres", "mysql"},
     .example = "type: postgres",
     .bind = ENUM_FIELD(pipeline->source.type, SourceType)},
    {.path = "pipelines[].source.host",
     .type = Type::kString,
     .description = "Host name or IP address of the database server.",
     .default_value = "127.0.0.1",
     .validate = not_empty,
     .bind = FIELD(pipeline->source.host)},
    {.path = "pipelines[].source.port",
     .type = Type::kInteger,
     .description = "TCP port of the database server.",
     .default_doc = "`5432` for postgres, `3306` for mysql",
     .min = 1,
     .max = 65535,
     .bind = FIELD(pipeline->source.port),
     .derive =
         +[](Target t) {
           t.pipeline->source.port = t.pipeline->source.type == SourceType::kMysql ? 3306 : 5432;
         },
     .derived_from = "pipelines[].source.type"},
    {.path = "pipelines[].source.database",
     .type = Type::kString,
     .description = "Database to capture; required for postgres. For mysql optional: the "
                    "database the connection starts in (`tables.include` says what is captured).",
     .default_doc = "none (required for postgres)",
     .validate = not_empty,
     .bind = FIELD(pipeline->source.database)},
    {.path = "pipelines[].source.user",
     .type = Type::kString,
     .description = "User to connect as. On PostgreSQL it needs the `REPLICATION` attribute and "
                    "`SELECT` on the captured tables.",
     .required = true,
     .example = "user: cdc",
     .validate = not_empty,
     .bind = FIELD(pipeline->source.user)},
    {.path = "pipelines[].source.password",
     .type = Type::kString,
     .description = "Password of `user`, usually `${SOME_VARIABLE}`. Never logged or shown in "
                    "errors. Set at most one of `password` and `password_file`. `offsets show`, "
                    "which connects to nothing, accepts an unset variable here.",
     .default_value = "''",
     .default_doc = "none",
     .secret = true,
     .bind = FIELD(pipeline->source.password)},
    {.path = "pipelines[].source.password_file",
     .type = Type::kString,
     .description = "File whose contents are the password, trailing newlines removed (e.g. a "
                    "Docker secret or systemd credential), at most 64 KiB. A relative path is "
                    "relative to the working directory. Not read by `offsets show`, which "
                    "connects to nothing.",
     .default_value = "''",
     .default_doc = "none",
     .bind = FIELD(pipeline->source.password_file)},
    {.path = "pipelines[].source.server_id",
     .type = Type::kInteger,
     .description = "MySQL only, required there: the server ID the binlog connection announces, "
                    "as a replica does. It must be unique among the server's replicas and other "
                    "binlog readers (another one with the same ID is disconnected by the server), "
                    "and differ from the server's own `server_id`.",
     .default_doc = "none (required for mysql)",
     .min = 1,
     .max = 4294967295LL,
     .example = "server_id: 5401",
     .bind = FIELD(pipeline->source.server_id)},
    {.path = "pipelines[].source.slot",
     .type = Type::kString,
     .description =
         "PostgreSQL only: the logical replication slot (pgoutput plugin). Two pipelines on the "
         "same database need different slots. The default is the name lowercased, with "
         "`-` and `.` turned into `_`.",
     .default_doc = "`tributary_<name>`",
     .validate = slot_name,
     .bind = FIELD(pipeline->source.slot),
     .derive = +[](Target t) { t.pipeline->source.slot = default_identifier(t.pipeline->name); },
     .derived_from = "pipelines[].name"},
    {.path = "pipelines[].source.publication",
     .type = Type::kString,
     .description = "PostgreSQL only: the publication that selects the tables the slot "
                    "streams. The "
                    "default is derived from the name like `slot`.",
     .default_doc = "`tributary_<name>`",
     .validate = publication_name,
     .bind = FIELD(pipeline->source.publication),
     .derive =
         +[](Target t) { t.pipeline->source.publication = default_identifier(t.pipeline->name); },
     .derived_from = "pipelines[].name"},
    {.path = "pipelines[].source.sslmode",
     .type = Type::kEnum,
     .description = "TLS to the database, with libpq's meanings (for mysql: the equivalent "
                    "`ssl-mode`).",
     .default_value = "prefer",
     .allowed = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"},
     .bind = FIELD(pipeline->source.sslmode)},
    {.path = "pipelines[].source.sslrootcert",
     .type = Type::kString,
     .description = "File of the CA certificate(s) that `verify-ca` and `verify-full` check the "
                    "server's certificate against (libpq's `sslrootcert`; for mysql `ssl-ca`). "
                    "Empty: libpq's default `~/.postgresql/root.crt`; for mysql, `verify-full` "
                    "then checks against the system's CA store and `verify-ca` refuses to start "
                    "(Connector/C verifies the chain only against a CA file it is given).",
     .default_doc = "empty",
     .bind = FIELD(pipeline->source.sslrootcert)},
    {.path = "pipelines[].source.sslcert",
     .type = Type::kString,
     .description = "File of the client certificate presented to the server (libpq's "
                    "`sslcert`; for mysql `ssl-cert`). Empty: none.",
     .default_doc = "empty",
     .bind = FIELD(pipeline->source.sslcert)},
    {.path = "pipelines[].source.sslkey",
     .type = Type::kString,
     .description = "File of the client certificate's private key (libpq's `sslkey`; for mysql "
                    "`ssl-key`). Empty: none.",
     .default_doc = "empty",
     .bind = FIELD(pipeline->source.sslkey)},
    {.path = "pipelines[].source.connect_timeout_seconds",
     .type = Type::kInteger,
     .description = "Time allowed for one attempt to connect to the database.",
     .default_value = "10",
     .min = 1,
     .max = 3600,
     .bind = FIELD(pipeline->source.connect_timeout_seconds)},
    {.path = "pipelines[].tables",
     .type = Type::kSection,
     .description =
         "Which tables to capture. Patterns are ECMAScript regular expressions matched against "
         "the whole of `schema.table` (PostgreSQL) or `database.table` (MySQL), so `public\\..*` "
         "needs no `^`/`$`. A table is captured when it matches an `include` pattern and no "
         "`exclude` pattern. In YAML double quotes a backslash is written twice: "
         "`\"public\\\\..*\"`."},
    {.path = "pipelines[].tables.include",
     .type = Type::kStringList,
     .description = "Patterns of tables to capture; at least one.",
     .default_doc =
         "`[\"public\\\\..*\"]` for postgres; for mysql every database but `mysql`, "
         "`information_schema`, `performance_schema` and `sys`: "
         "`[\"(?!(mysql|information_schema|performance_schema|sys)\\\\.)[^.]+\\\\..*\"]`",
     .min = 1,
     .validate = regular_expression,
     .bind = FIELD(pipeline->tables.include),
     .derive =
         +[](Target t) {
           t.pipeline->tables.include = {t.pipeline->source.type == SourceType::kMysql
                                             ? std::string(kMysqlDefaultInclude)
                                             : std::string("public\\..*")};
         },
     .derived_from = "pipelines[].source.type"},
    {.path = "pipelines[].tables.exclude",
     .type = Type::kStringList,
     .description = "Patterns of tables to leave out, applied after `include`.",
     .default_value = "[]",
     .validate = regular_expression,
     .bind = FIELD(pipeline->tables.exclude)},
    {.path = "pipelines[].tables.unsupported_columns",
     .type = Type::kEnum,
     .description =
         "What to do with a column whose type tributary cannot encode (e.g. a user-defined base "
         "type). `skip`: leave the column out of the events and log a warning naming it, as "
         "Debezium does with `include.unknown.datatypes=false`. `fail`: stop the pipeline; at "
         "start this is a setup error (exit 2), at runtime the pipeline is retried with backoff "
         "while the other pipelines go on.",
     .default_value = "skip",
     .allowed = {"skip", "fail"},
     .bind = ENUM_FIELD(pipeline->tables.unsupported_columns, UnsupportedColumns)},
    {.path = "pipelines[].snapshot",
     .type = Type::kSection,
     .description = "The consistent copy of existing rows taken before streaming changes."},
    {.path = "pipelines[].snapshot.mode",
     .type = Type::kEnum,
     .description =
         "As in Debezium. `initial`: snapshot once, when the pipeline has no checkpoint, then "
         "stream. `never`: only stream. `always`: snapshot at every start, then stream. "
         "`initial_only`: snapshot once, do not stream. `when_needed`: like `initial`, and also "
         "when the checkpointed position is no longer available from the source.",
     .default_value = "initial",
     .allowed = {"initial", "never", "always", "initial_only", "when_needed"},
     .bind = ENUM_FIELD(pipeline->snapshot.mode, SnapshotMode)},
    {.path = "pipelines[].snapshot.parallelism",
     .type = Type::kInteger,
     .description = "Tables copied at the same time, each over its own database connection.",
     .default_value = "2",
     .min = 1,
     .max = 64,
     .bind = FIELD(pipeline->snapshot.parallelism)},
    {.path = "pipelines[].snapshot.fetch_size",
     .type = Type::kInteger,
     .description = "Rows fetched per round trip from a snapshot cursor.",
     .default_value = "10000",
     .min = 1,
     .max = 1000000,
     .bind = FIELD(pipeline->snapshot.fetch_size)},
    {.path = "pipelines[].topic_prefix",
     .type = Type::kString,
     .description = "First part of every topic name: `<topic_prefix>.<schema>.<table>`, as "
                    "Debezium does.",
     .default_doc = "the pipeline's `name`",
     .validate = topic_prefix,
     .bind = FIELD(pipeline->topic_prefix),
     .derive = +[](Target t) { t.pipeline->topic_prefix = t.pipeline->name; },
     .derived_from = "pipelines[].name"},
    {.path = "pipelines[].schema_changes",
     .type = Type::kBoolean,
     .description = "MySQL/MariaDB only: write one Debezium schema change record (key "
                    "`{\"databaseName\"}`, value with `ddl` and `tableChanges`) to the topic "
                    "`<topic_prefix>` for every DDL statement on a captured table or database, in "
                    "the same Kafka transaction as the changes around it, in binlog order.",
     .default_value = "false",
     .bind = FIELD(pipeline->schema_changes)},
    {.path = "pipelines[].skipped_operations",
     .type = Type::kString,
     .description =
         "Streamed operations not written to Kafka, as Debezium's `skipped.operations`: a "
         "comma-separated list of `c` (create), `u` (update), `d` (delete), `t` (truncate), or "
         "`none`. Snapshot reads are never skipped. A skipped event's position still advances "
         "and is checkpointed like any other. The default `t` leaves TRUNCATE out, as Debezium "
         "does; `none` writes every operation.",
     .default_value = "t",
     .validate = skipped_operations,
     .bind = FIELD(pipeline->skipped_operations)},
    {.path = "pipelines[].message_key_columns",
     .type = Type::kStringMap,
     .description =
         "The columns that key a table's Kafka messages (and so pick their partition), per "
         "table, as Debezium's `message.key.columns`: `schema.table: \"col1,col2\"`, the exact "
         "name of a table that `tables.include` / `tables.exclude` capture (PostgreSQL "
         "pipelines only so far: a mysql pipeline refuses the key). Without an entry a table "
         "is keyed by its primary key, else (as Debezium) by its first unique index, "
         "clustered first, then by index "
         "name, skipping indexes on expressions; a table with neither has a null key. Every "
         "column must exist (checked when the table is loaded: the pipeline does not start). "
         "With REPLICA IDENTITY DEFAULT a delete carries only the replica identity's columns: "
         "key columns outside it need REPLICA IDENTITY FULL.",
     .example = "message_key_columns: {public.orders: \"customer_id,order_id\"}",
     .bind = FIELD(pipeline->message_key_columns)},
    {.path = "pipelines[].envelope",
     .type = Type::kSection,
     .description = "Shape of the Debezium JSON records."},
    {.path = "pipelines[].envelope.schemas",
     .type = Type::kBoolean,
     .description = "Wrap keys and values as `{\"schema\": ..., \"payload\": ...}`, like Kafka "
                    "Connect's JsonConverter with `schemas.enable=true`; `false` writes the "
                    "payload alone.",
     .default_value = "true",
     .bind = FIELD(pipeline->envelope.schemas)},
    {.path = "pipelines[].envelope.tombstones_on_delete",
     .type = Type::kBoolean,
     .description = "After each delete event, also write a record with the same key and a null "
                    "value, so log compaction can drop the key.",
     .default_value = "true",
     .bind = FIELD(pipeline->envelope.tombstones_on_delete)},
    {.path = "pipelines[].envelope.unavailable_value_placeholder",
     .type = Type::kString,
     .description = "Written in place of a column value the database did not send (an unchanged "
                    "TOASTed PostgreSQL column when the table's `REPLICA IDENTITY` is not `FULL`).",
     .default_value = "__debezium_unavailable_value",
     .bind = FIELD(pipeline->envelope.unavailable_value_placeholder)},
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
     .description = "Each pipeline's `transactional.id` is this prefix followed by its name. Keep "
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
         "is always created with `cleanup.policy=compact` and 1 partition, whatever the keys below "
         "say. The defaults are Debezium's `topic.creation.default.*`."},
    {.path = "kafka.topics.create",
     .type = Type::kBoolean,
     .description = "Create missing topics. `false`: a missing topic stops the pipeline with an "
                    "error naming it (exit code 2); create the topics beforehand.",
     .default_value = "true",
     .bind = FIELD(config->kafka.topics.create)},
    {.path = "kafka.topics.partitions",
     .type = Type::kInteger,
     .description = "Partitions of a created topic; `-1`: the broker's `num.partitions` (`0` is "
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
         "\"shop\\\\.public\\\\.orders\", partitions: 12}]`. A topic takes the first override, in "
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

#undef FIELD
#undef ENUM_FIELD

}  // namespace

const std::vector<Option>& options() {
  return kOptions;
}

const Option* find_option(std::string_view path) {
  for (const auto& option : kOptions) {
    if (option.path == path) return &option;
  }
  return nullptr;
}

const std::vector<std::string_view>& cross_check_descriptions() {
  static const std::vector<std::string_view> kDescriptions = {
      "Pipeline names are unique.",
      "Pipelines on the same PostgreSQL server and database (`host`, `port`, `database`) use "
      "different slots.",
      "At most one of `password` and `password_file` is set; a `password_file` is readable, at "
      "most 64 KiB and not empty.",
      "Defaults derived from the name (`slot`, `publication`, `topic_prefix`) are valid; when not, "
      "set the key explicitly.",
      "Keys of one source type only: `server_id` is required for `mysql` and an error for "
      "`postgres`; `database` is required for `postgres`; `slot` and `publication` are an error "
      "for `mysql`; `schema_changes: true` is an error for `postgres`.",
      "`kafka.batch.max_ms` is less than `kafka.transaction_timeout_ms`.",
      "`kafka.properties` does not set a key that tributary sets itself, and librdkafka accepts "
      "every other key and value (each set on a scratch configuration; nothing is contacted).",
      "Each `message_key_columns` table is a `schema.table` name that `tables.include` / "
      "`tables.exclude` capture, and each value a comma-separated list of column names.",
  };
  return kDescriptions;
}

std::string_view parent_path(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

std::string_view scope_path(std::string_view path) {
  const std::size_t list = path.rfind("[]");
  return list == std::string_view::npos ? std::string_view() : path.substr(0, list + 2);
}

std::string_view leaf_name(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

const std::map<std::string, std::string, std::less<>>& reserved_kafka_properties() {
  static const std::map<std::string, std::string, std::less<>> kReserved = {
      {"bootstrap.servers", "set kafka.bootstrap_servers instead"},
      {"metadata.broker.list", "set kafka.bootstrap_servers instead"},
      {"transactional.id",
       "tributary sets it per pipeline; set kafka.transactional_id_prefix instead"},
      {"transaction.timeout.ms", "set kafka.transaction_timeout_ms instead"},
      {"enable.idempotence", "transactions need it and tributary always turns it on; remove it"},
  };
  return kReserved;
}

}  // namespace tributary::config::detail
