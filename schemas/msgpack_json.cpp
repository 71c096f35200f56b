#include "schemas/msgpack_json.hpp"

#include "schemas/hash.hpp"

#include <msgpack.hpp>

#include <unordered_set>

namespace fp::schemas {

namespace {

using json = nlohmann::ordered_json;

constexpr std::size_t max_depth = 256;

/// A msgpack map whose keys collide once written as JSON strings (`1` and `"1"`, or a repeat).
struct not_representable {};

json to_json(const msgpack::object& o) {
  switch (o.type) {
  case msgpack::type::NIL:
    return nullptr;
  case msgpack::type::BOOLEAN:
    return o.via.boolean;
  case msgpack::type::POSITIVE_INTEGER:
    return o.via.u64;
  case msgpack::type::NEGATIVE_INTEGER:
    return o.via.i64;
  case msgpack::type::FLOAT32:
  case msgpack::type::FLOAT64:
    return o.via.f64;
  case msgpack::type::STR:
    return std::string(o.via.str.ptr, o.via.str.size);
  case msgpack::type::BIN:
    return json{{"$bin_hex", to_hex({o.via.bin.ptr, o.via.bin.size})}};
  case msgpack::type::EXT:
    return json{{"$ext_type", o.via.ext.type()},
                {"$ext_hex", to_hex({o.via.ext.data(), o.via.ext.size})}};
  case msgpack::type::ARRAY: {
    auto out = json::array();
    for (std::uint32_t i = 0; i < o.via.array.size; ++i)
      out.push_back(to_json(o.via.array.ptr[i]));
    return out;
  }
  case msgpack::type::MAP: {
    // Appended straight to the ordered map's vector (its operator[] searches linearly, which
    // is quadratic in the key count). Non-string keys are spelled as JSON; keys that collide
    // cannot be shown faithfully, so the caller falls back to hex.
    auto out = json::object();
    auto& entries = static_cast<json::object_t::Container&>(out.get_ref<json::object_t&>());
    entries.reserve(o.via.map.size);
    std::unordered_set<std::string> seen;
    for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
      const auto& kv = o.via.map.ptr[i];
      auto key = kv.key.type == msgpack::type::STR
                     ? std::string(kv.key.via.str.ptr, kv.key.via.str.size)
                     : to_json(kv.key).dump(-1, ' ', false, json::error_handler_t::replace);
      if (!seen.insert(key).second)
        throw not_representable{};
      entries.emplace_back(std::move(key), to_json(kv.val));
    }
    return out;
  }
  }
  return nullptr;
}

} // namespace

std::optional<nlohmann::ordered_json> msgpack_to_json(std::string_view bytes) {
  // Every element takes at least one byte, so no honest count exceeds the payload's size;
  // the limits stop a forged header from asking for a huge allocation.
  auto n = bytes.size();
  msgpack::unpack_limit limit(n, n, n, n, n, max_depth);
  std::size_t offset = 0;
  try {
    auto handle = msgpack::unpack(bytes.data(), n, offset, nullptr, nullptr, limit);
    if (offset != n)
      return std::nullopt;
    return to_json(handle.get());
  } catch (const std::exception&) {
    return std::nullopt;
  } catch (const not_representable&) {
    return std::nullopt;
  }
}

} // namespace fp::schemas
