// The user's librdkafka properties: secret detection, masking, and a check on a scratch config.
#include "sink/kafka/properties.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cctype>

namespace tributary::sink {

bool is_secret_property(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view marker : {"password", "secret", "token", "credential", ".pem"}) {
    if (lower.find(marker) != std::string::npos) return true;
  }
  return lower == "sasl.oauthbearer.config";
}

std::string mask_secret_values(std::string text,
                               const std::map<std::string, std::string>& properties) {
  std::vector<std::string_view> secrets;
  for (const auto& [name, value] : properties) {
    if (!value.empty() && is_secret_property(name)) secrets.push_back(value);
  }
  // Longest first: a secret that contains another is masked whole.
  std::sort(secrets.begin(), secrets.end(),
            [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
  for (std::string_view secret : secrets) {
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + kMaskedValue.size())) {
      text.replace(at, secret.size(), kMaskedValue);
    }
  }
  return text;
}

std::vector<PropertyProblem> check_properties(
    const std::map<std::string, std::string>& properties) {
  std::vector<PropertyProblem> problems;
  if (properties.empty()) return problems;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [name, value] : properties) {
    char reason[512] = "";
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason, sizeof reason) !=
        RD_KAFKA_CONF_OK) {
      problems.push_back({name, mask_secret_values(reason, properties)});
    }
  }
  rd_kafka_conf_destroy(conf);
  return problems;
}

}  // namespace tributary::sink
