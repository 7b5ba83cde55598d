// HealthState: readiness rules and status JSON.
#include "metrics/health.hpp"

#include <catch2/catch.hpp>
#include <string>

using tributary::metrics::HealthState;

TEST_CASE("not ready without pipelines", "[health]") {
  HealthState health;
  std::string why;
  CHECK_FALSE(health.ready(&why));
  CHECK(why == "no pipeline started");
  CHECK_FALSE(health.ready());
}

TEST_CASE("ready needs source, kafka and snapshotting or streaming", "[health]") {
  HealthState health;
  std::string why;
  health.set_source_connected("p1", true);
  CHECK_FALSE(health.ready(&why));
  CHECK(why.find("pipeline 'p1': kafka not connected") != std::string::npos);
  CHECK(why.find("not snapshotting or streaming") != std::string::npos);

  health.set_kafka_connected("p1", true);
  CHECK_FALSE(health.ready(&why));
  CHECK(why == "pipeline 'p1': not snapshotting or streaming yet");

  health.set_snapshotting("p1", true);
  CHECK(health.ready(&why));
  CHECK(why.empty());

  health.set_streaming("p1", true);
  CHECK(health.ready());
  CHECK(health.status_json().find(R"("state":"streaming")") != std::string::npos);

  health.set_source_connected("p1", false);
  CHECK_FALSE(health.ready(&why));
  CHECK(why == "pipeline 'p1': source not connected");
  health.set_source_connected("p1", true);
  CHECK(health.ready());

  health.set_streaming("p1", false);
  CHECK_FALSE(health.ready());
}

TEST_CASE("every pipeline must be ready, failure and shutdown are reported", "[health]") {
  HealthState health;
  for (const char* p : {"a", "b"}) {
    health.set_source_connected(p, true);
    health.set_kafka_connected(p, true);
    health.set_streaming(p, true);
  }
  CHECK(health.ready());

  health.set_failed("b", "slot \"tributary_b\" was dropped");
  std::string why;
  CHECK_FALSE(health.ready(&why));
  CHECK(why == "pipeline 'b': failed: slot \"tributary_b\" was dropped");

  const auto json = health.status_json();
  INFO(json);
  CHECK(json.rfind(R"({"ready":false,"shutting_down":false,"pipelines":{"a":{"state":"streaming")",
                   0) == 0);
  CHECK(json.find(R"("b":{"state":"failed","source_connected":true,"kafka_connected":true,)"
                  R"("error":"slot \"tributary_b\" was dropped"})") != std::string::npos);

  health.set_shutting_down();
  CHECK_FALSE(health.ready(&why));
  CHECK(why.rfind("shutting down; ", 0) == 0);
}

TEST_CASE("a registered pipeline is reported with what it waits for", "[health]") {
  HealthState health;
  health.register_pipeline("shop");
  std::string why;
  CHECK_FALSE(health.ready(&why));
  CHECK(why ==
        "pipeline 'shop': source not connected; pipeline 'shop': kafka not connected; "
        "pipeline 'shop': not snapshotting or streaming yet");
  health.set_waiting_for("shop", "kafka not reachable at k1:9092: Connection refused");
  CHECK_FALSE(health.ready(&why));
  CHECK(why == "pipeline 'shop': kafka not reachable at k1:9092: Connection refused");
  CHECK(health.status_json().find(
            R"("shop":{"state":"starting","source_connected":false,"kafka_connected":false,)"
            R"("waiting_for":"kafka not reachable at k1:9092: Connection refused"})") !=
        std::string::npos);
  health.set_waiting_for("shop", "");
  health.set_source_connected("shop", true);
  health.set_kafka_connected("shop", true);
  health.set_streaming("shop", true);
  CHECK(health.ready());
}

TEST_CASE("a retried pipeline is not ready and names its error and next retry", "[health]") {
  HealthState health;
  for (const char* p : {"a", "b"}) {
    health.set_source_connected(p, true);
    health.set_kafka_connected(p, true);
    health.set_streaming(p, true);
  }
  const auto next = std::chrono::system_clock::now() + std::chrono::seconds(30);
  health.set_retrying("b", "role lacks REPLICATION", 2, next);
  std::string why;
  CHECK_FALSE(health.ready(&why));
  INFO(why);
  CHECK(why.rfind("pipeline 'b': retrying after 2 failure(s) (next retry in ", 0) == 0);
  CHECK(why.find(tributary::metrics::format_utc(next) + "): role lacks REPLICATION") !=
        std::string::npos);
  const auto json = health.status_json();
  INFO(json);
  CHECK(json.find(R"("b":{"state":"retrying","source_connected":true,"kafka_connected":true,)"
                  R"("error":"role lacks REPLICATION","attempts":2,"next_retry_at":")" +
                  tributary::metrics::format_utc(next) + R"("})") != std::string::npos);

  health.clear_retrying("b");
  CHECK(health.ready());
  CHECK(health.status_json().find(R"("b":{"state":"streaming")") != std::string::npos);
}

TEST_CASE("format_utc", "[health]") {
  CHECK(tributary::metrics::format_utc(std::chrono::system_clock::from_time_t(0)) ==
        "1970-01-01T00:00:00Z");
}
