// Transaction metadata (options_transactions.cpp): Debezium's provide.transaction.metadata.
#pragma once

namespace tributary::config {

struct TransactionsConfig {
  bool topic = false;  ///< BEGIN/END records on <topic_prefix>.transaction, event blocks filled
};

}  // namespace tributary::config
