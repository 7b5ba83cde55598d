// tributary-mock-kafka: runs a librdkafka mock cluster until SIGTERM/SIGINT or stdin EOF.
//
//   tributary-mock-kafka [--brokers N] [--partitions N] [--topic NAME[:PARTITIONS]]...
//
// stdout: one line "BOOTSTRAP=<host:port,...>", then one answer per stdin command:
//   down <broker_id>   rd_kafka_mock_broker_set_down   -> "ok" | "error <reason>"
//   up <broker_id>     rd_kafka_mock_broker_set_up     -> "ok" | "error <reason>"
// Topics not created here are auto-created by the mock with 4 partitions: librdkafka 2.0.2 has
// no public API to change that default, so --partitions only applies to --topic NAME entries
// without their own count, and requires at least one --topic.
#include <librdkafka/rdkafka.h>
// after rdkafka.h
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

struct TopicSpec {
  std::string name;
  int partitions = -1;  ///< -1: --partitions
};

struct Options {
  int brokers = 1;
  int partitions = -1;
  std::vector<TopicSpec> topics;
};

bool parse_int(std::string_view text, int& out, int min, int max) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  out = value;
  return true;
}

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "tributary-mock-kafka: %s\n"
               "usage: tributary-mock-kafka [--brokers N] [--partitions N] "
               "[--topic NAME[:PARTITIONS]]...\n",
               problem.c_str());
  std::exit(2);
}

Options parse_arguments(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view argument = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage(std::string(argument) + " needs a value");
      return argv[++i];
    };
    if (argument == "--brokers") {
      if (!parse_int(value(), options.brokers, 1, 64)) usage("--brokers takes 1..64");
    } else if (argument == "--partitions") {
      if (!parse_int(value(), options.partitions, 1, 100000)) usage("--partitions takes 1..100000");
    } else if (argument == "--topic") {
      std::string_view spec = value();
      TopicSpec topic;
      auto colon = spec.rfind(':');
      if (colon == std::string_view::npos) {
        topic.name = spec;
      } else {
        topic.name = spec.substr(0, colon);
        if (!parse_int(spec.substr(colon + 1), topic.partitions, 1, 100000)) {
          usage("--topic " + std::string(spec) + ": partitions must be 1..100000");
        }
      }
      if (topic.name.empty()) usage("--topic needs a name");
      options.topics.push_back(std::move(topic));
    } else if (argument == "--help" || argument == "-h") {
      usage("help");
    } else {
      usage("unknown argument " + std::string(argument));
    }
  }
  if (options.partitions != -1 && options.topics.empty()) {
    std::fprintf(stderr,
                 "tributary-mock-kafka: note: --partitions applies to --topic entries only; "
                 "auto-created topics get librdkafka's mock default of 4 partitions\n");
  }
  return options;
}

void answer(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void handle_command(rd_kafka_mock_cluster_t* cluster, std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return;
  auto space = line.find(' ');
  std::string_view verb = line.substr(0, space);
  std::string_view argument = space == std::string_view::npos ? "" : line.substr(space + 1);
  int broker = 0;
  if ((verb == "down" || verb == "up") && parse_int(argument, broker, 0, 1 << 30)) {
    rd_kafka_resp_err_t err = verb == "down" ? rd_kafka_mock_broker_set_down(cluster, broker)
                                             : rd_kafka_mock_broker_set_up(cluster, broker);
    answer(err ? std::string("error ") + rd_kafka_err2str(err) : "ok");
    return;
  }
  answer("error unknown command (expected: down <broker_id> | up <broker_id>)");
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse_arguments(argc, argv);

  // Signals are read from a signalfd next to stdin, so the loop below sees both.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGPIPE);                   // a closed stdout must not kill us mid-answer
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before librdkafka starts its threads
  sigdelset(&signals, SIGPIPE);
  int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    std::fprintf(stderr, "tributary-mock-kafka: signalfd: %s\n", std::strerror(errno));
    return 1;
  }

  // The mock cluster needs a handle for bookkeeping; it never connects anywhere itself.
  char reason[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", reason, sizeof reason);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
  if (!handle) {
    std::fprintf(stderr, "tributary-mock-kafka: rd_kafka_new: %s\n", reason);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, options.brokers);
  if (!cluster) {
    std::fprintf(stderr, "tributary-mock-kafka: cannot create the mock cluster\n");
    rd_kafka_destroy(handle);
    return 1;
  }
  const int replication = std::min(3, options.brokers);
  for (const auto& topic : options.topics) {
    int partitions = topic.partitions != -1     ? topic.partitions
                     : options.partitions != -1 ? options.partitions
                                                : 4;
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(cluster, topic.name.c_str(), partitions, replication);
    if (err) {
      std::fprintf(stderr, "tributary-mock-kafka: topic %s: %s\n", topic.name.c_str(),
                   rd_kafka_err2str(err));
      rd_kafka_mock_cluster_destroy(cluster);
      rd_kafka_destroy(handle);
      return 1;
    }
  }
  answer(std::string("BOOTSTRAP=") + rd_kafka_mock_cluster_bootstraps(cluster));

  std::string pending;
  bool running = true;
  while (running) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {signal_fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "tributary-mock-kafka: poll: %s\n", std::strerror(errno));
      break;
    }
    if (fds[1].revents & POLLIN) break;  // SIGTERM / SIGINT
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buffer[4096];
      ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        running = false;  // EOF (or a broken stdin): the parent is gone
      } else {
        pending.append(buffer, static_cast<std::size_t>(n));
      }
      std::size_t newline;
      while ((newline = pending.find('\n')) != std::string::npos) {
        handle_command(cluster, std::string_view(pending).substr(0, newline));
        pending.erase(0, newline + 1);
      }
      if (!running && !pending.empty()) handle_command(cluster, pending);
    }
  }

  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  ::close(signal_fd);
  return 0;
}
