// Typed, validated configuration: what the YAML file becomes after parsing and checks.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "config/routes_config.hpp"
#include "config/signals_config.hpp"
#include "config/transactions_config.hpp"
#include "config/types_config.hpp"

namespace tributary::config {

enum class SourceType { kPostgres, kMysql };
enum class SnapshotMode { kInitial, kNever, kAlways, kInitialOnly, kWhenNeeded };
enum class UnsupportedColumns { kSkip, kFail };

struct SourceConfig {
  SourceType type = SourceType::kPostgres;
  std::string host = "127.0.0.1";
  int port = 5432;
  std::string database;
  std::string user;
  std::string password;  ///< from `password` (after ${ENV} expansion) or `password_file`; never log
  std::string password_file;  ///< path the password was read from; "" when given inline
  std::string slot;           ///< default: "tributary_" + pipeline name
  std::string publication;    ///< default: "tributary_" + pipeline name
  std::string sslmode = "prefer";
  std::string sslrootcert;  ///< CA certificate file checked by verify-ca/verify-full; "" = default
  std::string sslcert;      ///< client certificate file (certificate authentication); "" = none
  std::string sslkey;       ///< the client certificate's private key file; "" = none
  int connect_timeout_seconds = 10;
  /// mysql: the replica server_id the binlog connection announces, 1..4294967295 (required for
  /// mysql, unique among the server's replicas); 0 = not set (postgres).
  int64_t server_id = 0;
};

/// One entry of columns.mask_hash, columns.truncate_to or columns.mask_with (options_columns.cpp).
struct ColumnMaskRule {
  std::vector<std::string> columns;  ///< anchored, case-insensitive regexes on schema.table.column
  std::string algorithm;             ///< mask_hash: a Java MessageDigest name, e.g. SHA-256
  std::string salt;                  ///< mask_hash: hashed before the value; never logged
  std::string version = "v1";        ///< mask_hash: v1 (Java-serialized value) or v2 (its UTF-8)
  int64_t length = 0;                ///< truncate_to / mask_with: characters
  bool operator==(const ColumnMaskRule&) const = default;
};

/// Debezium's column.include.list / column.exclude.list and column mappers.
struct ColumnsConfig {
  std::vector<std::string> include;  ///< empty: every column; at most one of include / exclude
  std::vector<std::string> exclude;
  std::vector<ColumnMaskRule> truncate_to;
  std::vector<ColumnMaskRule> mask_with;
  std::vector<ColumnMaskRule> mask_hash;
};

struct TablesConfig {
  /// Anchored regexes on "schema.table" (PostgreSQL) or "database.table" (MySQL); the default
  /// for mysql is kMysqlDefaultInclude.
  std::vector<std::string> include{"public\\..*"};
  std::vector<std::string> exclude;
  /// A column whose type cannot be encoded: left out with a warning, or the pipeline fails.
  UnsupportedColumns unsupported_columns = UnsupportedColumns::kSkip;
  /// PostgreSQL 15+: "schema.table" -> a publication row filter (options_routes.cpp).
  std::map<std::string, std::string> row_filters;
};

/// tables.include's default for mysql: every table of every database but the system ones.
inline constexpr const char* kMysqlDefaultInclude =
    "(?!(mysql|information_schema|performance_schema|sys)\\.)[^.]+\\..*";

/// PostgreSQL logical decoding messages (options_messages.cpp): Debezium's
/// message.prefix.include.list / message.prefix.exclude.list, regexes on the whole prefix,
/// case-insensitive. Empty include: every prefix not excluded.
struct MessagesConfig {
  std::vector<std::string> include;
  std::vector<std::string> exclude;
};

struct SnapshotConfig {
  SnapshotMode mode = SnapshotMode::kInitial;
  int parallelism = 2;     ///< 1..64
  int fetch_size = 10000;  ///< rows per fetch from a snapshot cursor
  int chunk_rows = 8096;   ///< rows per resumable snapshot chunk (key-ordered)
};

struct EnvelopeConfig {
  bool schemas = true;
  bool tombstones_on_delete = true;
  std::string unavailable_value_placeholder = "__debezium_unavailable_value";
};

/// Debezium's heartbeat.interval.ms / heartbeat.action.query (options_transactions.cpp).
struct HeartbeatConfig {
  int64_t interval_ms = 0;   ///< 0: no heartbeats
  std::string action_query;  ///< PostgreSQL: run on its own connection at each heartbeat; "": none
};

struct PipelineConfig {
  std::string name;  ///< unique; [A-Za-z0-9_.-]+
  SourceConfig source;
  TablesConfig tables;
  MessagesConfig messages;
  SnapshotConfig snapshot;
  std::string topic_prefix;  ///< default: name
  EnvelopeConfig envelope;
  ColumnsConfig columns;
  bool schema_changes = false;  ///< MySQL only: DDL -> schema change records on <topic_prefix>
  /// Debezium's skipped.operations: comma list of c, u, d, t (validated), or "none".
  std::string skipped_operations = "t";
  /// Debezium's message.key.columns: "schema.table" -> "col1,col2" (PostgreSQL only so far), the
  /// columns that key that table's messages instead of its primary key / first unique index.
  std::map<std::string, std::string> message_key_columns;
  HeartbeatConfig heartbeat;
  TransactionsConfig transactions;
  std::vector<RouteConfig> routes;  ///< the first whose match matches a table routes it
  TopicNamingConfig topic_naming;
  TypesConfig types;
  SignalsConfig signals;
};

/// Whether streamed events of operation `op` ('c', 'u', 'd', 't') are left out of the topics.
/// The list is validated at load, and "none" holds none of these letters.
inline bool operation_skipped(const PipelineConfig& pipeline, char op) {
  return op != 'r' && pipeline.skipped_operations.find(op) != std::string::npos;
}

struct BatchConfig {
  int64_t max_events = 10000;
  int64_t max_bytes = 16 * 1024 * 1024;
  int64_t max_ms = 50;
};

/// Settings for the topics whose name `match` matches; 0 and an empty map: not set here, the
/// `kafka.topics` value applies.
struct TopicOverride {
  std::string match;           ///< ECMAScript regex on the whole topic name
  int partitions = 0;          ///< -1: the broker's default; 0: kafka.topics.partitions
  int replication_factor = 0;  ///< -1: the broker's default; 0: kafka.topics.replication_factor
  std::map<std::string, std::string> config;  ///< merged over kafka.topics.config
};

/// Topics tributary creates before producing to them (Debezium's topic.creation.default.*).
struct TopicsConfig {
  bool create = true;
  int partitions = 1;                         ///< -1: the broker's num.partitions
  int replication_factor = -1;                ///< -1: the broker's default.replication.factor
  std::map<std::string, std::string> config;  ///< topic configs, e.g. retention.ms
  std::vector<TopicOverride> overrides;       ///< the first whose match matches applies
};

struct KafkaConfig {
  std::string bootstrap_servers;
  std::map<std::string, std::string> properties;  ///< passed to rd_kafka_conf_set as is
  BatchConfig batch;
  std::string transactional_id_prefix = "tributary-";  ///< transactional.id = prefix + pipeline
  int transaction_timeout_ms = 60000;
  TopicsConfig topics;
};

struct OffsetsConfig {
  std::string directory = "/var/lib/tributary";  ///< <directory>/<pipeline>.offsets
  std::string topic = "tributary.offsets";       ///< offsets records, key = pipeline name
};

struct HttpConfig {
  std::string listen = "127.0.0.1:9187";  ///< host:port; port 0 picks a free one; "" disables
  int max_connections = 128;      ///< open connections; past it the longest-idle one is closed
  int idle_timeout_ms = 15000;    ///< a connection idle this long between requests is closed
  int request_timeout_ms = 5000;  ///< a request must arrive whole within this time
};

struct LogConfig {
  std::string level = "info";   ///< trace | debug | info | warn | error
  std::string format = "text";  ///< text | json (one JSON object per line)
  std::string file;             ///< "" = standard error; else appended to, reopened on SIGHUP
};

struct Config {
  std::vector<PipelineConfig> pipelines;
  KafkaConfig kafka;
  OffsetsConfig offsets;
  HttpConfig http;
  LogConfig log;
  /// shutdown.timeout_ms. SIGTERM: the open batch is committed (or, Kafka unreachable, aborted) and
  /// the checkpoint written within this bound; past it the process exits 1 (nothing lost).
  int shutdown_timeout_ms = 30000;
};

/// One problem found in a configuration: the key path (e.g. "pipelines[0].source.port") and a
/// message that says what is wrong and how to fix it.
struct ConfigError {
  std::string path;
  std::string message;
  int line = 0;    ///< 1-based line of the offending YAML node; 0 when not tied to one
  int column = 0;  ///< 1-based column; 0 when not tied to one
  std::string to_string() const {
    std::string text = path.empty() ? message : path + ": " + message;
    if (line > 0) {
      text += " (line " + std::to_string(line) + ", column " + std::to_string(column) + ")";
    }
    return text;
  }
};

/// Bounds on what a load reads and reports: a hostile or mistaken input (`--config /dev/zero`, a
/// file of millions of unknown keys) ends in one clear error instead of gigabytes.
inline constexpr std::size_t kMaxConfigFileBytes = 4 << 20;
inline constexpr std::size_t kMaxPasswordFileBytes = 64 << 10;
/// Errors kept (and printed); the rest are only counted (LoadResult::omitted_errors).
inline constexpr std::size_t kMaxErrors = 50;

struct LoadOptions {
  /// false for commands that connect to nothing (`offsets show`): a secret whose `${NAME}` is
  /// unset (`source.password`, a secret kafka.properties key) is not an error and stays empty,
  /// and `password_file` is not read.
  bool secrets = true;
};

/// Parses and validates YAML text. Collects every problem; returns them all on failure (the first
/// kMaxErrors of them). `${NAME}` is expanded from the environment in every scalar; an unset
/// variable is an error. Messages show a value as written in the YAML (`${NAME}`, not the
/// variable's value, which may be a secret), control bytes escaped.
struct LoadResult {
  std::optional<Config> config;
  std::vector<ConfigError> errors;  ///< at most kMaxErrors
  std::size_t omitted_errors = 0;   ///< further problems found, not kept
};
LoadResult load_from_string(const std::string& yaml_text, const std::string& source_name,
                            const LoadOptions& options = {});
/// Reads at most kMaxConfigFileBytes of `path` (a larger file is an error naming the limit).
LoadResult load_from_file(const std::string& path, const LoadOptions& options = {});

/// The YAML spelling of an enum value ("postgres", "initial_only"), from the option table.
std::string_view to_string(SourceType type);
std::string_view to_string(SnapshotMode mode);

/// Markdown reference of every key (generated from the same option table the parser uses).
std::string reference_markdown();

}  // namespace tributary::config
