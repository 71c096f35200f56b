#include "cluster/admin_browse.hpp"

#include "bus/errc.hpp"
#include "cluster/errc.hpp"
#include "journal/object_store.hpp"
#include "schemas/errc.hpp"

namespace fp::cluster {

namespace {

using json = nlohmann::ordered_json;

/// A text field, or its base64 form under `<name>_base64` when it is not UTF-8.
void put_bytes(json& j, const std::string& name, std::string_view bytes) {
  if (is_utf8(bytes))
    j[name] = std::string(bytes);
  else
    j[name + "_base64"] = base64(bytes);
}

} // namespace

expected<std::vector<bus::message>> node_view::bus_records(std::string_view, std::int32_t,
                                                           std::int64_t, std::size_t) const {
  return fp::error{errc::not_found, "no event bus is wired on this node"};
}

expected<std::pair<artifact_ref, std::string>> node_view::object(std::string_view) const {
  return fp::error{errc::not_found, "no object store on this node"};
}

std::string base64(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    auto v = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
             (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) | std::uint8_t(bytes[i + 2]);
    for (int s : {18, 12, 6, 0})
      out += alphabet[(v >> s) & 63];
  }
  if (auto rest = bytes.size() - i; rest > 0) {
    std::uint32_t v = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    if (rest == 2)
      v |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool is_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = std::uint8_t(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size())
      return false;
    for (std::size_t k = 1; k <= n; ++k) {
      auto cc = std::uint8_t(s[i + k]);
      if ((cc & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
      return false;
    i += n + 1;
  }
  return true;
}

expected<std::vector<bus::message>> read_partition(bus::event_bus& bus, std::string_view topic,
                                                   std::int32_t partition, std::int64_t from,
                                                   std::size_t limit) {
  auto info = bus.describe_topic(topic);
  if (!info)
    return std::move(info).error();
  std::int64_t high = -1;
  for (auto& p : info->partitions)
    if (p.partition == partition)
      high = p.high;
  if (high < 0)
    return fp::error{errc::not_found, "topic " + std::string(topic) + " has no partition " +
                                          std::to_string(partition)};
  std::vector<bus::message> out;
  if (from >= high || limit == 0)
    return out;
  auto c = bus.assign({{std::string(topic), partition, from}});
  if (!c)
    return std::move(c).error();
  // Records below `high` exist: wait up to 5 s for the first (a new Kafka consumer connects
  // and fetches first), then stop after 1 s without more. A page that found none of them is an
  // error, never an empty answer that reads as "nothing there".
  int idle = 0;
  auto first_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (out.size() < limit &&
         (out.empty() ? std::chrono::steady_clock::now() < first_deadline : idle < 5)) {
    auto got = (*c)->poll(limit - out.size(), std::chrono::milliseconds(200));
    if (!got) {
      (*c)->close();
      return std::move(got).error();
    }
    idle = got->empty() ? idle + 1 : 0;
    for (auto& m : *got)
      out.push_back(std::move(m));
    if (!out.empty() && out.back().offset + 1 >= high)
      break;
  }
  (*c)->close();
  if (out.empty())
    return fp::error{bus::errc::timeout,
                     "topic " + std::string(topic) + " partition " + std::to_string(partition) +
                         ": no record from offset " + std::to_string(from) + " (high " +
                         std::to_string(high) + ") arrived within 5 s; try again"};
  return out;
}

http_response bus_records_route(const node_view& node, const http_request& r) {
  if (auto ok = only_params(r, {"partition", "from", "limit"}); !ok)
    return error_response(ok.error());
  auto partition = query_uint(r, "partition", 0, 0, 100'000);
  auto from = query_uint(r, "from", 0, 0, std::uint64_t(INT64_MAX));
  auto limit = query_uint(r, "limit", 100, 1, 1000);
  if (!partition)
    return error_response(partition.error());
  if (!from)
    return error_response(from.error());
  if (!limit)
    return error_response(limit.error());
  const auto& topic = r.captures.at(0);
  auto recs = node.bus_records(topic, static_cast<std::int32_t>(*partition),
                               static_cast<std::int64_t>(*from), *limit);
  if (!recs)
    return error_response(recs.error());
  auto list = json::array();
  json next = nullptr;
  for (auto& m : *recs) {
    json rec{{"offset", m.offset}, {"timestamp_ms", m.timestamp_ms}};
    put_bytes(rec, "key", m.key);
    auto hs = json::array();
    for (auto& h : m.headers) {
      json hj{{"key", h.key}};
      put_bytes(hj, "value", h.value);
      hs.push_back(std::move(hj));
    }
    rec["headers"] = std::move(hs);
    put_bytes(rec, "value", m.value);
    list.push_back(std::move(rec));
    next = m.offset + 1;
  }
  return json_response(200, json{{"topic", topic},
                                 {"partition", *partition},
                                 {"from", *from},
                                 {"records", std::move(list)},
                                 {"next_from", std::move(next)}});
}

http_response object_route(const node_view& node, const http_request& r) {
  if (auto ok = only_params(r, {}); !ok)
    return error_response(ok.error());
  const auto& path = r.captures.at(0);
  if (auto ok = journal::object_store::validate_path(path); !ok)
    return error_response(bad_parameter("path", ok.error().message()));
  auto obj = node.object(path);
  if (!obj)
    return error_response(obj.error());
  http_response res{200, "application/octet-stream", std::move(obj->second), {}};
  if (obj->first.digest)
    res.headers.emplace_back("X-Object-Sha256", *obj->first.digest);
  if (obj->first.schema_version)
    res.headers.emplace_back("X-Object-Schema-Version", *obj->first.schema_version);
  return res;
}

} // namespace fp::cluster
