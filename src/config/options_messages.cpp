// The option table's rows for pipelines[].messages, pipelines[].routes and
// pipelines[].topic_naming.
#include "config/option_rows.hpp"

namespace tributary::config::detail {

std::vector<Option> message_options() {
  return {
      {.path = "pipelines[].messages",
       .type = Type::kSection,
       .description =
           "PostgreSQL 14+ only: logical decoding messages (`pg_logical_emit_message`, e.g. the "
           "outbox pattern) as Debezium writes them: `op: m` records on "
           "`<topic_prefix>.message`, key `{\"prefix\": ...}`, value `message: {prefix, "
           "content}` (content as bytes, base64 in JSON). Transactional messages are written in "
           "their transaction's Kafka transaction, in order with its rows; non-transactional "
           "ones at their position in the stream. Every prefix is written unless filtered here. "
           "Patterns are ECMAScript regular expressions matched case-insensitively against the "
           "whole prefix. MySQL/MariaDB have no such messages."},
      {.path = "pipelines[].messages.include",
       .type = Type::kStringList,
       .description =
           "Debezium's `message.prefix.include.list`: only messages whose prefix matches one of "
           "these patterns are written. When set, `exclude` is not looked at (as Debezium).",
       .default_value = "[]",
       .default_doc = "`[]`: every prefix",
       .validate = regular_expression,
       .bind = FIELD(pipeline->messages.include)},
      {.path = "pipelines[].messages.exclude",
       .type = Type::kStringList,
       .description =
           "Debezium's `message.prefix.exclude.list`: messages whose prefix matches one of these "
           "patterns are left out (used only when `include` is empty).",
       .default_value = "[]",
       .validate = regular_expression,
       .bind = FIELD(pipeline->messages.exclude)},
  };
}

}  // namespace tributary::config::detail
