// pipelines[].signals: defaults, values and the errors of each key.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "helpers.hpp"

namespace tributary::config {
namespace {

using testing::all_errors;
using testing::kMinimal;
using testing::load;
using testing::message_at;

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

TEST_CASE("signals: defaults and values", "[config][signals]") {
  {
    LoadResult result = load(kMinimal);
    REQUIRE(result.config.has_value());
    const SignalsConfig& signals = result.config->pipelines[0].signals;
    CHECK(signals.table.empty());
    CHECK(signals.kafka_topic.empty());
    CHECK(signals.kafka_group_id == "tributary-signals-shop");
  }
  LoadResult result =
      load(with_pipeline("    signals:\n"
                         "      table: public.debezium_signal\n"
                         "      kafka_topic: shop.signals\n"
                         "      kafka_group_id: ops-signals\n"));
  INFO(all_errors(result));
  REQUIRE(result.errors.empty());
  const SignalsConfig& signals = result.config->pipelines[0].signals;
  CHECK(signals.table == "public.debezium_signal");
  CHECK(signals.kafka_topic == "shop.signals");
  CHECK(signals.kafka_group_id == "ops-signals");
}

TEST_CASE("signals: each error names the key and the fix", "[config][signals]") {
  for (const char* bad : {"debezium_signal", "a.b.c", ".t", "s."}) {
    INFO(bad);
    const std::string message =
        message_at(load(with_pipeline(std::string("    signals: {table: \"") + bad + "\"}\n")),
                   "pipelines[0].signals.table");
    CHECK(contains(message, "schema.table"));
  }
  CHECK(contains(message_at(load(with_pipeline("    signals: {kafka_topic: \"bad topic\"}\n")),
                            "pipelines[0].signals.kafka_topic"),
                 "legal Kafka topic name"));
  CHECK(contains(message_at(load(with_pipeline("    signals: {kafka_group_id: \"\"}\n")),
                            "pipelines[0].signals.kafka_group_id"),
                 ""));
  CHECK(contains(
      message_at(load(with_pipeline("    signals: {tabel: x.y}\n")), "pipelines[0].signals.tabel"),
      "table"));
}

}  // namespace tributary::config
