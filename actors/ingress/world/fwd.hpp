#pragma once

// Forward declarations of the world module's types (see README.md).

#include <cstdint>

namespace fp::world {

enum class errc;
enum class output : int;
enum class pattern : std::uint8_t;
struct params;
struct merchant_info;
struct flow_record;
class simulator;
struct stream_stats;
struct generate_result;

} // namespace fp::world
