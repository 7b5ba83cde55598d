// For the files that hold the option table's rows (options_<area>.cpp): the binding macros and
// one function per area. options.cpp joins the areas in this order.
#pragma once

#include <vector>

#include "config/options.hpp"
#include "config/regex_check.hpp"
#include "config/validators.hpp"

// Binds a row to a member: FIELD(pipeline->source.port) stores into Target::pipeline.
#define FIELD(member) (+[](Target t) -> auto& { return t.member; })
#define ENUM_FIELD(member, Enum) \
  (+[](Target t, std::size_t index) { t.member = static_cast<Enum>(index); })

namespace tributary::config::detail {

/// pipelines[]: name, source, tables, topic prefix, envelope, keys (options_pipeline.cpp).
std::vector<Option> pipeline_options();
/// pipelines[].snapshot (options_snapshot.cpp).
std::vector<Option> snapshot_options();
/// pipelines[].transactions and pipelines[].heartbeat (options_transactions.cpp).
std::vector<Option> transaction_options();
/// pipelines[].messages (options_messages.cpp).
std::vector<Option> message_options();
/// pipelines[].routes and pipelines[].topic_naming (options_routes.cpp).
std::vector<Option> route_options();
/// pipelines[].types: how column values are encoded (options_types.cpp).
std::vector<Option> type_options();
/// pipelines[].signals: signal table, Kafka signal topic (options_signals.cpp).
std::vector<Option> signal_options();
/// pipelines[].columns and row filters (options_columns.cpp).
std::vector<Option> column_options();
/// kafka, offsets, http, shutdown, log (options_service.cpp).
std::vector<Option> service_options();

}  // namespace tributary::config::detail
