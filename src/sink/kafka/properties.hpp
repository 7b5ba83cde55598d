// The user's librdkafka properties (kafka.properties): which hold secrets, masking their values in
// any text librdkafka produces, and checking them all without creating a client.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::sink {

/// What a masked value is replaced with.
inline constexpr std::string_view kMaskedValue = "[masked]";

/// True for properties whose value is a credential: every key containing "password", "secret",
/// "token", "credential" or ".pem" (sasl.password, ssl.key.password, ssl.keystore.password,
/// ssl.key.pem, sasl.oauthbearer.client.secret, ...), and sasl.oauthbearer.config, which may
/// carry a client secret. Case-insensitive.
bool is_secret_property(std::string_view name);

/// `text` with every value of a secret property in `properties` replaced by kMaskedValue,
/// wherever it appears (librdkafka echoes values: `Invalid value "..." for configuration
/// property "..."`). For every error or log line that may quote a property value.
std::string mask_secret_values(std::string text,
                               const std::map<std::string, std::string>& properties);

/// One property librdkafka refused.
struct PropertyProblem {
  std::string name;     ///< the property, e.g. "security.protocol"
  std::string message;  ///< librdkafka's reason, secrets masked
};

/// Sets every property on a scratch rd_kafka_conf_t (no client, no network) and returns every
/// refusal, in name order; empty when librdkafka takes them all. Checks each key alone: a
/// combination refused only when the client is created is not found here.
std::vector<PropertyProblem> check_properties(const std::map<std::string, std::string>& properties);

}  // namespace tributary::sink
