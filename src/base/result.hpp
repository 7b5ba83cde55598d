// Result<T>: an expected-style return value with a classified error, used at module boundaries.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tributary {

/// How the caller should react to a failure (librdkafka's fatal / retriable / txn_requires_abort).
enum class ErrorKind {
  kRetriable,         ///< transient: retry the same operation (connection lost, broker down)
  kFatal,             ///< cannot continue this pipeline: stop, exit non-zero, let systemd restart
  kAbortTransaction,  ///< the open Kafka transaction must be aborted and its batch resent
  kCorrupt,           ///< untrusted bytes did not parse (overrun, unknown tag)
  kConfig,            ///< the user's configuration or database setup is wrong; message says the fix
};

struct Error {
  ErrorKind kind = ErrorKind::kFatal;
  std::string message;

  static Error retriable(std::string m) { return {ErrorKind::kRetriable, std::move(m)}; }
  static Error fatal(std::string m) { return {ErrorKind::kFatal, std::move(m)}; }
  static Error abort_transaction(std::string m) {
    return {ErrorKind::kAbortTransaction, std::move(m)};
  }
  static Error corrupt(std::string m) { return {ErrorKind::kCorrupt, std::move(m)}; }
  static Error config(std::string m) { return {ErrorKind::kConfig, std::move(m)}; }
};

/// Either a value or an Error. `Result<void>` carries only the error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT implicit

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT implicit
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace tributary
