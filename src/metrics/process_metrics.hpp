// The standard process_* metrics every Prometheus client library exports, read from /proc/self
// at scrape time.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::metrics {

/// What /proc/<pid>/stat says about CPU, memory and start time.
struct ProcStat {
  double cpu_seconds = 0;       ///< utime + stime
  uint64_t virtual_bytes = 0;   ///< vsize
  uint64_t resident_bytes = 0;  ///< rss pages * page size
  uint64_t start_ticks = 0;     ///< starttime: clock ticks after boot
};

/// Parses /proc/<pid>/stat: "pid (comm) state ppid ... utime(14) stime(15) ... starttime(22)
/// vsize(23) rss(24) ...". comm may hold spaces and parentheses, so fields are counted from the
/// last ')'. nullopt when the text is short or a field is not a number.
std::optional<ProcStat> parse_proc_stat(std::string_view text, long clock_ticks_per_second,
                                        long page_size);

/// The "btime <unix seconds>" line of /proc/stat (boot time); nullopt without one.
std::optional<uint64_t> parse_boot_time(std::string_view proc_stat);

/// The soft "Max open files" limit of /proc/<pid>/limits; "unlimited" is UINT64_MAX (as the Go
/// client reports it). nullopt without the line.
std::optional<uint64_t> parse_max_open_files(std::string_view limits);

/// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
/// process_start_time_seconds, process_open_fds, process_max_fds. Each is left out when its /proc
/// file cannot be read. Collect() runs on the scraping thread; it only reads procfs.
class ProcessCollector : public prometheus::Collectable {
 public:
  /// `proc_self`: the directory to read ("/proc/self"; a test passes another).
  explicit ProcessCollector(std::string proc_self = "/proc/self",
                            std::string proc_stat = "/proc/stat");
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string proc_self_;
  std::optional<uint64_t> boot_time_;  ///< read once: it does not change
  long clock_ticks_;
  long page_size_;
};

}  // namespace tributary::metrics
