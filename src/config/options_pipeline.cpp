// The option table's rows for pipelines[]: name, source, tables, topic prefix, envelope, keys.
#include "config/option_rows.hpp"

namespace tributary::config::detail {

std::vector<Option> pipeline_options() {
  return {
      // ----------------------------------------------------------------- pipelines
      {.path = "pipelines",
       .type = Type::kList,
       .description =
           "One entry per source database to capture. Each pipeline has its own replication slot, "
           "Kafka transactional producer and checkpoint file, and runs independently of the "
           "others.",
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
       .description =
           "MySQL only, required there: the server ID the binlog connection announces, "
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
       .description =
           "MySQL/MariaDB only: write one Debezium schema change record (key "
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
           "table, as Debezium's `message.key.columns`: `schema.table: \"col1,col2\"` "
           "(MySQL/MariaDB: `database.table`), the exact name of a table that `tables.include` "
           "/ `tables.exclude` capture. Without an entry a table is keyed by its primary key, "
           "else (as Debezium) PostgreSQL by its first unique index, clustered first, then by "
           "index name, skipping indexes on expressions, MySQL/MariaDB by its first unique "
           "index whose columns are all NOT NULL; a table with neither has a null key. Every "
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
       .description =
           "Written in place of a column value the database did not send (an unchanged "
           "TOASTed PostgreSQL column when the table's `REPLICA IDENTITY` is not `FULL`).",
       .default_value = "__debezium_unavailable_value",
       .bind = FIELD(pipeline->envelope.unavailable_value_placeholder)},
  };
}

}  // namespace tributary::config::detail
