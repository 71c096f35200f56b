#include "bus/embedded/log_format.hpp"

#include "journal/record_format.hpp"

#include <xxhash.h>

#include <cstring>

namespace fp::bus::embedded {

namespace {

// The journal's little-endian field helpers: the log shares its record conventions.
using journal::format::get_le;
using journal::format::put_le;

void append_be(std::string& out, std::uint64_t x, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

std::uint64_t checksum(std::string_view record) {
  auto seed = XXH3_64bits(record.data(), 28);
  return XXH3_64bits_withSeed(record.data() + record_header, record.size() - record_header, seed);
}

} // namespace

std::string partition_key(std::string_view topic, std::int32_t partition) {
  std::string k(topic);
  k.push_back('\0');
  append_be(k, static_cast<std::uint32_t>(partition), 4);
  return k;
}

std::string record_key(std::string_view topic, std::int32_t partition, std::int64_t offset) {
  auto k = partition_key(topic, partition);
  append_be(k, static_cast<std::uint64_t>(offset), 8);
  return k;
}

std::int64_t offset_of(std::string_view key) {
  std::uint64_t x = 0;
  for (auto c : key.substr(key.size() - 8))
    x = (x << 8) | static_cast<unsigned char>(c);
  return static_cast<std::int64_t>(x);
}

std::string checkpoint_prefix(std::string_view group, std::string_view topic) {
  std::string k(group);
  k.push_back('\0');
  k.append(topic);
  k.push_back('\0');
  return k;
}

std::string checkpoint_key(std::string_view group, std::string_view topic, std::int32_t partition) {
  auto k = checkpoint_prefix(group, topic);
  append_be(k, static_cast<std::uint32_t>(partition), 4);
  return k;
}

std::string encode_record(std::string_view key, std::string_view value, const headers& hs,
                          std::int64_t timestamp_ms) {
  std::size_t size = record_header + key.size() + value.size();
  for (auto& h : hs)
    size += 8 + h.key.size() + h.value.size();
  std::string out(record_header, '\0');
  out.reserve(size);
  out[0] = static_cast<char>(format_version);
  put_le<std::uint16_t>(out, 2, static_cast<std::uint16_t>(hs.size()));
  put_le<std::uint32_t>(out, 4, static_cast<std::uint32_t>(key.size()));
  put_le<std::uint32_t>(out, 8, static_cast<std::uint32_t>(value.size()));
  put_le<std::int64_t>(out, 12, timestamp_ms);
  out.append(key);
  out.append(value);
  for (auto& h : hs) {
    std::string lens(8, '\0');
    put_le<std::uint32_t>(lens, 0, static_cast<std::uint32_t>(h.key.size()));
    put_le<std::uint32_t>(lens, 4, static_cast<std::uint32_t>(h.value.size()));
    out.append(lens);
    out.append(h.key);
    out.append(h.value);
  }
  return out;
}

void seal(std::string& record, std::int64_t offset) {
  put_le<std::int64_t>(record, 20, offset);
  put_le<std::uint64_t>(record, 28, checksum(record));
}

std::int64_t record_timestamp(std::string_view bytes) {
  return bytes.size() < record_header ? -1 : get_le<std::int64_t>(bytes, 12);
}

std::optional<message> decode_record(std::string_view b, std::int64_t expected_offset,
                                     std::string& why) {
  if (b.size() < record_header) {
    why = "shorter than the record header";
    return std::nullopt;
  }
  if (static_cast<std::uint8_t>(b[0]) != format_version) {
    why = "unknown record version " + std::to_string(static_cast<unsigned char>(b[0]));
    return std::nullopt;
  }
  if (get_le<std::uint64_t>(b, 28) != checksum(b)) {
    why = "checksum mismatch";
    return std::nullopt;
  }
  if (get_le<std::int64_t>(b, 20) != expected_offset) {
    why = "stored offset " + std::to_string(get_le<std::int64_t>(b, 20)) + " differs from its key";
    return std::nullopt;
  }
  message m;
  m.offset = expected_offset;
  m.timestamp_ms = get_le<std::int64_t>(b, 12);
  auto nh = get_le<std::uint16_t>(b, 2);
  std::size_t klen = get_le<std::uint32_t>(b, 4), vlen = get_le<std::uint32_t>(b, 8);
  std::size_t pos = record_header;
  auto take = [&](std::size_t n, std::string& into) {
    if (b.size() - pos < n)
      return false;
    into.assign(b.data() + pos, n);
    pos += n;
    return true;
  };
  bool ok = take(klen, m.key) && take(vlen, m.value);
  for (std::uint16_t i = 0; ok && i < nh; ++i) {
    if (b.size() - pos < 8) {
      ok = false;
      break;
    }
    std::size_t hk = get_le<std::uint32_t>(b, pos), hv = get_le<std::uint32_t>(b, pos + 4);
    pos += 8;
    header h;
    ok = take(hk, h.key) && take(hv, h.value);
    m.headers.push_back(std::move(h));
  }
  if (!ok || pos != b.size()) {
    why = "lengths do not add up to the record's size";
    return std::nullopt;
  }
  return m;
}

std::string encode_topic(const topic_spec& s) {
  std::string out(21, '\0');
  out[0] = static_cast<char>(format_version);
  put_le<std::int32_t>(out, 1, s.partitions);
  put_le<std::int64_t>(out, 5, s.retention_ms);
  put_le<std::int64_t>(out, 13, s.retention_bytes);
  return out;
}

std::optional<topic_spec> decode_topic(std::string_view name, std::string_view b) {
  if (b.size() != 21 || static_cast<std::uint8_t>(b[0]) != format_version)
    return std::nullopt;
  return topic_spec{std::string(name), get_le<std::int32_t>(b, 1), get_le<std::int64_t>(b, 5),
                    get_le<std::int64_t>(b, 13)};
}

std::string encode_partition(const partition_state& s) {
  std::string out(25, '\0');
  out[0] = static_cast<char>(format_version);
  put_le<std::int64_t>(out, 1, s.low);
  put_le<std::int64_t>(out, 9, s.next);
  put_le<std::int64_t>(out, 17, s.bytes);
  return out;
}

std::optional<partition_state> decode_partition(std::string_view b) {
  if (b.size() != 25 || static_cast<std::uint8_t>(b[0]) != format_version)
    return std::nullopt;
  return partition_state{get_le<std::int64_t>(b, 1), get_le<std::int64_t>(b, 9),
                         get_le<std::int64_t>(b, 17)};
}

std::string encode_checkpoint(std::int64_t next) {
  std::string out(9, '\0');
  out[0] = static_cast<char>(format_version);
  put_le<std::int64_t>(out, 1, next);
  return out;
}

std::optional<std::int64_t> decode_checkpoint(std::string_view b) {
  if (b.size() != 9 || static_cast<std::uint8_t>(b[0]) != format_version)
    return std::nullopt;
  return get_le<std::int64_t>(b, 1);
}

} // namespace fp::bus::embedded
