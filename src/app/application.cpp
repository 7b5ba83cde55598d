// Process lifecycle for `tributary run`.
#include "app/application.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <vector>

#include "app/config_reload.hpp"
#include "app/local_checks.hpp"
#include "app/pipeline.hpp"
#include "app/sd_notify.hpp"
#include "base/log.hpp"
#include "metrics/health.hpp"
#include "metrics/http_server.hpp"
#include "metrics/metrics.hpp"

namespace tributary::app {
namespace {

constexpr int kHandledSignals[] = {SIGINT,  SIGTERM, SIGPWR,    SIGHUP,  SIGUSR1,
                                   SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO};

std::string signal_name(int number) {
  switch (number) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGPWR:
      return "SIGPWR";
    case SIGHUP:
      return "SIGHUP";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGUSR2:
      return "SIGUSR2";
    case SIGALRM:
      return "SIGALRM";
    case SIGVTALRM:
      return "SIGVTALRM";
    case SIGPROF:
      return "SIGPROF";
    case SIGIO:
      return "SIGIO";
    default:
      return "signal " + std::to_string(number);
  }
}

/// One `systemctl status` line: "shop: streaming, lag 0.012 s; inventory: snapshotting" (the lag
/// when `with_lag` and the pipeline streams).
std::string status_text(const std::vector<std::unique_ptr<Pipeline>>& pipelines, bool with_lag) {
  std::string text;
  for (const auto& pipeline : pipelines) {
    if (!text.empty()) text += "; ";
    text += pipeline->name() + ": " + pipeline->phase();
    if (with_lag && pipeline->phase() == "streaming") {
      char lag[48];
      std::snprintf(lag, sizeof lag, ", lag %.3f s", pipeline->lag_seconds());
      text += lag;
    }
  }
  return text;
}

/// How often a phase change is looked for (and so at most how late its STATUS= line is).
constexpr auto kStatusInterval = std::chrono::milliseconds(500);
/// While the shutdown flush runs, EXTEND_TIMEOUT_USEC= is sent this often...
constexpr auto kExtendInterval = std::chrono::seconds(2);
/// ...for the time left until the process exits by itself plus this margin, so systemd's stop
/// timeout never cuts a flush that shutdown.timeout_ms still allows, and never waits much longer.
constexpr auto kExtendMargin = std::chrono::seconds(5);

}  // namespace

int run(const config::Config& config, const std::string& config_path) {
  log::Level level = log::Level::kInfo;
  log::parse_level(config.log.level, level);
  log::set_level(level);
  log::set_format(log::parse_format(config.log.format));
  if (auto failed = log::set_file(config.log.file)) {
    log::error({}, "log.file: " + *failed +
                       " (fix: create the directory and give the service user write access to "
                       "it, or leave log.file empty to log to standard error)");
    return 2;
  }

  // Before any connection: an unusable offsets.directory must not surface after the snapshot.
  if (!startup_checks(config)) return 2;

  boost::asio::io_context io;
  // Registered first: a signal that arrives while the rest starts up waits for its handler below
  // instead of ending the process.
  boost::asio::signal_set signals(io);
  for (int number : kHandledSignals) signals.add(number);
  metrics::Metrics metrics;
  metrics::HealthState health;
  metrics::HttpServer http(
      io, metrics, health,
      {.request_timeout = std::chrono::milliseconds(config.http.request_timeout_ms),
       .idle_timeout = std::chrono::milliseconds(config.http.idle_timeout_ms),
       .max_connections = static_cast<std::size_t>(config.http.max_connections)});
  if (!config.http.listen.empty()) {
    auto listening = http.listen(config.http.listen);
    if (!listening.ok()) {
      log::error({}, listening.error().message);
      return 2;
    }
    auto colon = config.http.listen.rfind(':');
    log::info({}, "http listening on " + config.http.listen.substr(0, colon) + ":" +
                      std::to_string(http.port()));
  }

  int exit_code = 0;
  std::size_t running = config.pipelines.size();
  boost::asio::steady_timer shutdown_timer(io);
  boost::asio::steady_timer watchdog_timer(io);
  boost::asio::steady_timer status_timer(io);
  boost::asio::steady_timer extend_timer(io);
  bool shutting_down = false;
  const bool notifying = notify_enabled();
  std::chrono::steady_clock::time_point exit_deadline{};
  std::function<void()> extend_stop_timeout;

  std::vector<std::unique_ptr<Pipeline>> pipelines;
  auto stop_all = [&](const char* why) {
    if (shutting_down) return;
    shutting_down = true;
    log::info({}, std::string("shutting down: ") + why);
    notify("STOPPING=1");
    health.set_shutting_down();
    for (auto& pipeline : pipelines) pipeline->stop();
    exit_deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(config.shutdown_timeout_ms);
    if (notifying && extend_stop_timeout) extend_stop_timeout();
    shutdown_timer.expires_at(exit_deadline);
    shutdown_timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      log::error({}, "shutdown did not finish within shutdown.timeout_ms (" +
                         std::to_string(config.shutdown_timeout_ms) + " ms); exiting with code 1");
      for (auto& pipeline : pipelines) {
        if (pipeline->finished()) continue;
        log::error(pipeline->name(),
                   "stopped before its last Kafka transaction was committed; nothing is lost: the "
                   "next start resumes from the last committed checkpoint, " +
                       pipeline->committed_position_text());
      }
      // Not waiting for the sink threads: one may block in a Kafka call for its whole timeout,
      // past systemd's stop timeout. Nothing depends on it: the checkpoint file is replaced
      // atomically and the open transaction is aborted by the next start's producer.
      log::info({}, "exiting with code 1");
      std::_Exit(1);
    });
  };
  for (const auto& pipeline_config : config.pipelines) {
    pipelines.push_back(
        std::make_unique<Pipeline>(io, config, pipeline_config, metrics, health, [&](int code) {
          exit_code = std::max(exit_code, code);
          if (code != 0) stop_all("a pipeline failed");
          if (--running == 0) {
            shutdown_timer.cancel();
            watchdog_timer.cancel();
            status_timer.cancel();
            extend_timer.cancel();
            http.stop();
            io.stop();
          }
        }));
  }

  // Every signal a user or an orchestrator may send that would end the process by default is
  // handled (SIGQUIT keeps its core dump); writes to closed sockets fail with EPIPE instead.
  std::signal(SIGPIPE, SIG_IGN);
  config::Config reloadable = config;  // SIGHUP compares the file with it; log.level is applied
  std::function<void()> wait_for_signal = [&] {
    signals.async_wait([&](boost::system::error_code ec, int number) {
      if (ec) return;
      const std::string name = signal_name(number);
      if (number == SIGTERM || number == SIGINT || number == SIGPWR) {
        if (shutting_down) log::info({}, name + " received; already shutting down");
        stop_all(name.c_str());
      } else if (number == SIGHUP) {
        reload(config_path, reloadable);
      } else if (number == SIGUSR1) {
        for (auto& pipeline : pipelines) {
          log::write(log::shown(log::Level::kInfo), pipeline->name(), {}, pipeline->status_line());
        }
      } else {
        log::warn({}, name +
                          " received; ignored (SIGUSR1 logs each pipeline's status, SIGHUP "
                          "re-reads the configuration, SIGTERM stops)");
      }
      wait_for_signal();
    });
  };
  wait_for_signal();

  // systemd: the stop timeout stretched while the flush runs (bounded by shutdown.timeout_ms), a
  // STATUS= line at each phase change and with each watchdog pet.
  extend_stop_timeout = [&] {
    const auto left = std::chrono::ceil<std::chrono::microseconds>(
        exit_deadline - std::chrono::steady_clock::now() + kExtendMargin);
    notify("EXTEND_TIMEOUT_USEC=" + std::to_string(std::max<int64_t>(left.count(), 1)) +
           "\nSTATUS=shutting down (at most " + std::to_string(config.shutdown_timeout_ms / 1000) +
           " s): " + status_text(pipelines, false));
    extend_timer.expires_after(kExtendInterval);
    extend_timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) extend_stop_timeout();
    });
  };
  std::string last_phases;
  std::function<void()> watch_phases = [&] {
    if (std::string phases = status_text(pipelines, false); phases != last_phases) {
      last_phases = std::move(phases);
      notify("STATUS=" + status_text(pipelines, true));
    }
    status_timer.expires_after(kStatusInterval);
    status_timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) watch_phases();
    });
  };

  for (auto& pipeline : pipelines) pipeline->start();
  notify("READY=1");
  if (notifying) watch_phases();
  // Declared here, not inside an `if`: the timer's handler calls `pet` (and reads `interval`)
  // long after such a block would have ended.
  const auto interval = watchdog_interval();
  std::function<void()> pet = [&] {
    notify("WATCHDOG=1\nSTATUS=" + status_text(pipelines, true));
    watchdog_timer.expires_after(*interval / 2);
    watchdog_timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) pet();
    });
  };
  if (interval) pet();
  io.run();
  pipelines.clear();
  log::info({}, "exiting with code " + std::to_string(exit_code));
  return exit_code;
}

}  // namespace tributary::app
