// The offsets-record reader: the last record of this pipeline on the offsets topic, read with a
// read_committed consumer of its own (TransactionalProducer::read_last_offsets_record).
#include <librdkafka/rdkafka.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "sink/kafka/librdkafka_conf.hpp"
#include "sink/kafka/transactional_producer.hpp"

namespace tributary::sink {
namespace {

using namespace detail;

/// Offsets scanned backwards per step when looking for the last offsets record; doubles each step.
constexpr int64_t kFirstScanWindow = 64;

/// Producer-only settings in kafka.properties make a consumer warn at creation; the offsets
/// reader takes the rest (security, client.rack...) and drops those warnings.
void consumer_log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  if (std::string_view(facility) == "CONFWARN") return;
  const auto* options = static_cast<const ProducerOptions*>(rd_kafka_opaque(rk));
  if (options == nullptr) return log_from_librdkafka(std::string(), level, facility, text);
  log_from_librdkafka(options->pipeline, level, facility,
                      mask_secret_values(text, options->properties).c_str());
}

struct KafkaHandle {
  rd_kafka_t* rk = nullptr;
  ~KafkaHandle() {
    if (rk) rd_kafka_destroy(rk);
  }
};
struct TopicHandle {
  rd_kafka_topic_t* rkt = nullptr;
  ~TopicHandle() {
    if (rkt) rd_kafka_topic_destroy(rkt);
  }
};
struct MetadataHandle {
  const rd_kafka_metadata_t* metadata = nullptr;
  ~MetadataHandle() {
    if (metadata) rd_kafka_metadata_destroy(metadata);
  }
};
struct PartitionListHandle {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  ~PartitionListHandle() { rd_kafka_topic_partition_list_destroy(list); }
};

}  // namespace

Result<std::optional<std::string>> TransactionalProducer::read_last_offsets_record(
    std::chrono::milliseconds timeout) {
  using Found = std::optional<std::string>;
  if (in_transaction_) {
    // Our own open transaction would hold the read_committed end back until it times out.
    return Error::fatal("kafka: read_last_offsets_record while a transaction is open");
  }
  const auto deadline = Clock::now() + timeout;
  const std::string& topic = options_.offsets_topic;
  const std::string where = "offsets topic " + topic;

  ConfHolder holder;
  rd_kafka_conf_t* conf = holder.conf;
  if (!options_.bootstrap_servers.empty()) {
    if (auto set = set_internal(conf, "bootstrap.servers", options_.bootstrap_servers); !set) {
      return set.error();
    }
  }
  if (auto set = set_internal(conf, "client.id", "tributary-" + options_.pipeline + "-offsets");
      !set) {
    return set.error();
  }
  std::map<std::string, std::string> user = options_.properties;
  for (const char* producer_only : {"transaction.timeout.ms", "statistics.interval.ms"}) {
    user.erase(producer_only);
  }
  if (auto set = set_user_properties(conf, user); !set) return set.error();
  const std::pair<const char*, std::string> forced[] = {
      {"isolation.level", "read_committed"},
      {"enable.auto.commit", "false"},
      {"enable.partition.eof", "true"},
      {"auto.offset.reset", "earliest"},
      {"allow.auto.create.topics", "false"},
      // rd_kafka_assign() needs a group (librdkafka 2.0); nothing is joined or committed.
      {"group.id", "tributary-offsets-reader-" + options_.pipeline},
  };
  for (const auto& [name, value] : forced) {
    if (auto set = set_internal(conf, name, value); !set) return set.error();
  }
  rd_kafka_conf_set_opaque(conf, const_cast<ProducerOptions*>(&options_));
  rd_kafka_conf_set_log_cb(conf, &consumer_log_cb);

  char reason[512];
  KafkaHandle consumer;
  consumer.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, reason, sizeof reason);
  if (!consumer.rk) {
    return Error::config("kafka offsets reader: " +
                         mask_secret_values(reason, options_.properties));
  }
  holder.release();
  rd_kafka_t* rk = consumer.rk;

  TopicHandle topic_handle;
  topic_handle.rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  if (!topic_handle.rkt) {
    return Error::config(where + ": " + rd_kafka_err2str(rd_kafka_last_error()));
  }

  // Partition count: the record sits in murmur2(pipeline) % count, as commit() placed it.
  int partition_count = 0;
  for (;;) {
    MetadataHandle md;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, topic_handle.rkt, &md.metadata,
                                                std::max(1, remaining_ms(deadline)));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md.metadata->topic_cnt == 1) {
      const auto& t = md.metadata->topics[0];
      if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {  // never written
        last_offsets_record_.reset();
        return Found();
      }
      if (t.err == RD_KAFKA_RESP_ERR_NO_ERROR && t.partition_cnt > 0) {
        partition_count = t.partition_cnt;
        break;
      }
      err = t.err;
    }
    if (remaining_ms(deadline) == 0) {
      return Error::retriable("kafka: metadata of " + where + ": " + rd_kafka_err2name(err) + ": " +
                              rd_kafka_err2str(err));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100, remaining_ms(deadline))));
  }
  const int32_t partition =
      rd_kafka_msg_partitioner_murmur2(topic_handle.rkt, options_.pipeline.data(),
                                       options_.pipeline.size(), partition_count, nullptr, nullptr);
  const std::string partition_name = where + " [" + std::to_string(partition) + "]";

  int64_t low = 0, high = 0;
  if (auto err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &low, &high,
                                                  std::max(1, remaining_ms(deadline)));
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error::retriable("kafka: end offsets of " + partition_name + ": " +
                            rd_kafka_err2name(err) + ": " + rd_kafka_err2str(err));
  }

  // The first window reads from near the end up to the read_committed end (EOF), and on until
  // that end reaches the high watermark seen by the fetch: another pipeline's open transaction
  // holds the stable end back, and one of our committed records may sit behind it. Earlier
  // windows [start, end) are scanned backwards, doubling, until one holds a record with our key;
  // the newest such record wins. Aborted records and transaction markers never show up.
  std::optional<int64_t> end;  // nullopt: up to the stable end
  int64_t window = kFirstScanWindow;
  while (!end || *end > low) {
    const int64_t start = std::max(low, (end ? *end : high) - window);
    PartitionListHandle assignment;
    rd_kafka_topic_partition_list_add(assignment.list, topic.c_str(), partition)->offset = start;
    if (auto err = rd_kafka_assign(rk, assignment.list); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Error::fatal("kafka: assign " + partition_name + ": " + rd_kafka_err2str(err));
    }
    std::optional<Found> last;  // outer: seen our key; inner nullopt: a tombstone
    bool window_done = false;
    while (!window_done) {
      int wait = remaining_ms(deadline);
      if (wait == 0) {
        rd_kafka_assign(rk, nullptr);
        return Error::retriable("kafka: reading " + partition_name + " timed out after " +
                                std::to_string(timeout.count()) + " ms" +
                                (end ? "" : " (waiting for open transactions to end)"));
      }
      rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, std::min(wait, 200));
      if (!message) continue;
      if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (end) {
          window_done = true;
        } else {
          int64_t cached_low = 0, watermark = RD_KAFKA_OFFSET_INVALID;
          rd_kafka_get_watermark_offsets(rk, topic.c_str(), partition, &cached_low, &watermark);
          window_done = watermark < 0 || message->offset >= watermark;
        }
      } else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log::debug(options_.pipeline,
                   "kafka offsets reader: " + std::string(rd_kafka_err2name(message->err)) + ": " +
                       rd_kafka_message_errstr(message));
      } else if (end && message->offset >= *end) {
        window_done = true;
      } else {
        if (message->key && message->key_len == options_.pipeline.size() &&
            std::equal(options_.pipeline.begin(), options_.pipeline.end(),
                       static_cast<const char*>(message->key))) {
          last = message->payload
                     ? Found(std::string(static_cast<const char*>(message->payload), message->len))
                     : Found();
        }
        if (end && message->offset + 1 >= *end) window_done = true;
      }
      rd_kafka_message_destroy(message);
    }
    rd_kafka_assign(rk, nullptr);
    if (last) {
      last_offsets_record_ = *last;
      return *last;
    }
    end = start;
    window *= 2;
  }
  last_offsets_record_.reset();
  return Found();
}

}  // namespace tributary::sink
