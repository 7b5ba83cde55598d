// The option table's rows for pipelines[].columns: column filters and column masks (Debezium's
// column.include.list / column.exclude.list and column.truncate / mask / hash mappers).
#include "config/option_rows.hpp"

namespace tributary::config::detail {

namespace {

constexpr std::string_view kColumnPatterns =
    "Patterns of the columns this entry applies to: ECMAScript regular expressions matched, "
    "ignoring case as Debezium does, against the whole of `schema.table.column` (MySQL: "
    "`database.table.column`); at least one.";

}  // namespace

std::vector<Option> column_options() {
  return {
      {.path = "pipelines[].columns",
       .type = Type::kSection,
       .description =
           "Which columns the events carry and how their values are masked, as Debezium's "
           "`column.include.list`, `column.exclude.list`, `column.truncate.to.N.chars`, "
           "`column.mask.with.N.chars` and `column.mask.hash.*`. Patterns are matched ignoring "
           "case against the whole of `schema.table.column` (MySQL: `database.table.column`). "
           "Only the `before`/`after` values and their schema change: the message key keeps "
           "its columns unfiltered and unmasked, as Debezium's. A column matched by several "
           "mask entries takes the first of `truncate_to`, then `mask_with`, then `mask_hash`, "
           "in list order. See docs/column-filters.md."},
      {.path = "pipelines[].columns.include",
       .type = Type::kStringList,
       .description =
           "Patterns of the columns to keep; every other column is left out of `before`, "
           "`after` and the value schema (a key column stays in the key). Empty: every column. "
           "Set at most one of `include` and `exclude`.",
       .default_value = "[]",
       .validate = regular_expression,
       .bind = FIELD(pipeline->columns.include)},
      {.path = "pipelines[].columns.exclude",
       .type = Type::kStringList,
       .description =
           "Patterns of the columns to leave out of `before`, `after` and the value schema (a "
           "key column stays in the key). Set at most one of `include` and `exclude`.",
       .default_value = "[]",
       .validate = regular_expression,
       .bind = FIELD(pipeline->columns.exclude)},
      {.path = "pipelines[].columns.truncate_to",
       .type = Type::kList,
       .description =
           "Debezium's `column.truncate.to.N.chars`: string values (text, varchar, char, name; "
           "MySQL CHAR/VARCHAR/TEXT) longer than `length` characters (UTF-16 units, as Java "
           "counts) are cut to `length`, bytea/BLOB values to `length` bytes; the field schema "
           "gets the parameter `truncateLength`. Columns of other types, and columns declared "
           "no longer than `length`, are left as they are. E.g. `truncate_to: [{columns: "
           "[\"public\\\\.users\\\\.bio\"], length: 20}]`.",
       .bind = FIELD(pipeline->columns.truncate_to)},
      {.path = "pipelines[].columns.truncate_to[].columns",
       .type = Type::kStringList,
       .description = kColumnPatterns,
       .required = true,
       .min = 1,
       .example = "columns: [\"public\\\\.users\\\\.bio\"]",
       .validate = regular_expression,
       .bind = FIELD(column_rule->columns)},
      {.path = "pipelines[].columns.truncate_to[].length",
       .type = Type::kInteger,
       .description = "The most characters (bytes for binary columns) kept.",
       .required = true,
       .min = 0,
       .max = 2147483647,
       .example = "length: 20",
       .bind = FIELD(column_rule->length)},
      {.path = "pipelines[].columns.mask_with",
       .type = Type::kList,
       .description =
           "Debezium's `column.mask.with.N.chars`: the values of string columns (as for "
           "`truncate_to`) are replaced by `length` asterisks, a NULL too (as Debezium's "
           "mapper does); the field schema gets the parameter `masked: \"true\"` (columns of "
           "other types too, whose values stay as they are). E.g. `mask_with: [{columns: "
           "[\"public\\\\.users\\\\.ssn\"], length: 8}]`.",
       .bind = FIELD(pipeline->columns.mask_with)},
      {.path = "pipelines[].columns.mask_with[].columns",
       .type = Type::kStringList,
       .description = kColumnPatterns,
       .required = true,
       .min = 1,
       .example = "columns: [\"public\\\\.users\\\\.ssn\"]",
       .validate = regular_expression,
       .bind = FIELD(column_rule->columns)},
      {.path = "pipelines[].columns.mask_with[].length",
       .type = Type::kInteger,
       .description = "How many `*` replace each value.",
       .required = true,
       .min = 0,
       .max = 1048576,
       .example = "length: 8",
       .bind = FIELD(column_rule->length)},
      {.path = "pipelines[].columns.mask_hash",
       .type = Type::kList,
       .description =
           "Debezium's `column.mask.hash.<algorithm>.with.salt.<salt>` (`version: v1`) and "
           "`column.mask.hash.v2.<algorithm>.with.salt.<salt>` (`version: v2`): a string "
           "column's value (as for `truncate_to`) becomes the lower-case hex digest of the salt's "
           "UTF-8 bytes followed by the value's bytes, cut to the column's declared length "
           "(varchar(n), char(n)) when it has one. v1 hashes the value as Java serializes a "
           "String (`ObjectOutputStream.writeObject`), v2 its UTF-8 bytes. NULL stays NULL. "
           "The field schema gets `masked: \"true\"`. E.g. `mask_hash: [{columns: "
           "[\"public\\\\.users\\\\.email\"], algorithm: SHA-256, salt: "
           "\"${EMAIL_SALT}\"}]`.",
       .bind = FIELD(pipeline->columns.mask_hash)},
      {.path = "pipelines[].columns.mask_hash[].columns",
       .type = Type::kStringList,
       .description = kColumnPatterns,
       .required = true,
       .min = 1,
       .example = "columns: [\"public\\\\.users\\\\.email\"]",
       .validate = regular_expression,
       .bind = FIELD(column_rule->columns)},
      {.path = "pipelines[].columns.mask_hash[].algorithm",
       .type = Type::kEnum,
       .description = "The digest, by its Java `MessageDigest` name.",
       .required = true,
       .allowed = {"MD5", "SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512", "SHA-512/224",
                   "SHA-512/256", "SHA3-224", "SHA3-256", "SHA3-384", "SHA3-512"},
       .example = "algorithm: SHA-256",
       .bind = FIELD(column_rule->algorithm)},
      {.path = "pipelines[].columns.mask_hash[].salt",
       .type = Type::kString,
       .description = "Hashed before each value, usually `${SOME_VARIABLE}`. Never logged or "
                      "shown in errors.",
       .required = true,
       .secret = true,
       .example = "salt: ${EMAIL_SALT}",
       .validate = not_empty,
       .bind = FIELD(column_rule->salt)},
      {.path = "pipelines[].columns.mask_hash[].version",
       .type = Type::kEnum,
       .description = "`v1`: Debezium's `column.mask.hash.*` (the value as a Java-serialized "
                      "String); `v2`: `column.mask.hash.v2.*` (the value's UTF-8 bytes).",
       .default_value = "v1",
       .allowed = {"v1", "v2"},
       .bind = FIELD(column_rule->version)},
  };
}

}  // namespace tributary::config::detail
