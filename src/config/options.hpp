// The option table: every configuration key with its type, default, bounds, description and
// validator. Parsing, defaults, validation and docs/configuration.md are all driven from it.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace tributary::config::detail {

/// Where a parsed value is stored: the whole configuration, and the list element being parsed
/// (`pipeline` inside `pipelines[]`, `topic_override` inside `kafka.topics.overrides[]`, else
/// null).
struct Target {
  Config* config = nullptr;
  PipelineConfig* pipeline = nullptr;
  TopicOverride* topic_override = nullptr;
  ColumnMaskRule* column_rule = nullptr;  ///< inside pipelines[].columns.<mask list>[]
  RouteConfig* route = nullptr;           ///< inside pipelines[].routes[]
};

enum class Type {
  kSection,     ///< a map of further keys
  kList,        ///< a list of maps; each element is its own scope (`pipelines[]`)
  kString,      ///< a scalar kept as text
  kInteger,     ///< a decimal integer within [min, max]
  kBoolean,     ///< true / false
  kEnum,        ///< one of `allowed`
  kStringList,  ///< a list of scalars, at least `min` of them
  kStringMap,   ///< a map of scalars, numbers and booleans turned into text
};

/// Which struct member a value goes to. Enums bound by index take the position in `allowed`.
using Binding =
    std::variant<std::monostate, std::string& (*)(Target), int& (*)(Target), int64_t& (*)(Target),
                 bool& (*)(Target), std::vector<std::string>& (*)(Target),
                 std::map<std::string, std::string>& (*)(Target), void (*)(Target, std::size_t),
                 std::vector<PipelineConfig>& (*)(Target), std::vector<TopicOverride>& (*)(Target),
                 std::vector<ColumnMaskRule>& (*)(Target), std::vector<RouteConfig>& (*)(Target)>;

/// Checks one value (after ${ENV} expansion). Returns what is wrong and how to fix it, phrased
/// to be followed by ", got '<value>'", or nothing when the value is fine.
using Validator = std::optional<std::string> (*)(const std::string& value);

struct Option {
  std::string_view path;  ///< "pipelines[].source.port"; "[]" stands for each list element
  Type type = Type::kString;
  std::string_view description;  ///< Markdown, one paragraph
  bool required = false;
  std::string_view default_value;  ///< YAML text, parsed exactly like user input; "" = none
  std::string_view default_doc;    ///< how the reference shows the default, when not the YAML
  int64_t min = 0;                 ///< integers: smallest value; lists: fewest elements
  int64_t max = std::numeric_limits<int64_t>::max();  ///< integers: largest value
  std::vector<std::string_view> allowed;              ///< enums: the values, in enum order
  bool secret = false;                                ///< the value never appears in a message
  std::string_view example;      ///< "key: value" shown when a required key is missing
  Validator validate = nullptr;  ///< extra check on each scalar (each element of a list); on an
                                 ///< integer, it runs before the bounds and its message wins
  Binding bind;
  void (*derive)(Target) = nullptr;  ///< computes the default when the key is absent
  std::string_view derived_from;     ///< key `derive` reads; its failure skips the check
};

/// The table, in documentation order: sections before their keys.
const std::vector<Option>& options();
/// The option whose path is exactly `path`, or null.
const Option* find_option(std::string_view path);

/// Checks that involve several keys, one line each, for the reference. The loader implements
/// them in the same order (`cross_checks` in loader.cpp).
const std::vector<std::string_view>& cross_check_descriptions();

/// "pipelines[].source.port" -> "pipelines[].source"; "kafka" -> "".
std::string_view parent_path(std::string_view path);
/// "pipelines[].source.port" -> "pipelines[]"; "kafka.batch" -> "" (the list scope it is in).
std::string_view scope_path(std::string_view path);
/// Last component: "pipelines[].source.port" -> "port".
std::string_view leaf_name(std::string_view path);

/// Keys tributary sets on the librdkafka producer itself, with the key to use instead.
const std::map<std::string, std::string, std::less<>>& reserved_kafka_properties();

}  // namespace tributary::config::detail
