// Which columns key a table's Kafka messages: the primary key, else the first unique index (as
// Debezium's PostgreSQL connector picks it), overridden per table by
// pipelines[].message_key_columns.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "event/change_event.hpp"
#include "source/postgres/catalog.hpp"
#include "source/postgres/pg_connection.hpp"

namespace tributary::source::postgres {

/// The columns of the unique index Debezium 3.6 keys a table without a primary key by
/// (JdbcConnection.readTableUniqueIndices over pgjdbc's getIndexInfo): unique indexes ordered
/// clustered first, then by index name (C order), the first one none of whose columns is an
/// expression Debezium's PostgresConnection.isTableUniqueIndexIncluded excludes. Nullable
/// columns and partial indexes count, as in Debezium. Empty when there is none.
Result<std::vector<std::string>> first_unique_index(PgConnection& connection,
                                                    uint32_t relation_oid);

/// The key of table `id`, in key order: its `message_key_columns` entry when it has one (every
/// column must be one of `columns`: else a kConfig error naming the key and the fix), else
/// `primary_key`, else first_unique_index. `overrides` maps "schema.table" to "col1,col2".
Result<std::vector<std::string>> key_columns(PgConnection& connection, const event::TableId& id,
                                             uint32_t relation_oid,
                                             const std::vector<RawColumn>& columns,
                                             std::vector<std::string> primary_key,
                                             const std::map<std::string, std::string>& overrides);

}  // namespace tributary::source::postgres
