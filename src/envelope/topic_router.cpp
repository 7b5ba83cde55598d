// Data topic names and pipelines[].routes.
#include "envelope/topic_router.hpp"

#include <stdexcept>

#include "envelope/serializer.hpp"

namespace tributary::envelope {

TopicRouter::TopicRouter(std::string prefix, std::string delimiter,
                         const std::vector<config::RouteConfig>& routes)
    : prefix_(std::move(prefix)), delimiter_(std::move(delimiter)) {
  for (const auto& route : routes) {
    Compiled compiled;
    try {
      compiled.match = std::regex(route.match, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
      throw std::invalid_argument("pipelines[].routes[].match '" + route.match +
                                  "' is not a valid regular expression: " + error.what());
    }
    const auto groups = static_cast<unsigned>(compiled.match.mark_count());
    if (auto problem = config::parse_topic_template(route.topic, groups, &compiled.topic)) {
      throw std::invalid_argument("pipelines[].routes[].topic '" + route.topic + "' " + *problem);
    }
    routes_.push_back(std::move(compiled));
  }
}

TopicRoute TopicRouter::route(const event::TableId& table) const {
  TopicRoute out;
  out.physical =
      sanitize_topic_name(prefix_ + delimiter_ + table.schema + delimiter_ + table.table);
  out.topic = out.physical;
  for (const auto& route : routes_) {
    std::smatch groups;
    if (!std::regex_match(out.physical, groups, route.match)) continue;
    std::string topic;
    for (const auto& piece : route.topic) {
      if (piece.group < 0) {
        topic += piece.text;
      } else {
        topic += groups[static_cast<std::size_t>(piece.group)].str();
      }
    }
    // ByLogicalTableRouter: an empty result leaves the record where it was.
    if (!topic.empty()) out.topic = std::move(topic);
    break;
  }
  return out;
}

std::string adjust_schema_name(std::string_view name) {
  std::string out(name);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool ok = i == 0 ? letter : letter || (c >= '0' && c <= '9') || c == '.';
    if (!ok) out[i] = '_';
  }
  return out;
}

}  // namespace tributary::envelope
