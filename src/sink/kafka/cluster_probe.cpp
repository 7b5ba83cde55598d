// Kafka reachability probe for `tributary check`.
#include "sink/kafka/cluster_probe.hpp"

#include <librdkafka/rdkafka.h>

#include <memory>

namespace tributary::sink {

Result<int> probe_cluster(const std::string& bootstrap_servers,
                          const std::map<std::string, std::string>& properties,
                          std::chrono::milliseconds timeout) {
  char reason[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& name, const std::string& value,
                 const std::string& key) -> Result<void> {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason, sizeof reason) !=
        RD_KAFKA_CONF_OK) {
      return Error::config(key + ": " + reason);
    }
    return {};
  };
  Result<void> ok = set("bootstrap.servers", bootstrap_servers, "kafka.bootstrap_servers");
  for (const auto& [name, value] : properties) {
    if (!ok.ok()) break;
    ok = set(name, value, "kafka.properties." + name);
  }
  // librdkafka's own log lines would interleave with the check's report: keep them quiet.
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int, const char*, const char*) {});
  if (!ok.ok()) {
    rd_kafka_conf_destroy(conf);
    return ok.error();
  }
  rd_kafka_t* client = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
  if (client == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error::config(std::string("kafka client: ") + reason);
  }
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> owned(client, rd_kafka_destroy);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(client, 0, nullptr, &metadata, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error::retriable("cannot reach Kafka at " + bootstrap_servers + ": " +
                            rd_kafka_err2name(err) + ": " + rd_kafka_err2str(err) +
                            " (fix: check kafka.bootstrap_servers, the network, and the "
                            "security settings in kafka.properties)");
  }
  int brokers = metadata->broker_cnt;
  rd_kafka_metadata_destroy(metadata);
  return brokers;
}

}  // namespace tributary::sink
