// libFuzzer target: the configuration loader (config::load_from_string) on arbitrary YAML text.
//
// Checks besides "no crash, no leak, no UB, no hang": a config comes back exactly when there is
// no error; at most kMaxErrors are kept (the rest counted); every error has a message, and no
// path or message holds a control byte. The key password_file is renamed password_fil_ (an
// unknown key, same length, so positions stay): the loader would read that file from the host,
// which is not part of the input (tests/unit/config covers the reading).
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  for (std::size_t at = text.find("password_file"); at != std::string::npos;
       at = text.find("password_file", at)) {
    text[at + 12] = '_';
  }

  const tributary::config::LoadResult result =
      tributary::config::load_from_string(text, "fuzz.yaml");
  FUZZ_CHECK(result.config.has_value() == result.errors.empty(),
             std::to_string(result.errors.size()) + " errors");
  FUZZ_CHECK(result.errors.size() <= tributary::config::kMaxErrors,
             std::to_string(result.errors.size()) + " errors kept");
  FUZZ_CHECK(result.omitted_errors == 0 || result.errors.size() == tributary::config::kMaxErrors,
             std::to_string(result.omitted_errors) + " omitted");
  for (const auto& error : result.errors) {
    FUZZ_CHECK(!error.message.empty(), error.path);
    FUZZ_CHECK(error.line >= 0 && error.column >= 0, error.to_string());
    // Messages go to a terminal and the journal: control bytes are escaped (\x00).
    for (const std::string* text : {&error.path, &error.message}) {
      for (unsigned char c : *text) {
        FUZZ_CHECK(c >= 0x20 && c != 0x7f, tributary::fuzz::printable(error.to_string()));
      }
    }
  }
  return 0;
}
