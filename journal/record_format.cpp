#include "journal/record_format.hpp"

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <cstring>

namespace fp::journal::format {

namespace {

/// XXH3-64 of everything after the header, seeded with XXH3-64 of the header before the
/// checksum field: two one-shot hashes (the streaming API buffers small inputs, which costs
/// more than the hashing on the replay path).
std::uint64_t record_checksum(std::string_view bytes) {
  auto seed = XXH3_64bits(bytes.data(), off_checksum);
  return XXH3_64bits_withSeed(bytes.data() + header_size, bytes.size() - header_size, seed);
}

} // namespace

std::string u64be(std::uint64_t x) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, x >>= 8)
    out[i] = static_cast<char>(x & 0xff);
  return out;
}

std::uint64_t read_u64be(std::string_view bytes) {
  std::uint64_t x = 0;
  for (int i = 0; i < 8; ++i)
    x = (x << 8) | static_cast<unsigned char>(bytes[i]);
  return x;
}

std::string stream_prefix(std::string_view pid) {
  std::string out;
  out.reserve(pid.size() + 1 + 8);
  out.append(pid);
  out.push_back('\0');
  return out;
}

std::string stream_key(std::string_view pid, std::uint64_t seq) {
  auto out = stream_prefix(pid);
  out += u64be(seq);
  return out;
}

bool parse_stream_key(std::string_view key, std::string_view& pid, std::uint64_t& seq) {
  if (key.size() < 10 || key[key.size() - 9] != '\0')
    return false;
  pid = key.substr(0, key.size() - 9);
  seq = read_u64be(key.substr(key.size() - 8));
  return true;
}

std::string encode(const record_view& r) {
  std::string out;
  encode_into(r, out);
  return out;
}

void encode_into(const record_view& r, std::string& out) {
  out.assign(header_size, '\0');
  put_le<std::uint8_t>(out, off_version, version);
  put_le<std::uint8_t>(out, off_kind, static_cast<std::uint8_t>(r.kind));
  put_le<std::uint16_t>(out, off_type_len, static_cast<std::uint16_t>(r.event_type.size()));
  put_le<std::uint32_t>(out, off_payload_len, static_cast<std::uint32_t>(r.payload.size()));
  put_le<std::uint64_t>(out, off_seq, r.seq);
  put_le<std::uint64_t>(out, off_global_seq, r.global_seq);
  put_le<std::int64_t>(out, off_written_at, r.written_at_ns);
  put_le<std::uint32_t>(out, off_schema_version, r.schema_version);
  put_le<std::uint16_t>(out, off_pid_len, static_cast<std::uint16_t>(r.persistence_id.size()));
  put_le<std::uint16_t>(out, off_writer_len, static_cast<std::uint16_t>(r.writer.size()));
  out.append(r.persistence_id);
  out.append(r.event_type);
  out.append(r.writer);
  out.append(r.payload);
  put_le<std::uint64_t>(out, off_checksum, record_checksum(out));
}

const char* to_string(decode_status s) {
  switch (s) {
  case decode_status::ok:
    return "ok";
  case decode_status::too_short:
    return "shorter than the record header";
  case decode_status::bad_version:
    return "unknown record format version";
  case decode_status::bad_kind:
    return "unknown record kind";
  case decode_status::bad_lengths:
    return "field lengths do not add up to the record size";
  case decode_status::bad_checksum:
    return "checksum mismatch";
  }
  return "unknown";
}

decode_status decode(std::string_view bytes, record_view& out) {
  if (bytes.size() < header_size)
    return decode_status::too_short;
  if (get_le<std::uint8_t>(bytes, off_version) != version)
    return decode_status::bad_version;
  auto kind = get_le<std::uint8_t>(bytes, off_kind);
  if (kind != static_cast<std::uint8_t>(record_kind::event) &&
      kind != static_cast<std::uint8_t>(record_kind::snapshot))
    return decode_status::bad_kind;
  std::size_t type_len = get_le<std::uint16_t>(bytes, off_type_len);
  std::size_t payload_len = get_le<std::uint32_t>(bytes, off_payload_len);
  std::size_t pid_len = get_le<std::uint16_t>(bytes, off_pid_len);
  std::size_t writer_len = get_le<std::uint16_t>(bytes, off_writer_len);
  if (header_size + pid_len + type_len + writer_len + payload_len != bytes.size())
    return decode_status::bad_lengths;
  if (get_le<std::uint64_t>(bytes, off_checksum) != record_checksum(bytes))
    return decode_status::bad_checksum;
  out.kind = static_cast<record_kind>(kind);
  out.seq = get_le<std::uint64_t>(bytes, off_seq);
  out.global_seq = get_le<std::uint64_t>(bytes, off_global_seq);
  out.written_at_ns = get_le<std::int64_t>(bytes, off_written_at);
  out.schema_version = get_le<std::uint32_t>(bytes, off_schema_version);
  auto pos = header_size;
  out.persistence_id = bytes.substr(pos, pid_len);
  pos += pid_len;
  out.event_type = bytes.substr(pos, type_len);
  pos += type_len;
  out.writer = bytes.substr(pos, writer_len);
  pos += writer_len;
  out.payload = bytes.substr(pos, payload_len);
  return decode_status::ok;
}

bool stream_of(std::string_view bytes, std::string_view& pid) {
  if (bytes.size() < header_size)
    return false;
  std::size_t type_len = get_le<std::uint16_t>(bytes, off_type_len);
  std::size_t payload_len = get_le<std::uint32_t>(bytes, off_payload_len);
  std::size_t pid_len = get_le<std::uint16_t>(bytes, off_pid_len);
  std::size_t writer_len = get_le<std::uint16_t>(bytes, off_writer_len);
  if (pid_len == 0 || header_size + pid_len + type_len + writer_len + payload_len != bytes.size())
    return false;
  pid = bytes.substr(header_size, pid_len);
  return pid.find('\0') == std::string_view::npos;
}

} // namespace fp::journal::format
