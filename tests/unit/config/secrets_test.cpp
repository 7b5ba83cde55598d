// Secrets never appear in messages: a ${VAR} is shown as written, librdkafka's echoes of secret
// property values are masked; commands that connect to nothing need no secrets.
#include <catch2/catch.hpp>
#include <string>

#include "config/config.hpp"
#include "helpers.hpp"
#include "sink/kafka/properties.hpp"

namespace tributary::config {
namespace {

using testing::all_errors;
using testing::load;
using testing::message_at;
using testing::ScopedEnvironment;

constexpr const char* kSecret = "hunter2-s3cret";

std::string pipeline_with(const std::string& source_extra, const std::string& kafka_extra = "",
                          const std::string& pipeline_extra = "") {
  return "pipelines:\n"
         "  - name: shop\n"
         "    source: {type: postgres, database: shop, user: cdc" +
         source_extra + "}\n" + pipeline_extra +
         "kafka:\n"
         "  bootstrap_servers: 127.0.0.1:9092\n" +
         kafka_extra;
}

TEST_CASE("a ${VAR} in the wrong key is shown as written, never its value", "[config][secret]") {
  ScopedEnvironment secret("DB_PASSWORD", kSecret);
  SECTION("integer") {
    const LoadResult result = load(pipeline_with(", port: \"${DB_PASSWORD}\""));
    CHECK(message_at(result, "pipelines[0].source.port") ==
          "must be an integer between 1 and 65535, got '${DB_PASSWORD}' (the variable's value is "
          "not shown)");
    CHECK(all_errors(result).find(kSecret) == std::string::npos);
  }
  SECTION("enum, without a suggestion derived from the value") {
    ScopedEnvironment close("CLOSE_TO_PREFER", "prefr");
    const LoadResult result = load(pipeline_with(", sslmode: \"${CLOSE_TO_PREFER}\""));
    CHECK(message_at(result, "pipelines[0].source.sslmode") ==
          "must be one of 'disable', 'allow', 'prefer', 'require', 'verify-ca' or 'verify-full', "
          "got '${CLOSE_TO_PREFER}' (the variable's value is not shown)");
  }
  SECTION("list element, string, boolean, derived checks across keys") {
    ScopedEnvironment name("PIPELINE_NAME", "Not a name!");
    const LoadResult result = load(
        "pipelines:\n"
        "  - name: ${PIPELINE_NAME}\n"
        "    source: {type: postgres, database: shop, user: cdc}\n"
        "    tables: {include: [\"${DB_PASSWORD}(\"]}\n"
        "    envelope: {schemas: \"${DB_PASSWORD}\"}\n"
        "kafka:\n"
        "  bootstrap_servers: 127.0.0.1:9092\n"
        "  batch: {max_ms: 10}\n"
        "  transaction_timeout_ms: 1000\n");
    CHECK_THAT(message_at(result, "pipelines[0].name"),
               Catch::EndsWith("got '${PIPELINE_NAME}' (the variable's value is not shown)"));
    CHECK_THAT(message_at(result, "pipelines[0].tables.include[0]"),
               Catch::EndsWith("got '${DB_PASSWORD}(' (the variable's value is not shown)"));
    CHECK(message_at(result, "pipelines[0].envelope.schemas") ==
          "must be true or false, got '${DB_PASSWORD}' (the variable's value is not shown)");
    CHECK(all_errors(result).find(kSecret) == std::string::npos);
    CHECK(all_errors(result).find("Not a name!") == std::string::npos);
  }
  SECTION("a check across keys") {
    ScopedEnvironment batch("BATCH_MS", "424242");
    const LoadResult result = load(
        pipeline_with("", "  batch: {max_ms: \"${BATCH_MS}\"}\n  transaction_timeout_ms: 1000\n"));
    CHECK(message_at(result, "kafka.batch.max_ms") ==
          "must be less than kafka.transaction_timeout_ms (1000), got '${BATCH_MS}'; lower it or "
          "raise the transaction timeout");
  }
}

TEST_CASE("librdkafka's echo of a secret value is masked", "[config][secret][kafka]") {
  const std::map<std::string, std::string> properties = {
      {"sasl.password", kSecret},
      {"ssl.key.password", "other-secret"},
      {"sasl.oauthbearer.client.secret", "third-secret"},
      {"security.protocol", "SASL_SSL"},
  };
  CHECK(sink::mask_secret_values(
            "Invalid value \"hunter2-s3cret\" for configuration property \"sasl.password\"; "
            "other-secret and third-secret too",
            properties) ==
        "Invalid value \"[masked]\" for configuration property \"sasl.password\"; [masked] and "
        "[masked] too");
  CHECK(sink::mask_secret_values("SASL_SSL is not a secret", properties) ==
        "SASL_SSL is not a secret");
  for (const char* key :
       {"sasl.password", "ssl.key.password", "ssl.keystore.password", "ssl.key.pem",
        "ssl.certificate.pem", "sasl.oauthbearer.client.secret", "sasl.oauthbearer.config",
        "SASL.PASSWORD", "some.token", "x.credentials"}) {
    INFO(key);
    CHECK(sink::is_secret_property(key));
  }
  for (const char* key : {"security.protocol", "sasl.username", "ssl.key.location", "acks"}) {
    INFO(key);
    CHECK_FALSE(sink::is_secret_property(key));
  }
}

TEST_CASE("kafka.properties are checked by librdkafka when the config loads, all at once",
          "[config][kafka]") {
  ScopedEnvironment secret("KAFKA_SECRET", kSecret);
  const LoadResult result = load(pipeline_with("",
                                               "  properties:\n"
                                               "    sasl.pasword: x\n"
                                               "    no.such.property: 1\n"
                                               "    security.protocol: ${KAFKA_SECRET}\n"
                                               "    sasl.password: ${KAFKA_SECRET}\n"
                                               "    compression.type: \"" +
                                                   std::string(kSecret) +
                                                   "\"\n"
                                                   "    acks: all\n"
                                                   "    linger.ms: 5\n"));
  const std::string fix =
      " (fix the key or the value: librdkafka's CONFIGURATION.md lists every property and its "
      "values)";
  CHECK(message_at(result, "kafka.properties.sasl.pasword") ==
        "librdkafka refuses it: No such configuration property: \"sasl.pasword\"" + fix);
  CHECK(message_at(result, "kafka.properties.no.such.property") ==
        "librdkafka refuses it: No such configuration property: \"no.such.property\"" + fix);
  // A secret's value is masked wherever librdkafka echoes it.
  CHECK(message_at(result, "kafka.properties.security.protocol") ==
        "librdkafka refuses it: Invalid value \"[masked]\" for configuration property "
        "\"security.protocol\"" +
            fix);
  CHECK(message_at(result, "kafka.properties.compression.type") ==
        "librdkafka refuses it: Invalid value \"[masked]\" for configuration property "
        "\"compression.codec\"" +
            fix);
  CHECK(result.errors.size() == 4);
  CHECK(all_errors(result).find(kSecret) == std::string::npos);
  CHECK(result.errors[0].line > 0);
}

TEST_CASE("a ${VAR} in a kafka property is shown as written in librdkafka's message",
          "[config][kafka][secret]") {
  ScopedEnvironment protocol("PROTOCOL", "plaintextt");
  const LoadResult result =
      load(pipeline_with("", "  properties: {security.protocol: \"${PROTOCOL}\"}\n"));
  CHECK(message_at(result, "kafka.properties.security.protocol") ==
        "librdkafka refuses it: Invalid value \"${PROTOCOL}\" for configuration property "
        "\"security.protocol\" (fix the key or the value: librdkafka's CONFIGURATION.md lists "
        "every property and its values)");
}

TEST_CASE("without secrets (offsets show), unset secret variables and password files are fine",
          "[config][secret]") {
  ScopedEnvironment unset("TRIBUTARY_TEST_UNSET", nullptr);
  const std::string yaml =
      pipeline_with(", password: \"${TRIBUTARY_TEST_UNSET}\"",
                    "  properties: {sasl.password: \"${TRIBUTARY_TEST_UNSET}\"}\n");
  const std::string with_file = pipeline_with(", password_file: /nonexistent/tributary/secret");
  LoadOptions offline;
  offline.secrets = false;
  SECTION("run and check need them") {
    const LoadResult result = load(yaml);
    CHECK_THAT(message_at(result, "pipelines[0].source.password"),
               Catch::StartsWith("uses environment variable 'TRIBUTARY_TEST_UNSET', which is not "
                                 "set"));
    CHECK_THAT(message_at(result, "kafka.properties.sasl.password"),
               Catch::StartsWith("uses environment variable 'TRIBUTARY_TEST_UNSET'"));
    CHECK_THAT(message_at(load(with_file), "pipelines[0].source.password_file"),
               Catch::StartsWith("cannot read password file"));
  }
  SECTION("offsets show does not") {
    const LoadResult result = load_from_string(yaml, "test.yaml", offline);
    INFO(all_errors(result));
    REQUIRE(result.config.has_value());
    CHECK(result.config->pipelines[0].source.password.empty());
    CHECK(result.config->kafka.properties.count("sasl.password") == 0);
    const LoadResult file_result = load_from_string(with_file, "test.yaml", offline);
    INFO(all_errors(file_result));
    CHECK(file_result.config.has_value());
  }
  SECTION("other unset variables are still errors") {
    const LoadResult result = load_from_string(pipeline_with(", host: \"${TRIBUTARY_TEST_UNSET}\""),
                                               "test.yaml", offline);
    CHECK_THAT(message_at(result, "pipelines[0].source.host"),
               Catch::StartsWith("uses environment variable 'TRIBUTARY_TEST_UNSET'"));
  }
}

}  // namespace
}  // namespace tributary::config
