// The Debezium JSON envelope: per event, the records (data, tombstone, key-change pair) and their
// headers; the schema JSON and conversion plans are cached per table version.
#include "envelope/serializer.hpp"

#include <cstdio>
#include <random>
#include <stdexcept>
#include <utility>

#include "envelope/json_util.hpp"
#include "envelope/record_writer.hpp"
#include "envelope/schema_json.hpp"
#include "envelope/topic_router.hpp"

namespace tributary::envelope {
namespace {

constexpr const char* kNewKeyHeader = "__debezium.newkey";
constexpr const char* kOldKeyHeader = "__debezium.oldkey";

std::string random_uuid() {
  std::random_device device;
  std::mt19937_64 generator((static_cast<uint64_t>(device()) << 32) ^ device());
  uint64_t high = generator();
  uint64_t low = generator();
  high = (high & ~0xF000ULL) | 0x4000ULL;                       // version 4
  low = (low & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xFFFF), static_cast<unsigned>(high & 0xFFFF),
                static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
  return text;
}

}  // namespace

const std::string& daemon_run_id() {
  static const std::string id = random_uuid();
  return id;
}

std::string sanitize_topic_name(std::string_view name) {
  std::string topic(name);
  for (char& c : topic) {
    bool valid = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
    if (!valid) c = '_';
  }
  return topic;
}

Serializer::Serializer(Options options) : options_(std::move(options)) {
  if (!detail::source_layout(options_.connector, layout_)) {
    throw std::invalid_argument("envelope: connector \"" + options_.connector +
                                "\" is not supported; the source block layouts are "
                                "\"postgresql\", \"mysql\" and \"mariadb\"");
  }
  const bool postgres = layout_ == detail::SourceLayout::kPostgres;
  mapping_.time_precision = options_.time_precision.value_or(
      postgres ? config::TimePrecision::kAdaptive : config::TimePrecision::kAdaptiveTimeMicroseconds);
  if (!postgres && mapping_.time_precision == config::TimePrecision::kAdaptive) {
    // Debezium's MySQL connector refuses it ("no longer supported").
    throw std::invalid_argument(
        "pipelines[].types.time_precision: 'adaptive' is not a mode of Debezium's MySQL connector; "
        "use adaptive_time_microseconds (its default) or connect");
  }
  mapping_.time_always_micros =
      mapping_.time_precision == config::TimePrecision::kAdaptiveTimeMicroseconds;
  mapping_.decimal_handling = options_.decimal_handling;
  mapping_.binary_handling = options_.binary_handling;
  mapping_.hstore_handling = options_.hstore_handling;
  mapping_.interval_handling = options_.interval_handling;
  for (const std::string* text : {&options_.topic_prefix, &options_.version,
                                  &options_.unavailable_value_placeholder, &options_.connector}) {
    if (!detail::valid_utf8(*text)) {
      throw std::invalid_argument("envelope: option value " + detail::quote_for_error(*text) +
                                  " is not valid UTF-8");
    }
  }
  writer_ = std::make_unique<detail::RecordWriter>(options_, layout_);
  router_ = std::make_unique<TopicRouter>(options_.topic_prefix, options_.topic_delimiter,
                                          options_.routes);
  // Debezium's DebeziumHeaderProducer.contextHeaders, in its order.
  context_headers_ = std::make_shared<const sink::Headers>(sink::Headers{
      {"__debezium.context.connectorLogicalName", options_.topic_prefix},
      {"__debezium.context.taskId", "0"},
      {"__debezium.context.connectorName", options_.connector},
      {"__debezium.context.runId", options_.run_id.empty() ? daemon_run_id() : options_.run_id}});
}

Serializer::~Serializer() = default;

Result<const detail::TablePlan*> Serializer::plan_for(
    const std::shared_ptr<const event::TableSchema>& schema) {
  if (last_plan_ != nullptr && last_plan_->schema.get() == schema.get()) return last_plan_;
  if (auto found = plans_.find(schema.get()); found != plans_.end()) {
    last_plan_ = found->second.get();
    return last_plan_;
  }
  if (auto supported = check_supported(*schema); !supported.ok()) return supported.error();
  if (!detail::names_valid_utf8(*schema)) {
    return Error::config("table " + schema->id.qualified() +
                         ": a schema, table, column or enum label name is not valid UTF-8");
  }

  auto plan = std::make_unique<detail::TablePlan>();
  plan->schema = schema;
  plan->qualified = schema->id.qualified();
  TopicRoute route = router_->route(schema->id);
  if (route.routed()) plan->physical_topic = std::move(route.physical);
  plan->topic = std::move(route.topic);
  const ColumnRules* rules =
      options_.columns && !options_.columns->empty() ? options_.columns.get() : nullptr;
  for (const auto& column : schema->columns) {
    plan->columns.push_back({column.name, event::type_label(column.type),
                             detail::make_value_plan(column.type, mapping_), column.omitted});
    if (rules != nullptr && !column.omitted) {
      plan->columns.back().omitted = rules->excluded(schema->id, column);
      plan->columns.back().mask = rules->mask_for(schema->id, column);
    }
  }
  if (options_.schemas) {
    // Routed: schema names as ByLogicalTableRouter gives them (adjusted), plus its key field.
    const bool routed = !plan->physical_topic.empty();
    auto prefixes =
        detail::record_prefixes(*schema, routed ? adjust_schema_name(plan->topic) : plan->topic,
                                layout_, mapping_, &plan->columns, routed);
    plan->key_prefix = std::move(prefixes.key);
    plan->value_prefix = std::move(prefixes.value);
  }

  // One cached version per table: a new version evicts the previous one.
  auto& newest = newest_[plan->qualified];
  if (newest != nullptr && newest != schema.get()) {
    if (last_plan_ != nullptr && last_plan_->schema.get() == newest) last_plan_ = nullptr;
    plans_.erase(newest);
  }
  newest = schema.get();
  last_plan_ = plan.get();
  plans_.emplace(schema.get(), std::move(plan));
  return last_plan_;
}

Result<void> Serializer::serialize(const event::ChangeEvent& event, int64_t now_us,
                                   std::vector<sink::Message>& out) {
  const std::size_t first = out.size();
  auto written = serialize_records(event, now_us, out);
  if (!written.ok()) return written;
  for (std::size_t i = first; i < out.size(); ++i) out[i].shared_headers = context_headers_;
  return {};
}

Result<void> Serializer::serialize_records(const event::ChangeEvent& event, int64_t now_us,
                                           std::vector<sink::Message>& out) {
  if (!event.schema) return Error::corrupt("change event without a table schema");
  auto planned = plan_for(event.schema);
  if (!planned.ok()) return planned.error();
  const detail::TablePlan& plan = **planned;

  for (const auto* row :
       {event.before ? &*event.before : nullptr, event.after ? &*event.after : nullptr}) {
    if (row != nullptr && row->size() != plan.columns.size()) {
      return Error::corrupt("table " + plan.qualified + ": a row has " +
                            std::to_string(row->size()) + " values but the table has " +
                            std::to_string(plan.columns.size()) + " columns");
    }
  }
  const bool keyed = !plan.schema->key_columns.empty();
  const event::Row* before = event.before ? &*event.before : nullptr;
  const event::Row* after = event.after ? &*event.after : nullptr;
  detail::RecordWriter& writer = *writer_;
  const std::size_t mark = out.size();
  auto fail = [&](const Error& error) -> Result<void> {
    out.resize(mark);
    return error;
  };
  auto missing = [&](const char* what) {
    return Error::corrupt("table " + plan.qualified + ": " + what);
  };

  switch (event.op) {
    case event::Op::kRead:
    case event::Op::kCreate: {
      if (after == nullptr) return missing("insert or snapshot event without a row");
      std::optional<std::string> key;
      if (keyed) {
        auto built = writer.key_json(plan, *after, nullptr, options_.schemas);
        if (!built.ok()) return fail(built.error());
        key = std::move(*built);
      }
      auto value =
          writer.value_json(plan, event, static_cast<char>(event.op), nullptr, after, now_us);
      if (!value.ok()) return fail(value.error());
      out.push_back({plan.topic, std::move(key), std::move(*value), {}});
      return {};
    }
    case event::Op::kUpdate: {
      if (after == nullptr) return missing("update event without a new row");
      if (keyed && before != nullptr) {
        auto old_key = writer.key_json(plan, *before, nullptr, false);
        if (!old_key.ok()) return fail(old_key.error());
        auto new_key = writer.key_json(plan, *after, before, false);
        if (!new_key.ok()) return fail(new_key.error());
        if (*old_key != *new_key) {
          // Primary-key change: delete under the old key, create under the new one.
          std::string old_record_key = *old_key;
          std::string new_record_key = *new_key;
          if (options_.schemas) {
            auto with_schema = writer.key_json(plan, *before, nullptr, true);
            if (!with_schema.ok()) return fail(with_schema.error());
            old_record_key = std::move(*with_schema);
            with_schema = writer.key_json(plan, *after, before, true);
            if (!with_schema.ok()) return fail(with_schema.error());
            new_record_key = std::move(*with_schema);
          }
          auto deleted = writer.value_json(plan, event, 'd', before, nullptr, now_us);
          if (!deleted.ok()) return fail(deleted.error());
          auto created = writer.value_json(plan, event, 'c', nullptr, after, now_us);
          if (!created.ok()) return fail(created.error());
          std::vector<std::pair<std::string, std::string>> delete_headers{
              {kNewKeyHeader, std::move(*new_key)}};
          out.push_back({plan.topic, old_record_key, std::move(*deleted), delete_headers});
          if (options_.tombstones_on_delete) {
            out.push_back(
                {plan.topic, std::move(old_record_key), std::nullopt, std::move(delete_headers)});
          }
          out.push_back({plan.topic,
                         std::move(new_record_key),
                         std::move(*created),
                         {{kOldKeyHeader, std::move(*old_key)}}});
          return {};
        }
      }
      std::optional<std::string> key;
      if (keyed) {
        auto built = writer.key_json(plan, *after, before, options_.schemas);
        if (!built.ok()) return fail(built.error());
        key = std::move(*built);
      }
      const event::Row* old_row = event.before_is_key_only ? nullptr : before;
      auto value = writer.value_json(plan, event, 'u', old_row, after, now_us);
      if (!value.ok()) return fail(value.error());
      out.push_back({plan.topic, std::move(key), std::move(*value), {}});
      return {};
    }
    case event::Op::kDelete: {
      std::optional<std::string> key;
      if (keyed) {
        if (before == nullptr) return missing("delete event without the old key");
        auto built = writer.key_json(plan, *before, nullptr, options_.schemas);
        if (!built.ok()) return fail(built.error());
        key = std::move(*built);
      }
      auto value = writer.value_json(plan, event, 'd', before, nullptr, now_us);
      if (!value.ok()) return fail(value.error());
      // As Debezium: a table without a key gets its tombstone too (null key, null value).
      const bool tombstone = options_.tombstones_on_delete;
      out.push_back({plan.topic, tombstone ? key : std::move(key), std::move(*value), {}});
      if (tombstone) out.push_back({plan.topic, std::move(key), std::nullopt, {}});
      return {};
    }
    case event::Op::kTruncate: {
      auto value = writer.value_json(plan, event, 't', nullptr, nullptr, now_us);
      if (!value.ok()) return fail(value.error());
      out.push_back({plan.topic, std::nullopt, std::move(*value), {}});
      return {};
    }
  }
  return Error::corrupt("table " + plan.qualified + ": unknown operation " +
                        std::to_string(static_cast<int>(event.op)));
}

}  // namespace tributary::envelope
