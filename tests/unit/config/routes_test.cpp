// pipelines[].routes and pipelines[].topic_naming: values, defaults and the errors of each key.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "helpers.hpp"

namespace tributary::config {
namespace {

using testing::all_errors;
using testing::kMinimal;
using testing::load;
using testing::message_at;

/// The minimal configuration with `lines` added to its pipeline (indent 4).
std::string with_pipeline(const std::string& lines) {
  std::string yaml(kMinimal);
  const std::string anchor = "      user: cdc\n";
  yaml.insert(yaml.find(anchor) + anchor.size(), lines);
  return yaml;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("routes and topic_naming: defaults and values", "[config][routes]") {
  {
    LoadResult result = load(kMinimal);
    REQUIRE(result.config.has_value());
    CHECK(result.config->pipelines[0].routes.empty());
    CHECK(result.config->pipelines[0].topic_naming.delimiter == ".");
  }
  LoadResult result =
      load(with_pipeline("    routes:\n"
                         "      - match: \"shop\\\\.shop_([0-9]+)\\\\.orders\"\n"
                         "        topic: shop.orders\n"
                         "      - {match: \"shop\\\\.(.*)\", topic: \"all.$1\"}\n"
                         "    topic_naming: {delimiter: \"_\"}\n"));
  INFO(all_errors(result));
  REQUIRE(result.errors.empty());
  const PipelineConfig& pipeline = result.config->pipelines[0];
  REQUIRE(pipeline.routes.size() == 2);
  CHECK(pipeline.routes[0].match == "shop\\.shop_([0-9]+)\\.orders");
  CHECK(pipeline.routes[0].topic == "shop.orders");
  CHECK(pipeline.routes[1].topic == "all.$1");
  CHECK(pipeline.topic_naming.delimiter == "_");
}

TEST_CASE("routes: each error names the key and the fix", "[config][routes]") {
  const auto route = [](const std::string& match, const std::string& topic) {
    return load(with_pipeline("    routes:\n      - match: \"" + match + "\"\n        topic: \"" +
                              topic + "\"\n"));
  };
  SECTION("invalid regex") {
    const std::string message =
        message_at(route("shop\\\\.(", "x"), "pipelines[0].routes[0].match");
    CHECK(contains(message, "regular expression"));
  }
  SECTION("a group beyond the match's") {
    const std::string message =
        message_at(route("shop\\\\.(.*)", "x.$2"), "pipelines[0].routes[0].topic");
    CHECK(contains(message, "$2"));
    CHECK(contains(message, "has 1 group"));
  }
  SECTION("$1 without any group") {
    CHECK(contains(message_at(route("shop\\\\..*", "x.$1"), "pipelines[0].routes[0].topic"),
                   "has 0 group"));
  }
  SECTION("a $ without a number") {
    CHECK(contains(message_at(route("shop\\\\..*", "x.$name"), "pipelines[0].routes[0].topic"),
                   "without a group number"));
  }
  SECTION("empty topic") {
    CHECK(contains(message_at(route("shop\\\\..*", ""), "pipelines[0].routes[0].topic"),
                   "must not be empty"));
  }
  SECTION("a character Kafka refuses") {
    CHECK(contains(message_at(route("shop\\\\..*", "orders all"), "pipelines[0].routes[0].topic"),
                   "legal Kafka topic name"));
  }
  SECTION("missing keys") {
    LoadResult result = load(with_pipeline("    routes:\n      - match: \"shop\\\\..*\"\n"));
    CHECK(contains(message_at(result, "pipelines[0].routes[0].topic"), "topic: shop.orders"));
  }
  SECTION("two routes with the same match") {
    LoadResult result =
        load(with_pipeline("    routes:\n"
                           "      - {match: \"shop\\\\..*\", topic: a}\n"
                           "      - {match: \"shop\\\\..*\", topic: b}\n"));
    CHECK(contains(message_at(result, "pipelines[0].routes[1].match"), "earlier route"));
  }
  SECTION("a route that is not a map") {
    LoadResult result = load(with_pipeline("    routes: [shop]\n"));
    CHECK(contains(message_at(result, "pipelines[0].routes[0]"), "must be a map"));
  }
}

TEST_CASE("topic_naming.delimiter errors", "[config][routes]") {
  for (const char* bad : {"\"\"", "\"/\"", "\" \""}) {
    LoadResult result =
        load(with_pipeline(std::string("    topic_naming: {delimiter: ") + bad + "}\n"));
    CHECK(contains(message_at(result, "pipelines[0].topic_naming.delimiter"),
                   "legal in a Kafka topic name"));
  }
}

}  // namespace tributary::config

namespace tributary::config {

TEST_CASE("tables.row_filters: values and errors", "[config][routes]") {
  {
    LoadResult result = load(with_pipeline("    tables:\n      row_filters: {public.orders: "
                                           "\"region = 'EU'\"}\n"));
    INFO(all_errors(result));
    REQUIRE(result.errors.empty());
    CHECK(result.config->pipelines[0].tables.row_filters ==
          std::map<std::string, std::string>{{"public.orders", "region = 'EU'"}});
  }
  SECTION("not a schema.table key") {
    LoadResult result = load(with_pipeline("    tables:\n      row_filters: {orders: \"x = 1\"}\n"));
    CHECK(contains(message_at(result, "pipelines[0].tables.row_filters.orders"), "schema.table"));
  }
  SECTION("a mysql pipeline") {
    LoadResult result = load(R"(
pipelines:
  - name: orders
    source: {type: mysql, user: cdc, server_id: 5401}
    tables:
      row_filters: {shop.orders: "region = 'EU'"}
kafka:
  bootstrap_servers: 127.0.0.1:9092
)");
    CHECK(contains(message_at(result, "pipelines[0].tables.row_filters"), "PostgreSQL only"));
  }
}

}  // namespace tributary::config
