// Row images of WRITE/UPDATE/DELETE_ROWS events -> event::Row of typed values; no I/O.
#pragma once

#include <optional>
#include <vector>

#include "base/result.hpp"
#include "event/change_event.hpp"
#include "source/mysql/binlog/events.hpp"
#include "source/mysql/binlog/table_map.hpp"

namespace tributary::source::mysql::binlog {

/// One row of a rows event: `after` for writes, `before` for deletes, both for updates.
/// Each Row has one Value per table column. A column the event's columns-present bitmap leaves
/// out (binlog_row_image MINIMAL / NOBLOB) is event::Unchanged: "not in this image" (the
/// source requires FULL images, so it meets none in practice); SQL NULL is event::Null.
struct RowChange {
  std::optional<event::Row> before;
  std::optional<event::Row> after;
};

/// Decodes every row of `rows` against the TABLE_MAP of its table id. Values are in the form
/// the envelope writes (see DEBEZIUM_FORMAT.md's MySQL table); the per-type byte layouts are
/// above each decoder in row_image.cpp. Errors are kCorrupt, naming the column and the offset.
Result<std::vector<RowChange>> decode_row_images(const RowsEvent& rows, const TableMap& map);

}  // namespace tributary::source::mysql::binlog
