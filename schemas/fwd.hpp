#pragma once

#include <cstdint>

/// Forward declarations of schemas/ types, for headers that only pass them by reference.
namespace fp {

class error;
template <class T>
class expected;
template <class Tag>
class strong_id;
struct origin_offset;
struct artifact_ref;

} // namespace fp

namespace fp::schemas {

enum class errc;
struct envelope;
struct envelope_options;

} // namespace fp::schemas
