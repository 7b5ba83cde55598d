// How a pipeline encodes column values (options_types.cpp): Debezium's *.handling.mode and
// time.precision.mode settings.
#pragma once

namespace tributary::config {

struct TypesConfig {};

}  // namespace tributary::config
