// The committer's recovery from Kafka failures: abort and send the kept batch again, and tell a
// coordinator's timeout rollback from a second instance when the producer is fenced.
#include "app/committer.hpp"
#include "base/log.hpp"

namespace tributary::app {

using Clock = std::chrono::steady_clock;

Result<void> Committer::reproduce_batch() {
  auto begun = producer_->begin();
  if (!begun.ok()) return begun.error();
  for (const auto& message : batch_.messages) {
    auto produced = producer_->produce(message);
    if (!produced.ok()) return produced.error();
  }
  return {};
}

Result<void> Committer::resend_batch() {
  auto backoff = std::chrono::milliseconds(250);
  while (true) {
    auto aborted = producer_->abort(kCommitTimeout);
    if (aborted.ok()) break;
    if (aborted.error().kind != ErrorKind::kRetriable || give_up()) return aborted.error();
    log::warn(pipeline_.name, "Kafka abort failed, retrying: " + aborted.error().message);
    pause(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  probe_.transaction_aborted();
  return reproduce_batch();
}

Result<void> Committer::recover_from_fence(const Error& cause) {
  // librdkafka 2.0.2 reports every epoch bump as _FENCED. A transaction younger than
  // transaction.timeout.ms cannot have been rolled back by the coordinator's timeout (begin() is
  // local, the coordinator starts its clock later, at the first AddPartitionsToTxn), so a newer
  // producer with our transactional.id bumped it: a second instance, which must win.
  const auto open_for = std::chrono::duration_cast<std::chrono::milliseconds>(
      Clock::now() - producer_->transaction_began());
  const std::string transactional_id = producer_->options().transactional_id;
  if (open_for.count() < config_.kafka.transaction_timeout_ms) {
    fenced_by_another_instance_ = true;
    return Error::fatal(cause.message + " (fenced by another instance with transactional.id " +
                        transactional_id + ": its transaction was open " +
                        std::to_string(open_for.count()) +
                        " ms, less than kafka.transaction_timeout_ms)");
  }
  // Older: Kafka was unreachable or stuck past the timeout and the coordinator rolled the
  // transaction back, bumping the epoch. None of the batch is visible: send it all again from a
  // new producer, unless Kafka holds an offsets record this process did not commit (a second
  // instance did: it wins, as above).
  log::warn(pipeline_.name,
            "Kafka producer fenced after its transaction outlived "
            "kafka.transaction_timeout_ms (open " +
                std::to_string(open_for.count()) + " ms of " +
                std::to_string(config_.kafka.transaction_timeout_ms) +
                "): the coordinator rolled it back (" + cause.message +
                "); rebuilding the producer and sending its " +
                std::to_string(batch_.messages.size()) + " records again");
  probe_.transaction_aborted();
  const std::optional<std::string> expected = producer_->last_offsets_record();
  auto created = sink::TransactionalProducer::create(producer_->options());
  if (!created.ok()) return created.error();
  // kafka_healthy() reads the view from the loop thread: never left pointing at a freed producer.
  producer_view_ = nullptr;
  producer_ = std::move(created.value());
  auto backoff = std::chrono::milliseconds(250);
  while (true) {
    auto initialized = producer_->init_transactions(kCommitTimeout);
    if (initialized.ok()) break;
    if (initialized.error().kind != ErrorKind::kRetriable || give_up()) return initialized.error();
    log::warn(pipeline_.name,
              "Kafka init_transactions failed, retrying: " + initialized.error().message);
    pause(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  producer_view_ = producer_.get();
  while (true) {
    auto record = producer_->read_last_offsets_record(kCommitTimeout);
    if (record.ok()) {
      if (*record != expected) {
        fenced_by_another_instance_ = true;
        return Error::fatal(
            "fenced by another instance with transactional.id " + transactional_id +
            ": the last offsets record of pipeline " + pipeline_.name + " in topic " +
            config_.offsets.topic +
            " is not the one this process committed last; exiting without sending the batch "
            "again (a restart resumes from Kafka's record)");
      }
      break;
    }
    if (record.error().kind != ErrorKind::kRetriable || give_up()) return record.error();
    log::warn(pipeline_.name,
              "reading the offsets record failed, retrying: " + record.error().message);
    pause(backoff);
  }
  return reproduce_batch();
}

}  // namespace tributary::app
