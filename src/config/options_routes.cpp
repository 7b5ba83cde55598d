// The option table's rows for pipelines[].routes and pipelines[].topic_naming, and the check of
// each route's topic template against its match (check_routes).
#include <algorithm>
#include <limits>
#include <regex>
#include <set>

#include "config/load_state.hpp"
#include "config/option_rows.hpp"

namespace tributary::config::detail {

namespace {

bool is_topic_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

/// A route's topic: not empty; its literal characters legal in a Kafka topic name; each `$` a
/// group number (the groups are checked against `match` by check_routes).
std::optional<std::string> route_topic(const std::string& value) {
  if (value.empty()) {
    return "must not be empty: give the topic the matched tables go to, e.g. "
           "'topic: shop.orders' or 'topic: shop.$1'";
  }
  std::vector<TopicTemplatePiece> pieces;
  if (auto problem =
          parse_topic_template(value, std::numeric_limits<unsigned>::max() / 10, &pieces)) {
    return *problem;
  }
  for (const auto& piece : pieces) {
    for (char c : piece.text) {
      if (!is_topic_char(c)) {
        return "must be a legal Kafka topic name once its groups are filled in: letters, "
               "digits, '.', '_', '-' and $1.. for the match's groups, not '" +
               std::string(1, c) + "'";
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> delimiter(const std::string& value) {
  if (value.empty() || value.size() > 16 ||
      !std::all_of(value.begin(), value.end(), is_topic_char)) {
    return "must be 1 to 16 characters legal in a Kafka topic name (letters, digits, '.', '_' or "
           "'-'), e.g. '.' (Debezium's default) or '_'";
  }
  return std::nullopt;
}

}  // namespace

std::vector<Option> route_options() {
  return {
      {.path = "pipelines[].tables.row_filters",
       .type = Type::kStringMap,
       .description =
           "PostgreSQL 15+ only: a publication row filter per table, `schema.table: "
           "\"<condition>\"` (the exact name of a captured table; the condition is SQL on that "
           "table's columns, as in `CREATE PUBLICATION ... FOR TABLE t WHERE (<condition>)`). "
           "tributary creates its publication with the filter, corrects the filter of a table "
           "already in it (dropped and added again in one transaction, at start), and the "
           "initial snapshot reads only the rows the condition holds for, so the topic holds "
           "only matching rows. A filtered table must have REPLICA IDENTITY FULL: PostgreSQL "
           "refuses UPDATE and DELETE on a table whose row filter uses columns outside its "
           "replica identity, so tributary stops with the fix instead. PostgreSQL applies the "
           "filter to the old and the new row of an UPDATE: a row that moves into the filter "
           "arrives as an INSERT (`op: c`), one that moves out of it as a DELETE (`op: d`, "
           "with its tombstone), a row outside it before and after sends nothing. Debezium has "
           "no such key (its `publication.autocreate.mode: filtered` publication has no row "
           "filter; a publication made by hand with one works with it the same way).",
       .example = "row_filters: {public.orders: \"region = 'EU'\"}",
       .validate = not_empty,
       .bind = FIELD(pipeline->tables.row_filters)},
      {.path = "pipelines[].routes",
       .type = Type::kList,
       .description =
           "Debezium's `ByLogicalTableRouter` SMT (`io.debezium.transforms.ByLogicalTableRouter`, "
           "with its defaults `key.enforce.uniqueness: true` and `key.field.name: "
           "__dbz__physicalTableIdentifier`), to merge sharded tables into one topic. A table's "
           "data topic (`<topic_prefix>.<schema>.<table>`, MySQL: `<topic_prefix>.<database>."
           "<table>`, with `topic_naming.delimiter`) is matched against each route's `match` in "
           "list order; the first that matches the whole name renames the topic to its `topic`. "
           "As Debezium's router does, the record key gets the extra string field "
           "`__dbz__physicalTableIdentifier` holding the original topic name (so equal keys of "
           "different shards stay apart), the key and value schema names follow the new topic "
           "(`<topic>.Key`, `<topic>.Value`, `<topic>.Envelope`, characters not allowed in an "
           "Avro name turned into '_'), and the value's `source` block keeps the real schema and "
           "table. Heartbeat, transaction, message and schema change topics are not routed. "
           "E.g. `routes: [{match: \"shop\\\\.public\\\\.orders_[0-9]+\", topic: "
           "\"shop.orders\"}]`.",
       .bind = FIELD(pipeline->routes)},
      {.path = "pipelines[].routes[].match",
       .type = Type::kString,
       .description =
           "Debezium's `topic.regex`: an ECMAScript regular expression that must match the "
           "whole data topic name (`<topic_prefix>.<schema>.<table>`), case-sensitive.",
       .required = true,
       .example = "match: \"shop\\\\.public\\\\.orders_([0-9]+)\"",
       .validate = regular_expression,
       .bind = FIELD(route->match)},
      {.path = "pipelines[].routes[].topic",
       .type = Type::kString,
       .description =
           "Debezium's `topic.replacement`: the whole new topic name (the prefix is not added), "
           "where `$1`, `$2`.. are the groups of `match` (`$0` the whole name) and `\\\\$` is a "
           "`$`, as Java's `Matcher.replaceFirst` reads it. A route whose groups fill in to an "
           "empty name leaves the topic as it was (Debezium logs a warning and does the same).",
       .required = true,
       .example = "topic: shop.orders",
       .validate = route_topic,
       .bind = FIELD(route->topic)},
      {.path = "pipelines[].topic_naming",
       .type = Type::kSection,
       .description = "How topic names are built, as Debezium's default topic naming strategy "
                      "(`topic.naming.strategy: io.debezium.schema.DefaultTopicNamingStrategy`)."},
      {.path = "pipelines[].topic_naming.delimiter",
       .type = Type::kString,
       .description =
           "Debezium's `topic.delimiter`: put between the parts of a data topic, "
           "`<topic_prefix><delimiter><schema><delimiter><table>` (what `routes[].match` "
           "sees). Debezium's strategy also uses it in the transaction topic "
           "(`<topic_prefix><delimiter>transaction`) and the heartbeat topic "
           "(`__debezium-heartbeat<delimiter><topic_prefix>`); tributary uses it for data topics "
           "only so far, and those two keep '.'. The logical decoding message topic "
           "(`<topic_prefix>.message`) and the schema change topic (`<topic_prefix>`) do not use "
           "it in Debezium either.",
       .default_value = ".",
       .validate = delimiter,
       .bind = FIELD(pipeline->topic_naming.delimiter)},
  };
}

void check_routes(LoadState& state, const Config& config) {
  // tables.row_filters: PostgreSQL only, keyed by schema.table.
  for (std::size_t i = 0; i < config.pipelines.size() && i < state.pipelines.size(); ++i) {
    const Scope& scope = state.pipelines[i];
    if (!scope.usable("pipelines[].tables.row_filters")) continue;
    const std::string path = scope.concrete("pipelines[].tables.row_filters");
    if (config.pipelines[i].source.type != SourceType::kPostgres) {
      state.error(path,
                  "is PostgreSQL only (publication row filters); a mysql source has no such "
                  "filter: remove it");
      continue;
    }
    for (const auto& [table, condition] : config.pipelines[i].tables.row_filters) {
      const std::size_t dot = table.find('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == table.size() ||
          table.find('.', dot + 1) != std::string::npos) {
        state.error(path + "." + table,
                    "must be keyed by a table's schema.table name, e.g. public.orders: \"region "
                    "= 'EU'\"");
      }
    }
  }
  std::size_t next_scope = 0;  // state.routes holds every pipeline's routes, in order
  for (std::size_t i = 0; i < config.pipelines.size() && i < state.pipelines.size(); ++i) {
    const std::vector<RouteConfig>& routes = config.pipelines[i].routes;
    std::set<std::string> seen;
    for (std::size_t j = 0; j < routes.size(); ++j, ++next_scope) {
      if (next_scope >= state.routes.size()) return;
      const Scope& scope = state.routes[next_scope];
      if (!scope.usable("pipelines[].routes[].match") ||
          !scope.usable("pipelines[].routes[].topic")) {
        continue;
      }
      const RouteConfig& route = routes[j];
      if (!seen.insert(route.match).second) {
        state.error(scope.concrete("pipelines[].routes[].match"),
                    "repeats the match of an earlier route, which takes every table it matches: "
                    "remove this route or change its match");
        continue;
      }
      unsigned groups = 0;
      try {
        groups =
            static_cast<unsigned>(std::regex(route.match, std::regex::ECMAScript).mark_count());
      } catch (const std::regex_error&) {
        continue;  // reported by its validator
      }
      if (auto problem = parse_topic_template(route.topic, groups, nullptr)) {
        state.error(scope.concrete("pipelines[].routes[].topic"), std::move(*problem));
      }
    }
  }
}

}  // namespace tributary::config::detail
