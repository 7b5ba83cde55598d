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
