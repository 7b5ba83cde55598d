// Topic routing of a pipeline (options_routes.cpp): Debezium's ByLogicalTableRouter and
// topic.delimiter.
#pragma once

#include <string>

namespace tributary::config {

/// One entry of pipelines[].routes: tables whose "schema.table" matches `match` go to `topic`.
struct RouteConfig {
  std::string match;
  std::string topic;
};

struct TopicNamingConfig {
  std::string delimiter = ".";
};

}  // namespace tributary::config
