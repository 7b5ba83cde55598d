// CatalogWorker: the streaming source's catalog queries on a thread of their own, answers posted
// back to the loop (a query blocked by a lock must not stall the event loop).
#pragma once

#include <libpq-fe.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "source/postgres/catalog.hpp"

namespace tributary::source::postgres {

/// Owns the catalog connection while streaming and runs jobs on it one at a time, in order.
/// @locality run() and the destructor on the loop thread; jobs on the worker thread; their
/// answers on the loop thread.
class CatalogWorker {
 public:
  CatalogWorker(boost::asio::io_context& io, std::unique_ptr<Catalog> catalog);
  /// Cancels a running query (PQcancel), drops queued jobs and joins the thread; answers not yet
  /// delivered are dropped.
  ~CatalogWorker();
  CatalogWorker(const CatalogWorker&) = delete;
  CatalogWorker& operator=(const CatalogWorker&) = delete;

  /// Runs `job(catalog)` on the worker thread, then `done(result)` on the loop unless this
  /// worker was destroyed meanwhile.
  template <class Job, class Done>
  void run(Job job, Done done) {
    enqueue([this, job = std::move(job), done = std::move(done)]() mutable {
      auto result = job(*catalog_);
      boost::asio::post(
          io_, [alive = alive_, done = std::move(done), result = std::move(result)]() mutable {
            if (*alive) done(std::move(result));
          });
    });
  }

 private:
  void enqueue(std::function<void()> job);
  void loop();

  boost::asio::io_context& io_;
  std::unique_ptr<Catalog> catalog_;
  PGcancel* cancel_ = nullptr;
  /// false once destroyed (loop thread): answers posted after that are dropped.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tributary::source::postgres
