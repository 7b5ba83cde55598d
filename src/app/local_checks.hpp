// Checks of this machine, before any connection: the offsets directory and checkpoint files, the
// HTTP listen address, the open files limit. Shared by `check`, `check --offline` and `run`.
#pragma once

#include <string>
#include <vector>

#include "app/preflight.hpp"
#include "config/config.hpp"

namespace tributary::app {

/// offsets.directory exists (with `create`, it is created if missing; without, the nearest
/// existing parent must allow run to create it), is a directory, and is writable: a probe file
/// is created, written, fsynced and removed, and the directory fsynced. Each pipeline's
/// checkpoint file `<directory>/<name>.offsets`, if present, is a regular file this user can read
/// (and its `<name>.offsets.tmp`, if present, a regular file). Problems name offsets.directory,
/// the path, the OS error and the fix.
std::vector<Finding> check_offsets_directory(const config::Config& config, bool create);

/// http.listen can be bound now (a socket is bound and closed at once; "" = endpoint off).
std::vector<Finding> check_http_listen(const config::Config& config);

/// `check` and `check --offline`: both of the above, creating nothing but the probe file.
std::vector<Finding> local_checks(const config::Config& config);

/// `run`, before any connection: raises the open files limit (raise_open_file_limit), checks and
/// creates offsets.directory (check_offsets_directory), logging what it did and each problem.
/// False if run must stop (exit 2). http.listen is checked by binding it for real, next.
bool startup_checks(const config::Config& config);

/// Raises RLIMIT_NOFILE's soft limit to the hard one (at most 2^20), so http.max_connections, not
/// the default 1024, bounds the HTTP connections. Returns what it did, for the log ("" if nothing).
std::string raise_open_file_limit();

}  // namespace tributary::app
