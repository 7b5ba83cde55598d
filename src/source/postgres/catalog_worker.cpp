// The catalog worker thread.
#include "source/postgres/catalog_worker.hpp"

namespace tributary::source::postgres {

CatalogWorker::CatalogWorker(boost::asio::io_context& io, std::unique_ptr<Catalog> catalog)
    : io_(io), catalog_(std::move(catalog)) {
  cancel_ = PQgetCancel(catalog_->connection().raw());
  thread_ = std::thread([this] { loop(); });
}

CatalogWorker::~CatalogWorker() {
  *alive_ = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  if (cancel_ != nullptr) {
    // A query waiting on a lock would otherwise keep the join waiting as long as the lock.
    char error[256];
    PQcancel(cancel_, error, sizeof error);
  }
  if (thread_.joinable()) thread_.join();
  if (cancel_ != nullptr) PQfreeCancel(cancel_);
}

void CatalogWorker::enqueue(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void CatalogWorker::loop() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace tributary::source::postgres
