// Data topic names: Debezium's DefaultTopicNamingStrategy (`<prefix><delimiter><schema>
// <delimiter><table>`) and pipelines[].routes (Debezium's ByLogicalTableRouter).
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "config/routes_config.hpp"
#include "event/change_event.hpp"

namespace tributary::envelope {

/// The key field ByLogicalTableRouter adds (its key.field.name default).
inline constexpr std::string_view kPhysicalTableIdentifier = "__dbz__physicalTableIdentifier";

/// Where one table's records go.
struct TopicRoute {
  std::string topic;     ///< the topic the records are written to
  std::string physical;  ///< the table's own topic name; differs from `topic` when routed
  bool routed() const { return topic != physical; }
};

class TopicRouter {
 public:
  /// Throws std::invalid_argument for a route the configuration check would refuse (a bad
  /// regex or template).
  TopicRouter(std::string prefix, std::string delimiter,
              const std::vector<config::RouteConfig>& routes);

  /// The table's topic, routed by the first route whose match matches the whole of its name.
  TopicRoute route(const event::TableId& table) const;

 private:
  struct Compiled {
    std::regex match;
    std::vector<config::TopicTemplatePiece> topic;
  };
  std::string prefix_;
  std::string delimiter_;
  std::vector<Compiled> routes_;
};

/// Debezium's SchemaNameAdjuster (what the router applies to `<topic>.Key` / `.Value` /
/// `.Envelope`): a first character that is not a letter or '_', and any later one that is not a
/// letter, digit, '_' or '.', becomes '_'.
std::string adjust_schema_name(std::string_view name);

}  // namespace tributary::envelope
