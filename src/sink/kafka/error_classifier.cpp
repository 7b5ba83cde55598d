// librdkafka error classification (see error_classifier.hpp for the table).
#include "sink/kafka/error_classifier.hpp"

#include <string>

namespace tributary::sink {
namespace {

std::string describe(std::string_view operation, const char* name, const char* text) {
  std::string message(operation);
  message += ": ";
  message += name ? name : "?";
  message += ": ";
  message += text ? text : "";
  return message;
}

}  // namespace

Error classify_kafka_error(std::string_view operation, const rd_kafka_error_t* error) {
  std::string message =
      describe(operation, rd_kafka_error_name(error), rd_kafka_error_string(error));
  if (rd_kafka_error_is_fatal(error)) return Error::fatal(std::move(message));
  if (rd_kafka_error_txn_requires_abort(error)) {
    return Error::abort_transaction(std::move(message));
  }
  if (rd_kafka_error_is_retriable(error)) return Error::retriable(std::move(message));
  return Error::fatal(std::move(message));
}

Error classify_kafka_error_code(std::string_view operation, rd_kafka_resp_err_t code,
                                rd_kafka_t* producer) {
  if (producer) {
    char reason[512] = "";
    rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(producer, reason, sizeof reason);
    if (fatal != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Error::fatal(describe(operation, rd_kafka_err2name(fatal), reason));
    }
  }
  std::string message = describe(operation, rd_kafka_err2name(code), rd_kafka_err2str(code));
  switch (code) {
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return Error::retriable(std::move(message));
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__CONFLICT:
    case RD_KAFKA_RESP_ERR__NOT_CONFIGURED:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      // The same batch would fail the same way: stop with the reason instead of looping.
      return Error::fatal(std::move(message));
    default:
      // _STATE, or the broker error that failed the transaction (librdkafka refuses records
      // with it once the transaction is in the abortable state), or a failed delivery.
      return Error::abort_transaction(std::move(message));
  }
}

}  // namespace tributary::sink
