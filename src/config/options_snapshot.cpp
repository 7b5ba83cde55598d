// The option table's rows for pipelines[].snapshot.
#include "config/option_rows.hpp"

namespace tributary::config::detail {

std::vector<Option> snapshot_options() {
  return {
      {.path = "pipelines[].snapshot",
       .type = Type::kSection,
       .description = "The consistent copy of existing rows taken before streaming changes."},
      {.path = "pipelines[].snapshot.mode",
       .type = Type::kEnum,
       .description =
           "As in Debezium. `initial`: snapshot once, when the pipeline has no checkpoint, then "
           "stream. `never`: only stream. `always`: snapshot at every start, then stream. "
           "`initial_only`: snapshot once, do not stream. `when_needed`: like `initial`, and also "
           "when the checkpointed position is no longer available from the source.",
       .default_value = "initial",
       .allowed = {"initial", "never", "always", "initial_only", "when_needed"},
       .bind = ENUM_FIELD(pipeline->snapshot.mode, SnapshotMode)},
      {.path = "pipelines[].snapshot.parallelism",
       .type = Type::kInteger,
       .description = "Tables copied at the same time, each over its own database connection.",
       .default_value = "2",
       .min = 1,
       .max = 64,
       .bind = FIELD(pipeline->snapshot.parallelism)},
      {.path = "pipelines[].snapshot.fetch_size",
       .type = Type::kInteger,
       .description = "Rows fetched per round trip from a snapshot cursor.",
       .default_value = "10000",
       .min = 1,
       .max = 1000000,
       .bind = FIELD(pipeline->snapshot.fetch_size)},
      {.path = "pipelines[].snapshot.chunk_rows",
       .type = Type::kInteger,
       .description =
           "Rows per snapshot chunk. A table with a key is read in key order, chunk by chunk; "
           "each chunk is recorded in the checkpoint with its rows, so a snapshot interrupted "
           "(crash, stop, database restart) resumes at the first unfinished chunk, read between "
           "DBLog watermarks while streaming runs. A table without a key is one chunk.",
       .default_value = "8096",
       .min = 1,
       .max = 10000000,
       .bind = FIELD(pipeline->snapshot.chunk_rows)},
  };
}

}  // namespace tributary::config::detail
