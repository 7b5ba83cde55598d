// ValueDecoder: a source's raw row values -> the typed values the envelope writes.
#pragma once

#include <memory>

#include "base/result.hpp"
#include "config/config.hpp"
#include "event/change_event.hpp"

namespace tributary::source {

/// Runs once per event, on the sink thread, just before the envelope (so the source's reading
/// thread stays free). A source that decodes binary values itself (MySQL's binlog) hands typed
/// values already and decodes nothing here; PostgreSQL's rows hold the server's text output,
/// turned here into event::Value's typed alternatives. On error (kCorrupt: a value not in the
/// form the column's type has) the message names the table, column, type and value; the event may
/// then be partly decoded and must not be emitted.
class ValueDecoder {
 public:
  virtual ~ValueDecoder() = default;
  virtual Result<void> decode(event::ChangeEvent& event) = 0;
};

/// The decoder of `pipeline.source.type`.
std::unique_ptr<ValueDecoder> make_value_decoder(const config::PipelineConfig& pipeline);

}  // namespace tributary::source
