// The option table (in the manner of librdkafka's rdkafka_conf.c): one row per key. Its rows live
// in options_<area>.cpp (one function each, see option_rows.hpp); this file joins them.
#include "config/options.hpp"

#include "config/option_rows.hpp"

namespace tributary::config::detail {
namespace {

std::vector<Option> all_options() {
  std::vector<Option> rows;
  for (auto part : {pipeline_options, snapshot_options, transaction_options, message_options,
                    route_options, type_options, signal_options, column_options,
                    service_options}) {
    auto more = part();
    rows.insert(rows.end(), std::make_move_iterator(more.begin()),
                std::make_move_iterator(more.end()));
  }
  return rows;
}

const std::vector<Option> kOptions = all_options();

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
      "A pipeline sets at most one of `columns.include` and `columns.exclude`.",
      "Each `routes[].topic` refers only to groups its `match` has (`$1` needs one `(...)`), "
      "and no two routes of a pipeline have the same `match`.",
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
