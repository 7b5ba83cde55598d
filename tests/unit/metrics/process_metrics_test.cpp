// process_* metrics: the /proc parsers on captured text, and the collector on this process.
#include "metrics/process_metrics.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <limits>
#include <string>

#include "metrics/metrics.hpp"

using tributary::metrics::parse_boot_time;
using tributary::metrics::parse_max_open_files;
using tributary::metrics::parse_proc_stat;

namespace {
// /proc/<pid>/stat of a process whose comm holds a space and a parenthesis (fields 1..52):
// utime 1500, stime 250, starttime 123456, vsize 987654321, rss 2048.
constexpr const char* kStat =
    "4242 (tri) butary) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1500 250 0 0 20 0 9 0 123456 "
    "987654321 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 "
    "0 0\n";

bool has_prefix_line(const std::string& text, const std::string& prefix) {
  return text.find("\n" + prefix) != std::string::npos || text.rfind(prefix, 0) == 0;
}

double sample(const std::string& text, const std::string& name) {
  const auto at = text.find("\n" + name + " ");
  REQUIRE(at != std::string::npos);
  return std::stod(text.substr(at + name.size() + 2));
}
}  // namespace

TEST_CASE("proc stat: fields counted from the last parenthesis", "[metrics][process]") {
  auto stat = parse_proc_stat(kStat, 100, 4096);
  REQUIRE(stat);
  CHECK(stat->cpu_seconds == Approx(17.5));
  CHECK(stat->virtual_bytes == 987654321ULL);
  CHECK(stat->resident_bytes == 2048ULL * 4096);
  CHECK(stat->start_ticks == 123456ULL);
}

TEST_CASE("proc stat: short or garbled text is refused", "[metrics][process]") {
  CHECK_FALSE(parse_proc_stat("", 100, 4096));
  CHECK_FALSE(parse_proc_stat("4242 (x) S 1 2 3", 100, 4096));
  CHECK_FALSE(
      parse_proc_stat("4242 no parenthesis S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
                      "19 20 21 22 23",
                      100, 4096));
  std::string garbled = kStat;
  garbled.replace(garbled.find("1500"), 4, "15x0");
  CHECK_FALSE(parse_proc_stat(garbled, 100, 4096));
  CHECK_FALSE(parse_proc_stat(kStat, 0, 4096));
}

TEST_CASE("proc stat: boot time", "[metrics][process]") {
  CHECK(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n") == 1700000000ULL);
  CHECK_FALSE(parse_boot_time("cpu  1 2 3\nprocesses 9\n"));
  CHECK_FALSE(parse_boot_time("btime x\n"));
}

TEST_CASE("proc limits: the soft open files limit", "[metrics][process]") {
  const std::string limits =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max open files            1024                 524288               files     \n"
      "Max locked memory         8388608              8388608              bytes     \n";
  CHECK(parse_max_open_files(limits) == 1024ULL);
  CHECK(parse_max_open_files("Max open files            unlimited            unlimited  files\n") ==
        std::numeric_limits<uint64_t>::max());
  CHECK_FALSE(parse_max_open_files("Max cpu time              unlimited\n"));
}

TEST_CASE("process metrics of this process are in /metrics and plausible", "[metrics][process]") {
  tributary::metrics::Metrics metrics;
  const std::string text = metrics.serialize();
  INFO(text);
  CHECK(has_prefix_line(text, "# TYPE process_cpu_seconds_total counter"));
  CHECK(has_prefix_line(text, "# TYPE process_resident_memory_bytes gauge"));
  CHECK(sample(text, "process_resident_memory_bytes") > 0);
  CHECK(sample(text, "process_virtual_memory_bytes") >=
        sample(text, "process_resident_memory_bytes"));
  CHECK(sample(text, "process_cpu_seconds_total") >= 0);
  CHECK(sample(text, "process_open_fds") >= 3);  // stdin, stdout, stderr at least
  CHECK(sample(text, "process_max_fds") >= sample(text, "process_open_fds"));
  const double start = sample(text, "process_start_time_seconds");
  CHECK(start > 1.5e9);
  CHECK(start <= static_cast<double>(::time(nullptr)) + 1);
}

TEST_CASE("process collector: unreadable /proc leaves the metrics out", "[metrics][process]") {
  tributary::metrics::ProcessCollector collector("/nonexistent/self", "/nonexistent/stat");
  CHECK(collector.Collect().empty());
}
