// Process lifecycle for `tributary run`.
#include "app/application.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
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

}  // namespace

int run(const config::Config& config, const std::string& config_path) {
  log::Level level = log::Level::kInfo;
  log::parse_level(config.log.level, level);
  log::set_level(level);

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
  bool shutting_down = false;

  std::vector<std::unique_ptr<Pipeline>> pipelines;
  auto stop_all = [&](const char* why) {
    if (shutting_down) return;
    shutting_down = true;
    log::info({}, std::string("shutting down: ") + why);
    notify("STOPPING=1");
    health.set_shutting_down();
    for (auto& pipeline : pipelines) pipeline->stop();
    shutdown_timer.expires_after(std::chrono::milliseconds(config.shutdown_timeout_ms));
    shutdown_timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      log::error({}, "shutdown did not finish within shutdown.timeout_ms (" +
                         std::to_string(config.shutdown_timeout_ms) +
                         " ms); exiting with code 1");
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

  for (auto& pipeline : pipelines) pipeline->start();
  notify("READY=1");
  if (auto interval = watchdog_interval()) {
    std::function<void()> pet = [&] {
      notify("WATCHDOG=1");
      watchdog_timer.expires_after(*interval / 2);
      watchdog_timer.async_wait([&](boost::system::error_code ec) {
        if (!ec) pet();
      });
    };
    pet();
  }
  io.run();
  pipelines.clear();
  log::info({}, "exiting with code " + std::to_string(exit_code));
  return exit_code;
}

}  // namespace tributary::app
