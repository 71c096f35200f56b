#pragma once

// The on-disk record layout. journal/FORMAT.md is the prose description; a change here
// is a new format version and needs an upcaster plus golden-bytes tests in tests/compat/.

#include "journal/types.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fp::journal::format {

/// The version byte of records and object entries.
constexpr std::uint8_t version = 1;
/// The environment's layout (meta `format`). 2 keeps objects in `object_log` and indexes their
/// paths in `objects` (path -> u64be object seq); format-1 environments, whose `objects` holds
/// the entries themselves, are read as they are and marked 2 when opened for writing.
constexpr std::uint8_t env_version = 2;

// -- database names -------------------------------------------------------------------------

constexpr const char* events_db = "events";         ///< u64be global seq -> record
constexpr const char* streams_db = "streams";       ///< stream key -> u64be global seq
constexpr const char* snapshots_db = "snapshots";   ///< stream key -> record (kind snapshot)
constexpr const char* objects_db = "objects";       ///< object path -> u64be object seq (or entry)
constexpr const char* object_log_db = "object_log"; ///< u64be object seq -> path and entry
constexpr const char* meta_db = "meta"; ///< "format" -> u8 env_version; watermarks -> u64be

/// Every event with a global seq up to this value has its entry in `streams`.
constexpr std::string_view indexed_through_key = "indexed_through";

// -- record header (little-endian) ----------------------------------------------------------

constexpr std::size_t off_version = 0;         // u8
constexpr std::size_t off_kind = 1;            // u8  record_kind
constexpr std::size_t off_type_len = 2;        // u16 event_type length
constexpr std::size_t off_payload_len = 4;     // u32 payload length
constexpr std::size_t off_seq = 8;             // u64 per-entity seq
constexpr std::size_t off_global_seq = 16;     // u64 global seq (0 for snapshots)
constexpr std::size_t off_written_at = 24;     // i64 ns since the Unix epoch (metadata)
constexpr std::size_t off_schema_version = 32; // u32 event encoding version
constexpr std::size_t off_pid_len = 36;        // u16 persistence id length
constexpr std::size_t off_writer_len = 38;     // u16 writer id length
constexpr std::size_t off_checksum = 40;       // u64 XXH3-64 (see record_checksum)
constexpr std::size_t header_size = 48;        // then pid, event_type, writer, payload

constexpr std::size_t max_pid_bytes = 400; ///< keeps stream keys under LMDB's 511-byte limit
constexpr std::size_t max_type_bytes = 255;
constexpr std::size_t max_writer_bytes = 255;

/// Stream key: pid bytes, a NUL, u64be seq. Persistence ids hold no NUL, so all keys of one
/// stream are adjacent and ordered by seq, and ids sharing a prefix (`counter/`) are adjacent.
std::string stream_key(std::string_view pid, std::uint64_t seq);
/// A `streams` entry covers a run of consecutive seqs of one stream: its key names the first
/// seq, its value holds the run's global seqs, 8 bytes (big-endian) each, at most
/// `max_index_run` of them.
constexpr std::size_t max_index_run = 128;
/// The run length of a `streams` value; 0 when malformed.
inline std::size_t run_length(std::size_t value_bytes) {
  return value_bytes > 0 && value_bytes % 8 == 0 && value_bytes / 8 <= max_index_run
             ? value_bytes / 8
             : 0;
}

/// Splits a stream key; false when malformed.
bool parse_stream_key(std::string_view key, std::string_view& pid, std::uint64_t& seq);
/// The key prefix shared by every record of `pid`.
std::string stream_prefix(std::string_view pid);

/// Little-endian fixed-width fields of records and object entries.
template <class T>
void put_le(std::string& out, std::size_t off, T x) {
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out[off + i] = static_cast<char>((static_cast<std::uint64_t>(x) >> (8 * i)) & 0xff);
}

template <class T>
T get_le(std::string_view in, std::size_t off) {
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    x |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[off + i])) << (8 * i);
  return static_cast<T>(x);
}

std::string u64be(std::uint64_t x);
std::uint64_t read_u64be(std::string_view bytes); ///< needs 8 bytes

/// Encodes a record (checksum included).
std::string encode(const record_view& r);
/// Encodes into `out`, reusing its capacity (the writer's hot path).
void encode_into(const record_view& r, std::string& out);

enum class decode_status { ok, too_short, bad_version, bad_kind, bad_lengths, bad_checksum };
const char* to_string(decode_status s);

/// Decodes and verifies `bytes`; the views in `out` point into `bytes`.
decode_status decode(std::string_view bytes, record_view& out);

/// The persistence id a record's header names, even when its checksum fails; false when its
/// lengths do not add up (then nothing in it can be trusted).
bool stream_of(std::string_view bytes, std::string_view& pid);

/// Object entry: u8 version, u8 storage (1 inline, 2 file), u16 schema_version length,
/// u64 size, 32-byte sha256, u64 XXH3-64 checksum (as for records), schema_version, inline bytes.
constexpr std::uint8_t object_inline = 1;
constexpr std::uint8_t object_file = 2;
constexpr std::size_t object_header_size = 52;

} // namespace fp::journal::format
