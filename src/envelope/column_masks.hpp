// Column filters and masks (pipelines[].columns): which columns a record's before/after carries,
// and Debezium's column mappers (io.debezium.relational.mapping.TruncateColumn, MaskStrings with
// a mask or a salted hash). Decided once per table version; applied per value by the
// ValueWriter. The message key is never filtered or masked (Debezium builds it without them).
#pragma once

#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "event/change_event.hpp"

namespace tributary::envelope {

/// What one column's values become. Built by ColumnRules::mask_for.
struct ColumnMask {
  enum class Kind : uint8_t { kTruncate, kMaskWith, kHash };
  Kind kind = Kind::kTruncate;
  /// The values change (string columns; bytes too for kTruncate). False: passed through, only
  /// the schema parameter is written (Debezium's MaskStrings marks any column it matches).
  bool applies = false;
  int64_t length = 0;            ///< kTruncate: characters (bytes for binary values) kept
  std::string mask;              ///< kMaskWith: the replacement text
  const void* digest = nullptr;  ///< kHash: the OpenSSL EVP_MD
  std::string salt;              ///< kHash: never logged
  bool v2 = false;               ///< kHash: UTF-8 bytes (v2) or the Java-serialized String (v1)
  int64_t cut_to = -1;           ///< kHash: the hex cut to the declared length; -1: not cut
  std::string parameter;         ///< the field schema's parameter name ("" = none)
  std::string parameter_value;
};

/// What a masked value is, written into the caller's scratch text.
enum class MaskOutcome : uint8_t { kUnchanged, kNull, kText, kBytes };

/// Applies `mask` to `value`. kText/kBytes: the result is in `out` (kBytes: raw bytes, to be
/// base64-encoded). Unchanged TOAST values pass through. An error only when OpenSSL fails.
Result<MaskOutcome> apply_mask(const ColumnMask& mask, const event::Value& value, std::string& out);

/// The compiled pipelines[].columns of one pipeline.
class ColumnRules {
 public:
  /// Compiles the patterns (validated at load) and finds each digest in OpenSSL; the error
  /// names the key of a digest this OpenSSL cannot compute.
  static Result<std::shared_ptr<const ColumnRules>> make(const config::ColumnsConfig& config);

  /// Whether `column` of `table` is left out of before/after and the value schema.
  bool excluded(const event::TableId& table, const event::Column& column) const;
  /// The first matching truncate_to, then mask_with, then mask_hash entry, or null.
  std::shared_ptr<const ColumnMask> mask_for(const event::TableId& table,
                                             const event::Column& column) const;
  /// No filter and no mask: nothing to look up per table.
  bool empty() const;

 private:
  struct Rule {
    ColumnMask::Kind kind;
    std::vector<std::regex> patterns;
    config::ColumnMaskRule rule;
    const void* digest = nullptr;  ///< kHash: the EVP_MD
  };
  static bool matches(const std::vector<std::regex>& patterns, const std::string& name);

  std::vector<std::regex> include_;
  std::vector<std::regex> exclude_;
  std::vector<Rule> rules_;
};

}  // namespace tributary::envelope
