// librdkafka errors -> tributary::Error: the one place that decides retry / abort / rebuild.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string_view>

#include "base/result.hpp"

namespace tributary::sink {

/// For errors returned by the transactional API (init/begin/commit/abort, produceva), using
/// librdkafka's own flags, in this order:
///   rd_kafka_error_is_fatal           -> kFatal            (fenced...: destroy, rebuild producer)
///   rd_kafka_error_txn_requires_abort -> kAbortTransaction (abort, resend the same batch)
///   rd_kafka_error_is_retriable       -> kRetriable        (call the same function again)
///   anything else                     -> kFatal            (librdkafka's advice for unflagged
///   errors)
/// The message is "<operation>: <error name>: <error text>".
Error classify_kafka_error(std::string_view operation, const rd_kafka_error_t* error);

/// For bare error codes (produce return values, delivery reports) of a transactional producer
/// inside a transaction. A raised fatal error on `producer` wins (kFatal with the original cause).
/// Errors the same batch would hit again (record too large, unknown topic, invalid argument) are
/// kFatal, and so are authorization failures (librdkafka keeps refusing the topic until its next
/// metadata refresh; the operator must fix the ACLs); _QUEUE_FULL is kRetriable; everything else is
/// kAbortTransaction: once a transaction failed, librdkafka refuses records with _STATE or with the
/// broker error that failed it.
Error classify_kafka_error_code(std::string_view operation, rd_kafka_resp_err_t code,
                                rd_kafka_t* producer);

}  // namespace tributary::sink
