// PostgresValueDecoder: a PostgreSQL row's text values (pgoutput and COPY give every column in its
// type's text output form) -> event::Value's typed alternatives, in place, on the sink thread.
#pragma once

#include <optional>
#include <string_view>

#include "config/types_config.hpp"
#include "source/postgres/values/text_parsers.hpp"
#include "source/value_decoder.hpp"

namespace tributary::source {

/// Converts every std::string value of an event's before and after rows by the column's
/// ColumnType (see event::Value for the alternative each kind gets). Null, Unchanged and values
/// already typed stay; omitted columns and text-valued kinds (text, uuid, json, xml, enum) keep
/// their text. A column type the envelope will refuse (a kDecimal without a scale) is left as text
/// too, so that the envelope's check names the table and the fix. A value not in its type's text
/// form is a kCorrupt error: "cannot convert value '<text, cut>' of schema.table.column (<type>):
/// <reason>". A key-only `before` (REPLICA IDENTITY DEFAULT: DELETE, primary-key UPDATE) gets
/// Debezium's values for the non-key columns the server did not send: the column's default
/// (Column::default_value) when it has one, else for a NOT NULL column what Debezium's value
/// converters give one without a value (0, false, "", empty bytes, the epoch, an empty array).
/// Not thread-safe (one per pipeline): it keeps a scratch buffer for array literals.
/// `decimal_handling` (pipelines[].types): double and string keep a numeric's own scale and give
/// NaN / ±Infinity as a double (Debezium's SpecialValueDecimal); precise refuses them.
class PostgresValueDecoder final : public ValueDecoder {
 public:
  explicit PostgresValueDecoder(
      config::DecimalHandling decimal_handling = config::DecimalHandling::kPrecise)
      : decimal_handling_(decimal_handling) {}

  Result<void> decode(event::ChangeEvent& event) override;

  /// One value of `type` in place (exposed for the tests); on error `value` is unchanged and the
  /// message is the reason alone.
  Result<void> decode_value(const event::ColumnType& type, event::Value& value);

 private:
  Result<void> decode_row(const event::TableSchema& schema, event::Row& row);
  static void fill_fallbacks(const event::TableSchema& schema, event::Row& row);
  Result<void> decode_array(const event::ColumnType& element, event::Value& value);

  /// NaN, Infinity, -Infinity as a double when decimal_handling is not precise; else none.
  std::optional<double> special_decimal(std::string_view text) const;

  config::DecimalHandling decimal_handling_;
  postgres::text::ArrayElements array_;  ///< reused: array literals are not nested here
};

}  // namespace tributary::source
