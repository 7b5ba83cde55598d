// kafka.topics: defaults, overrides, the errors of each key, and the policy the sink derives.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "helpers.hpp"
#include "sink/kafka/topic_admin.hpp"

namespace tributary::config {
namespace {

using testing::all_errors;
using testing::kMinimal;
using testing::load;
using testing::message_at;

/// The minimal configuration with `lines` under `kafka.topics:` (indent 4).
std::string with_topics(const std::string& lines) {
  return std::string(kMinimal) + "  topics:\n" + lines;
}

Config load_valid(const std::string& yaml) {
  LoadResult result = load(yaml);
  INFO(all_errors(result));
  REQUIRE(result.errors.empty());
  REQUIRE(result.config.has_value());
  return *result.config;
}

TEST_CASE("kafka.topics defaults are Debezium's topic.creation.default", "[config][topics]") {
  const Config config = load_valid(kMinimal);
  const TopicsConfig& topics = config.kafka.topics;
  const TopicsConfig expected;  // the defaults written in config.hpp must match the table
  CHECK(topics.create);
  CHECK(topics.partitions == 1);
  CHECK(topics.replication_factor == -1);
  CHECK(topics.config.empty());
  CHECK(topics.overrides.empty());
  CHECK(topics.create == expected.create);
  CHECK(topics.partitions == expected.partitions);
  CHECK(topics.replication_factor == expected.replication_factor);
}

TEST_CASE("kafka.topics with every key set", "[config][topics]") {
  const Config config =
      load_valid(with_topics("    create: false\n"
                             "    partitions: -1\n"
                             "    replication_factor: 3\n"
                             "    config: {retention.ms: 604800000, cleanup.policy: delete}\n"
                             "    overrides:\n"
                             "      - match: \"shop\\\\.public\\\\.orders\"\n"
                             "        partitions: 12\n"
                             "        config: {compression.type: lz4}\n"
                             "      - match: \"shop\\\\.audit\\\\..*\"\n"
                             "        replication_factor: -1\n"));
  const TopicsConfig& topics = config.kafka.topics;
  CHECK_FALSE(topics.create);
  CHECK(topics.partitions == -1);
  CHECK(topics.replication_factor == 3);
  CHECK(topics.config == std::map<std::string, std::string>{{"retention.ms", "604800000"},
                                                            {"cleanup.policy", "delete"}});
  REQUIRE(topics.overrides.size() == 2);
  CHECK(topics.overrides[0].match == "shop\\.public\\.orders");
  CHECK(topics.overrides[0].partitions == 12);
  CHECK(topics.overrides[0].replication_factor == 0);  // not set: kafka.topics' value applies
  CHECK(topics.overrides[0].config ==
        std::map<std::string, std::string>{{"compression.type", "lz4"}});
  CHECK(topics.overrides[1].match == "shop\\.audit\\..*");
  CHECK(topics.overrides[1].partitions == 0);
  CHECK(topics.overrides[1].replication_factor == -1);
  CHECK(topics.overrides[1].config.empty());
}

TEST_CASE("kafka.topics partition counts and replication factors", "[config][topics][errors]") {
  const std::string rule = "must be -1 (the broker's default) or an integer of at least 1";
  const LoadResult result =
      load(with_topics("    partitions: 0\n"
                       "    replication_factor: -2\n"
                       "    overrides:\n"
                       "      - {match: a, partitions: -7, replication_factor: 0}\n"
                       "      - {match: b, partitions: many, replication_factor: 40000}\n"));
  CHECK(message_at(result, "kafka.topics.partitions") == rule + ", got '0'");
  CHECK(message_at(result, "kafka.topics.replication_factor") == rule + ", got '-2'");
  CHECK(message_at(result, "kafka.topics.overrides[0].partitions") == rule + ", got '-7'");
  CHECK(message_at(result, "kafka.topics.overrides[0].replication_factor") == rule + ", got '0'");
  CHECK(message_at(result, "kafka.topics.overrides[1].partitions") ==
        "must be an integer between -1 and 2147483647, got 'many'");
  CHECK(message_at(result, "kafka.topics.overrides[1].replication_factor") ==
        "must be an integer between -1 and 32767, got '40000'");
  CHECK(result.errors.size() == 6);
  for (const auto& error : result.errors) {
    if (error.path == "kafka.topics.partitions") {
      CHECK(error.line == 11);
      CHECK(error.column == 17);
    }
  }
}

TEST_CASE("kafka.topics.overrides errors", "[config][topics][errors]") {
  SECTION("a pattern that does not compile") {
    const LoadResult result = load(with_topics("    overrides: [{match: \"shop.(orders\"}]\n"));
    const std::string message = message_at(result, "kafka.topics.overrides[0].match");
    CHECK(message ==
          "must be a valid ECMAScript regular expression: it has a '(' without its ')' at offset "
          "5; close the group, or write '\\(' for a literal '(', got 'shop.(orders'");
    CHECK(result.errors.size() == 1);
  }
  SECTION("an override without match") {
    CHECK(message_at(load(with_topics("    overrides: [{partitions: 3}]\n")),
                     "kafka.topics.overrides[0].match") ==
          "is required but missing; add 'match: \"shop\\\\.public\\\\..*\"' under "
          "'kafka.topics.overrides[0]'");
  }
  SECTION("an override that is not a map") {
    CHECK(message_at(load(with_topics("    overrides: [\"shop\\\\..*\"]\n")),
                     "kafka.topics.overrides[0]") ==
          "each override must be a map of keys (match, partitions, replication_factor, ...), got "
          "a single value");
  }
  SECTION("overrides that are not a list") {
    CHECK(message_at(load(with_topics("    overrides: {match: a}\n")), "kafka.topics.overrides") ==
          "must be a list ('- ' entries indented below it), got a map");
  }
  SECTION("an unknown key in an override, and in kafka.topics") {
    const LoadResult result =
        load(with_topics("    partition: 3\n    overrides: [{match: a, replication: 2}]\n"));
    CHECK(message_at(result, "kafka.topics.partition") ==
          "unknown key 'partition'; did you mean 'partitions'?");
    CHECK(message_at(result, "kafka.topics.overrides[0].replication") ==
          "unknown key 'replication'; valid keys here are: match, partitions, replication_factor, "
          "config");
    CHECK(result.errors.size() == 2);
  }
  SECTION("config values") {
    const LoadResult result =
        load(with_topics("    config: {retention.ms: [1, 2]}\n    create: sometimes\n"));
    CHECK(message_at(result, "kafka.topics.config.retention.ms") ==
          "must be a string, number or boolean (librdkafka takes text), got a list");
    CHECK(message_at(result, "kafka.topics.create") == "must be true or false, got 'sometimes'");
  }
}

TEST_CASE("the topic policy: first full match, inherited keys, compacted offsets topic",
          "[config][topics]") {
  sink::TopicSettings defaults{2, 3, {{"retention.ms", "1000"}, {"compression.type", "zstd"}}};
  const std::vector<sink::TopicRule> rules = {
      {"shop\\.public\\.orders", {12, 0, {{"retention.ms", "-1"}}}},
      {"shop\\.public\\..*", {-1, -1, {}}},
      {"shop\\.public\\.orders", {99, 99, {}}},  // never reached: the first match wins
  };
  const sink::TopicPolicy policy(true, defaults, rules, "tributary.offsets");
  CHECK(policy.create());

  const sink::TopicSettings orders = policy.settings_for("shop.public.orders");
  CHECK(orders.partitions == 12);
  CHECK(orders.replication_factor == 3);  // 0 in the rule: the default
  CHECK(orders.config ==
        std::map<std::string, std::string>{{"retention.ms", "-1"}, {"compression.type", "zstd"}});

  const sink::TopicSettings items = policy.settings_for("shop.public.items");
  CHECK(items.partitions == -1);
  CHECK(items.replication_factor == -1);
  CHECK(items.config == defaults.config);

  // A match must cover the whole name.
  CHECK(policy.settings_for("xshop.public.orders").partitions == 2);
  CHECK(policy.settings_for("shop.public.orders.v2").partitions == -1);
  CHECK(policy.settings_for("other.public.orders").partitions == 2);

  const sink::TopicSettings offsets = policy.settings_for("tributary.offsets");
  CHECK(offsets.partitions == 1);
  CHECK(offsets.replication_factor == 3);
  CHECK(offsets.config.at("cleanup.policy") == "compact");

  CHECK(sink::describe_settings(orders) ==
        "partitions 12, replication factor 3, config compression.type=zstd retention.ms=-1");
  CHECK(sink::describe_settings(items) ==
        "partitions the broker's default, replication factor the broker's default, config "
        "compression.type=zstd retention.ms=1000");
  CHECK(sink::create_topic_command("k:9092", "tributary.offsets", offsets) ==
        "kafka-topics.sh --bootstrap-server k:9092 --create --topic tributary.offsets "
        "--partitions 1 --replication-factor 3 --config cleanup.policy=compact "
        "--config compression.type=zstd --config retention.ms=1000");
}

TEST_CASE("an override that sets cleanup.policy cannot uncompact the offsets topic",
          "[config][topics]") {
  const sink::TopicPolicy policy(false, {}, {{".*", {8, 0, {{"cleanup.policy", "delete"}}}}},
                                 "tributary.offsets");
  CHECK_FALSE(policy.create());
  CHECK(policy.settings_for("tributary.offsets").config.at("cleanup.policy") == "compact");
  CHECK(policy.settings_for("tributary.offsets").partitions == 1);
  CHECK(policy.settings_for("shop.public.items").partitions == 8);
}

}  // namespace
}  // namespace tributary::config
