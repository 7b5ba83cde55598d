// The checks that involve several keys, run after the whole document was read (their list, for
// the reference, is cross_check_descriptions() in options.cpp).
#include <cerrno>
#include <map>
#include <system_error>

#include "config/load_state.hpp"
#include "config/text.hpp"
#include "config/validators.hpp"
#include "sink/kafka/properties.hpp"

namespace tributary::config::detail {
namespace {

/// Every property librdkafka refuses, with its message: secrets masked, and a value from the
/// environment shown as written.
void check_kafka_properties(LoadState& state,
                            const std::map<std::string, std::string>& properties) {
  for (const auto& problem : sink::check_properties(properties)) {
    std::string message = problem.message;
    for (const auto& [key, value] : properties) {
      auto written = state.written.find("kafka.properties." + key);
      if (written == state.written.end() || value.empty()) continue;
      for (std::size_t at = message.find(value); at != std::string::npos;
           at = message.find(value, at + written->second.size())) {
        message.replace(at, value.size(), written->second);
      }
    }
    state.error("kafka.properties." + problem.name,
                "librdkafka refuses it: " + message +
                    " (fix the key or the value: librdkafka's CONFIGURATION.md lists every "
                    "property and its values)");
  }
}

/// `server_id` is required for mysql and MySQL only; `database` is required for postgres;
/// `slot` and `publication` are PostgreSQL only; `schema_changes` is MySQL only.
void check_source_type_keys(LoadState& state, const Config& config) {
  for (std::size_t i = 0; i < state.pipelines.size() && i < config.pipelines.size(); ++i) {
    const Scope& scope = state.pipelines[i];
    // A missing type is reported as missing, and the keys are checked as for postgres.
    // Keys below a section or element of the wrong kind are not looked at.
    if (scope.rejected.count("pipelines[].source.type") > 0 ||
        scope.rejected.count("pipelines[].source") > 0 || scope.rejected.count("pipelines[]") > 0) {
      continue;
    }
    const std::string source_path = scope.concrete("pipelines[].source");
    if (config.pipelines[i].source.type == SourceType::kMysql) {
      if (scope.present.count("pipelines[].source.server_id") == 0) {
        state.error(scope.concrete("pipelines[].source.server_id"),
                    "is required for type mysql but missing; add 'server_id: 5401' under '" +
                        source_path +
                        "' (any number from 1 to 4294967295 that is unique among the server's "
                        "replicas and binlog readers, and not the server's own server_id)");
      }
      for (const char* key : {"pipelines[].source.slot", "pipelines[].source.publication"}) {
        if (scope.present.count(key) == 0) continue;
        state.error(scope.concrete(key),
                    "is PostgreSQL only; a mysql source reads the binlog and has no " +
                        std::string(leaf_name(key)) + ": remove it (and set 'server_id')");
      }
    } else {
      if (scope.present.count("pipelines[].source.server_id") > 0) {
        state.error(scope.concrete("pipelines[].source.server_id"),
                    "is MySQL only (the binlog replica ID); a postgres source uses 'slot' and "
                    "'publication': remove it, or set 'type: mysql'");
      }
      if (config.pipelines[i].schema_changes) {
        state.error(scope.concrete("pipelines[].schema_changes"),
                    "is MySQL only (schema change records come from binlog DDL); a postgres "
                    "pipeline's schema changes show in the envelopes' schemas: remove it, or set "
                    "'type: mysql'");
      }
      if (scope.present.count("pipelines[].source.database") == 0) {
        state.error(scope.concrete("pipelines[].source.database"),
                    "is required for type postgres but missing; add 'database: shop' under '" +
                        source_path + "'");
      }
    }
  }
}

}  // namespace

void cross_checks(LoadState& state, Config& config) {
  // The order follows detail::cross_check_descriptions().
  // 1. Unique pipeline names.
  std::map<std::string, std::size_t> names;
  for (std::size_t i = 0; i < state.pipelines.size() && i < config.pipelines.size(); ++i) {
    if (!state.pipelines[i].usable("pipelines[].name")) continue;
    const std::string& name = config.pipelines[i].name;
    auto [first, inserted] = names.emplace(name, i);
    if (!inserted) {
      state.error(state.pipelines[i].concrete("pipelines[].name"),
                  "duplicate pipeline name " +
                      state.shown(state.pipelines[i].concrete("pipelines[].name"), name) +
                      " (also pipelines[" + std::to_string(first->second) +
                      "].name); names must be unique because they key the checkpoint file and the "
                      "Kafka transactional.id");
    }
  }

  // 2. One slot per pipeline on the same PostgreSQL database.
  std::map<std::string, std::size_t> slots;
  for (std::size_t i = 0; i < state.pipelines.size() && i < config.pipelines.size(); ++i) {
    const SourceConfig& source = config.pipelines[i].source;
    const Scope& scope = state.pipelines[i];
    if (source.type != SourceType::kPostgres || source.slot.empty() ||
        scope.rejected.count("pipelines[].source.slot") > 0) {
      continue;
    }
    // As written: any of them may come from a variable.
    auto as_written = [&](std::string_view key, const std::string& value) {
      return state.as_written(scope.concrete(key), value);
    };
    const std::string location =
        as_written("pipelines[].source.host", source.host) + ":" +
        as_written("pipelines[].source.port", std::to_string(source.port)) + "/" +
        as_written("pipelines[].source.database", source.database);
    auto [first, inserted] = slots.emplace(location + "\n" + source.slot, i);
    if (!inserted) {
      state.error(
          scope.concrete("pipelines[].source.slot"),
          "replication slot " +
              state.shown(scope.concrete("pipelines[].source.slot"), source.slot) +
              " is also used by pipelines[" + std::to_string(first->second) +
              "] on the same database (" + location +
              "); two pipelines cannot share a slot, set a different 'slot' on one of them");
    }
  }

  // 3. password vs password_file, and reading password_file.
  for (std::size_t i = 0; i < state.pipelines.size() && i < config.pipelines.size(); ++i) {
    SourceConfig& source = config.pipelines[i].source;
    const Scope& scope = state.pipelines[i];
    if (!scope.usable("pipelines[].source.password_file") || source.password_file.empty()) {
      continue;
    }
    const std::string path = scope.concrete("pipelines[].source.password_file");
    if (scope.present.count("pipelines[].source.password") > 0) {
      state.error(path, "is set together with 'password'; set only one of them");
      continue;
    }
    if (!state.options.secrets) continue;  // a command that connects to nothing
    std::string contents;
    if (auto failure =
            detail::read_whole_file(source.password_file, kMaxPasswordFileBytes, contents)) {
      if (*failure == EFBIG) {
        state.error(path, "password file " + state.shown(path, source.password_file) +
                              " holds more than " + describe_size(kMaxPasswordFileBytes) +
                              ", the most tributary reads; it must hold only the password (check "
                              "the path)");
      } else {
        state.error(path, "cannot read password file " + state.shown(path, source.password_file) +
                              ": " + std::generic_category().message(*failure) +
                              "; check the path and that tributary's user may read it");
      }
      continue;
    }
    while (!contents.empty() && (contents.back() == '\n' || contents.back() == '\r')) {
      contents.pop_back();
    }
    if (contents.empty()) {
      state.error(path, "password file " + state.shown(path, source.password_file) +
                            " is empty; write the password into it");
      continue;
    }
    source.password = std::move(contents);
  }

  // 4. Derived defaults are checked in finish_scope, where they are computed.

  // 5. Keys of one source type only.
  check_source_type_keys(state, config);

  // 6. A batch must be able to commit within the transaction timeout.
  if (state.root.rejected.count("kafka.batch.max_ms") == 0 &&
      state.root.rejected.count("kafka.transaction_timeout_ms") == 0 &&
      config.kafka.batch.max_ms >= config.kafka.transaction_timeout_ms) {
    state.error("kafka.batch.max_ms",
                "must be less than kafka.transaction_timeout_ms (" +
                    state.as_written("kafka.transaction_timeout_ms",
                                     std::to_string(config.kafka.transaction_timeout_ms)) +
                    "), got " +
                    state.shown("kafka.batch.max_ms", std::to_string(config.kafka.batch.max_ms)) +
                    "; lower it or raise the transaction timeout");
  }

  // 7. librdkafka properties tributary owns; 8. the others, as librdkafka takes them.
  if (state.root.rejected.count("kafka.properties") == 0) {
    std::map<std::string, std::string> passed;
    for (const auto& [key, value] : config.kafka.properties) {
      auto reserved = detail::reserved_kafka_properties().find(key);
      if (reserved != detail::reserved_kafka_properties().end()) {
        state.error("kafka.properties." + key, "is set by tributary; " + reserved->second);
      } else if (state.options.secrets || !sink::is_secret_property(key)) {
        passed.emplace(key, value);
      }
    }
    check_kafka_properties(state, passed);
  }

  // 9. message_key_columns names captured tables and lists columns (they are checked at load).
  for (std::size_t i = 0; i < state.pipelines.size() && i < config.pipelines.size(); ++i) {
    const Scope& scope = state.pipelines[i];
    if (!scope.usable("pipelines[].message_key_columns")) continue;
    const PipelineConfig& pipeline = config.pipelines[i];
    for (const auto& [table, columns] : pipeline.message_key_columns) {
      const std::string path = scope.concrete("pipelines[].message_key_columns") + "." + table;
      if (auto problem =
              message_key_entry(table, columns, pipeline.tables.include, pipeline.tables.exclude)) {
        state.error(path, std::move(*problem));
      }
    }
  }

  // 10. columns.include and columns.exclude are not both set (Debezium refuses it too).
  for (std::size_t i = 0; i < state.pipelines.size() && i < config.pipelines.size(); ++i) {
    const Scope& scope = state.pipelines[i];
    if (config.pipelines[i].columns.include.empty() ||
        config.pipelines[i].columns.exclude.empty()) {
      continue;
    }
    state.error(scope.concrete("pipelines[].columns.exclude"),
                "cannot be used with pipelines[].columns.include; keep one of them (a column "
                "is kept when include matches it, or when exclude does not)");
  }

  // 11. routes: topic templates name groups their match has; no repeated match.
  check_routes(state, config);
}

}  // namespace tributary::config::detail
