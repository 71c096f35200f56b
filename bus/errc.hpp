#pragma once

#include "schemas/error.hpp"

#include <string>

namespace fp::bus {

/// Every backend failure (LMDB, librdkafka, broker) is translated into one of these at the
/// bus's edge; the message keeps the backend's or broker's own reason.
enum class errc {
  unknown_topic = 1,   ///< the topic was never created (topics are created by an admin action)
  topic_exists,        ///< create_topic on a name that exists with another shape
  invalid_argument,    ///< bad topic name, partition, offset, group id, header or option
  too_large,           ///< a record beyond the backend's limit
  timeout,             ///< no durable outcome within the deadline (the outcome is unknown)
  broker,              ///< the broker refused or failed the request (its reason is kept)
  not_assigned,        ///< commit or seek on a partition this consumer does not own
  offset_out_of_range, ///< below the retention low watermark or beyond the high one
  io,                  ///< the embedded log's storage failed; nothing was written
  corrupt,             ///< stored or received bytes fail their check or do not decode
  closed,              ///< the bus or consumer is closed
  offset_moved,        ///< a staged record would not get the offset its writer expected
};

std::string to_string(errc code);

} // namespace fp::bus

template <>
struct fp::error_domain<fp::bus::errc> {
  static constexpr const char* name = "bus";
};
