// GTID sets as the servers print them, advanced transaction by transaction while streaming.
#pragma once

#include <string>
#include <string_view>

namespace tributary::source::mysql {

/// `set` after the transaction `gtid` was executed.
///   MariaDB: set "0-1-100,1-2-7", gtid "0-1-101" -> "0-1-101,1-2-7" (one entry per domain, the
///   domain's last GTID; a new domain is appended).
///   MySQL: set "uuid:1-100,uuid2:1-5", gtid "uuid:101" -> "uuid:1-101,uuid2:1-5" (an interval
///   ending right before gno is extended, else ":gno" is appended; a new uuid is appended).
/// An empty `gtid` (anonymous transaction) leaves the set as it is.
std::string advance_gtid_set(std::string_view set, std::string_view gtid, bool mariadb);

/// MariaDB: "" when the server still has every transaction after `position_set`, given
/// `oldest_state`, the GTID state at the start of its oldest binlog file (that file's GTID_LIST,
/// BINLOG_GTID_POS(file, 4)); otherwise the domains it lacks, e.g. "domain 0 (at 0-1-40, the
/// oldest binlog starts after 0-1-57)". A domain of `oldest_state` absent from `position_set` is
/// missing too (its first transactions are gone).
std::string mariadb_gtid_missing(std::string_view position_set, std::string_view oldest_state);

}  // namespace tributary::source::mysql
