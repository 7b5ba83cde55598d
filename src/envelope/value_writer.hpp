// Writes one typed value (event::Value) as its Debezium JSON, by the column's ValuePlan.
#pragma once

#include <string>

#include "base/result.hpp"
#include "envelope/json_util.hpp"
#include "envelope/value_plan.hpp"

namespace tributary::envelope::detail {

class ValueWriter {
 public:
  /// `placeholder`: the unchanged-TOAST placeholder (valid UTF-8, checked by the Serializer).
  ValueWriter(JsonWriter& json, const std::string& placeholder);

  /// Writes `value` of `column` (in table `qualified`), or returns the kCorrupt error "cannot
  /// convert <value> of <table>.<column> (<type>): <reason>" (the JSON written so far is then
  /// incomplete and must be discarded).
  /// `masked`: the column's mask applies (values); false for the message key.
  Result<void> write(const std::string& qualified, const ColumnPlan& column,
                     const event::Value& value, bool masked = true);

 private:
  /// The reason alone on error.
  Result<void> write_typed(const ValuePlan& how, const event::Value& value);
  Result<void> write_unchanged(const ValuePlan& how);
  template <class Float>
  void write_float(Float value);
  void write_base64(std::string_view bytes);
  /// decimal_handling double / string.
  Result<void> write_decimal_mode(const ValuePlan& how, const event::Value& value);
  /// binary_handling base64-url-safe / hex.
  void write_binary_text(Conversion conversion, std::string_view bytes);

  JsonWriter& json_;
  const std::string& placeholder_;
  std::string placeholder_base64_;
  std::string text_;    ///< scratch: base64, ISO timestamps
  std::string masked_;  ///< scratch: a masked value
};

}  // namespace tributary::envelope::detail
