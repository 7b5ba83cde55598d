// Debezium's signals: what a signal is, and acting on one (log; the others are warned about).
#pragma once

#include <string>
#include <string_view>

namespace tributary::signals {

/// One signal as its channel delivered it: a signal-table row or a Kafka signal record.
struct Signal {
  std::string id;       ///< the row's id, or "<topic>/<partition>@<offset>" for Kafka
  std::string type;     ///< "log", "execute-snapshot", ...
  std::string data;     ///< JSON text; "" (a NULL column) stands for {}
  std::string channel;  ///< "source" or "kafka", for the log
};

/// Acts on the signals of one pipeline. Thread-safe (the stream's loop and the Kafka signal
/// reader's thread call it).
class SignalDispatcher {
 public:
  explicit SignalDispatcher(std::string pipeline) : pipeline_(std::move(pipeline)) {}

  /// Acts on `signal`; a signal that cannot be acted on (unknown type, data not a JSON object, a
  /// log signal without data.message) is logged as a warning naming its id. True: acted on.
  bool dispatch(const Signal& signal) const;

  const std::string& pipeline() const { return pipeline_; }

 private:
  const std::string pipeline_;
};

}  // namespace tributary::signals
