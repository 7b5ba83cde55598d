// A PostgreSQL column DEFAULT (pg_get_expr of pg_attrdef.adbin) -> the value Debezium puts in the
// field schema's "default" (PostgresDefaultValueConverter), typed as the column's values are.
#pragma once

#include <optional>
#include <string_view>

#include "event/change_event.hpp"

namespace tributary::source::postgres {

/// Debezium's default for a column of `type` whose DEFAULT expression is `expression`, or none.
/// A constant or a cast of one gives its value ('abc'::text -> "abc", 42, '-1'::integer); a
/// function call (now(), nextval('s'::regclass)) or CURRENT_TIMESTAMP & co. give the type's
/// placeholder Debezium uses (0, "", false, the epoch); NULL::type, numeric without a scale, and
/// types Debezium has no default mapper for (bytea, money, arrays, inet, ...) give none.
std::optional<event::Value> debezium_default(const event::ColumnType& type,
                                             std::string_view expression);

}  // namespace tributary::source::postgres
