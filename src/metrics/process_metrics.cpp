// process_* metrics from /proc/self: parsers kept pure (unit-tested on captured text).
#include "metrics/process_metrics.hpp"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <limits>

namespace tributary::metrics {
namespace {

std::optional<uint64_t> to_u64(std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::vector<std::string_view> split_spaces(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\n' && text[i] != '\t') ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  return fields;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

/// Entries of /proc/self/fd, not counting the descriptor this count holds open.
std::optional<uint64_t> count_open_fds(const std::string& proc_self) {
  DIR* dir = ::opendir((proc_self + "/fd").c_str());
  if (dir == nullptr) return std::nullopt;
  uint64_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count > 0 ? count - 1 : 0;
}

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  f.metric.push_back(std::move(metric));
  return f;
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text, long clock_ticks_per_second,
                                        long page_size) {
  const auto close = text.rfind(')');
  if (close == std::string_view::npos || clock_ticks_per_second <= 0 || page_size <= 0) {
    return std::nullopt;
  }
  // fields[0] is field 3 (state): field N is fields[N - 3].
  const auto fields = split_spaces(text.substr(close + 1));
  if (fields.size() < 22) return std::nullopt;
  const auto utime = to_u64(fields[11]);
  const auto stime = to_u64(fields[12]);
  const auto start = to_u64(fields[19]);
  const auto vsize = to_u64(fields[20]);
  const auto rss = to_u64(fields[21]);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  ProcStat stat;
  stat.cpu_seconds =
      static_cast<double>(*utime + *stime) / static_cast<double>(clock_ticks_per_second);
  stat.virtual_bytes = *vsize;
  stat.resident_bytes = *rss * static_cast<uint64_t>(page_size);
  stat.start_ticks = *start;
  return stat;
}

std::optional<uint64_t> parse_boot_time(std::string_view proc_stat) {
  std::size_t at = 0;
  while (at < proc_stat.size()) {
    auto end = proc_stat.find('\n', at);
    if (end == std::string_view::npos) end = proc_stat.size();
    const std::string_view line = proc_stat.substr(at, end - at);
    if (line.starts_with("btime ")) {
      const auto fields = split_spaces(line);
      if (fields.size() == 2) return to_u64(fields[1]);
    }
    at = end + 1;
  }
  return std::nullopt;
}

std::optional<uint64_t> parse_max_open_files(std::string_view limits) {
  // "Limit                     Soft Limit           Hard Limit           Units"
  // "Max open files            1024                 524288               files"
  constexpr std::string_view kLine = "Max open files";
  const auto at = limits.find(kLine);
  if (at == std::string_view::npos) return std::nullopt;
  auto end = limits.find('\n', at);
  if (end == std::string_view::npos) end = limits.size();
  const auto fields = split_spaces(limits.substr(at + kLine.size(), end - at - kLine.size()));
  if (fields.empty()) return std::nullopt;
  if (fields[0] == "unlimited") return std::numeric_limits<uint64_t>::max();
  return to_u64(fields[0]);
}

ProcessCollector::ProcessCollector(std::string proc_self, std::string proc_stat)
    : proc_self_(std::move(proc_self)),
      clock_ticks_(::sysconf(_SC_CLK_TCK)),
      page_size_(::sysconf(_SC_PAGESIZE)) {
  if (auto text = read_file(proc_stat)) boot_time_ = parse_boot_time(*text);
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  if (auto text = read_file(proc_self_ + "/stat")) {
    if (auto stat = parse_proc_stat(*text, clock_ticks_, page_size_)) {
      families.push_back(family("process_cpu_seconds_total",
                                "Total user and system CPU time spent in seconds.",
                                MetricType::Counter, stat->cpu_seconds));
      families.push_back(family("process_resident_memory_bytes", "Resident memory size in bytes.",
                                MetricType::Gauge, static_cast<double>(stat->resident_bytes)));
      families.push_back(family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                                MetricType::Gauge, static_cast<double>(stat->virtual_bytes)));
      if (boot_time_) {
        const double start =
            static_cast<double>(*boot_time_) +
            static_cast<double>(stat->start_ticks) / static_cast<double>(clock_ticks_);
        families.push_back(family("process_start_time_seconds",
                                  "Start time of the process since unix epoch in seconds.",
                                  MetricType::Gauge, start));
      }
    }
  }
  if (auto open = count_open_fds(proc_self_)) {
    families.push_back(family("process_open_fds", "Number of open file descriptors.",
                              MetricType::Gauge, static_cast<double>(*open)));
  }
  if (auto text = read_file(proc_self_ + "/limits")) {
    if (auto max = parse_max_open_files(*text)) {
      families.push_back(family("process_max_fds", "Maximum number of open file descriptors.",
                                MetricType::Gauge, static_cast<double>(*max)));
    }
  }
  return families;
}

}  // namespace tributary::metrics
