#include "bus/admin_event.hpp"

#include "schemas/hash.hpp"
#include "schemas/ids.hpp"

#include <msgpack.hpp>
#include <nlohmann/json.hpp>

namespace fp::bus {

namespace {

constexpr std::uint32_t version = 1;
constexpr std::uint32_t fields = 10; // including the version

nlohmann::json spec_to_json(const topic_spec& s) {
  return nlohmann::json{{"name", s.name},
                        {"partitions", s.partitions},
                        {"retention_bytes", s.retention_bytes},
                        {"retention_ms", s.retention_ms}};
}

nlohmann::json opt_spec_json(const std::optional<topic_spec>& s) {
  return s ? spec_to_json(*s) : nlohmann::json(nullptr);
}

void pack_str(msgpack::packer<msgpack::sbuffer>& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void pack_spec(msgpack::packer<msgpack::sbuffer>& pk, const std::optional<topic_spec>& s) {
  if (!s) {
    pk.pack_nil();
    return;
  }
  pk.pack_array(4);
  pack_str(pk, s->name);
  pk.pack_int32(s->partitions);
  pk.pack_int64(s->retention_ms);
  pk.pack_int64(s->retention_bytes);
}

error bad(std::string_view field, std::string_view rule) {
  return error{errc::corrupt, "bus: admin_event." + std::string(field) + ": " + std::string(rule)};
}

expected<std::string> get_str(const msgpack::object& o, std::string_view field) {
  if (o.type != msgpack::type::STR)
    return bad(field, "not a string");
  return std::string(o.via.str.ptr, o.via.str.size);
}

expected<std::optional<topic_spec>> get_spec(const msgpack::object& o, std::string_view field) {
  if (o.type == msgpack::type::NIL)
    return std::optional<topic_spec>{};
  if (o.type != msgpack::type::ARRAY || o.via.array.size != 4)
    return bad(field, "not nil or a 4-item array");
  auto* it = o.via.array.ptr;
  topic_spec s;
  auto name = get_str(it[0], std::string(field) + ".name");
  if (!name)
    return name.error();
  s.name = std::move(*name);
  auto is_int = [](const msgpack::object& x) {
    return x.type == msgpack::type::POSITIVE_INTEGER || x.type == msgpack::type::NEGATIVE_INTEGER;
  };
  if (!is_int(it[1]) || !is_int(it[2]) || !is_int(it[3]))
    return bad(field, "partitions/retention_ms/retention_bytes must be integers");
  try {
    s.partitions = it[1].as<std::int32_t>();
    s.retention_ms = it[2].as<std::int64_t>();
    s.retention_bytes = it[3].as<std::int64_t>();
  } catch (const std::exception& e) {
    return bad(field, e.what());
  }
  return std::optional<topic_spec>{std::move(s)};
}

} // namespace

std::string topic_spec_json(const topic_spec& s) {
  return spec_to_json(s).dump();
}

expected<admin_event> make_admin_event(std::string_view action_type, const admin_context& who,
                                       std::vector<std::string> targets,
                                       std::optional<topic_spec> before,
                                       std::optional<topic_spec> after, std::string result) {
  auto refuse = [](std::string_view field, std::string_view rule) {
    return error{errc::invalid_argument,
                 "bus: admin_event." + std::string(field) + ": " + std::string(rule)};
  };
  if (action_type.empty())
    return refuse("action_type", "must not be empty");
  if (who.actor.empty())
    return refuse("actor", "must not be empty (who asks for the action)");
  if (who.reason.empty())
    return refuse("reason", "must not be empty (why the action is taken)");
  if (!schemas::is_rfc3339_utc(who.observed_at_utc))
    return refuse("observed_at_utc",
                  "not RFC 3339 UTC (\"" + who.observed_at_utc + "\"); the caller takes the time");
  if (targets.empty())
    return refuse("targets", "must name at least one topic");
  if (result.empty())
    return refuse("result", "must not be empty");
  admin_event e;
  e.action_type = std::string(action_type);
  e.actor = who.actor;
  e.observed_at_utc = who.observed_at_utc;
  e.reason = who.reason;
  e.targets = std::move(targets);
  e.before = std::move(before);
  e.after = std::move(after);
  e.result = std::move(result);
  std::vector<std::string_view> parts(e.targets.begin(), e.targets.end());
  std::string targets_id;
  {
    // H(t1, t2, ...) with the same length framing as composite_id.
    std::string framed;
    for (auto t : parts) {
      for (int i = 7; i >= 0; --i)
        framed.push_back(static_cast<char>((t.size() >> (8 * i)) & 0xff));
      framed.append(t);
    }
    targets_id = schemas::sha256_hex(framed);
  }
  auto before_json = e.before ? topic_spec_json(*e.before) : std::string();
  auto after_json = e.after ? topic_spec_json(*e.after) : std::string();
  e.admin_event_id = schemas::composite_id(
      {e.action_type, targets_id, before_json, after_json, e.actor, e.observed_at_utc});
  return e;
}

std::string encode_admin_event(const admin_event& e) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(fields);
  pk.pack_uint32(version);
  pack_str(pk, e.admin_event_id);
  pack_str(pk, e.action_type);
  pack_str(pk, e.actor);
  pack_str(pk, e.observed_at_utc);
  pack_str(pk, e.reason);
  pk.pack_array(static_cast<std::uint32_t>(e.targets.size()));
  for (auto& t : e.targets)
    pack_str(pk, t);
  pack_spec(pk, e.before);
  pack_spec(pk, e.after);
  pack_str(pk, e.result);
  return std::string(buf.data(), buf.size());
}

expected<admin_event> decode_admin_event(std::string_view bytes) {
  msgpack::object_handle handle;
  try {
    std::size_t off = 0;
    handle = msgpack::unpack(bytes.data(), bytes.size(), off);
    if (off != bytes.size())
      return bad("value", "trailing bytes after the array");
  } catch (const std::exception& x) {
    return bad("value", std::string("not msgpack: ") + x.what());
  }
  auto& o = handle.get();
  if (o.type != msgpack::type::ARRAY || o.via.array.size < 1)
    return bad("value", "not a versioned array");
  auto* it = o.via.array.ptr;
  if (it[0].type != msgpack::type::POSITIVE_INTEGER || it[0].via.u64 != version)
    return bad("version", "unknown (this build reads version 1)");
  if (o.via.array.size != fields)
    return bad("value", "expected " + std::to_string(fields) + " items, got " +
                            std::to_string(o.via.array.size));
  admin_event e;
  std::string* strs[] = {&e.admin_event_id, &e.action_type, &e.actor, &e.observed_at_utc,
                         &e.reason};
  const char* names[] = {"admin_event_id", "action_type", "actor", "observed_at_utc", "reason"};
  for (int i = 0; i < 5; ++i) {
    auto s = get_str(it[1 + i], names[i]);
    if (!s)
      return s.error();
    *strs[i] = std::move(*s);
  }
  if (it[6].type != msgpack::type::ARRAY)
    return bad("targets", "not an array");
  for (std::uint32_t i = 0; i < it[6].via.array.size; ++i) {
    auto s = get_str(it[6].via.array.ptr[i], "targets[" + std::to_string(i) + "]");
    if (!s)
      return s.error();
    e.targets.push_back(std::move(*s));
  }
  auto before = get_spec(it[7], "before");
  if (!before)
    return before.error();
  e.before = std::move(*before);
  auto after = get_spec(it[8], "after");
  if (!after)
    return after.error();
  e.after = std::move(*after);
  auto result = get_str(it[9], "result");
  if (!result)
    return result.error();
  e.result = std::move(*result);
  return e;
}

std::string admin_event_json(const admin_event& e) {
  nlohmann::ordered_json j;
  j["admin_event_id"] = e.admin_event_id;
  j["action_type"] = e.action_type;
  j["actor"] = e.actor;
  j["observed_at_utc"] = e.observed_at_utc;
  j["reason"] = e.reason;
  j["targets"] = e.targets;
  j["before"] = opt_spec_json(e.before);
  j["after"] = opt_spec_json(e.after);
  j["result"] = e.result;
  return j.dump();
}

produce_record admin_event_record(const admin_event& e) {
  produce_record r;
  r.topic = std::string(control_topic);
  r.key = e.targets.empty() ? std::string() : e.targets.front();
  r.value = encode_admin_event(e);
  r.headers.push_back({std::string(schema_header), std::string(admin_event_schema)});
  return r;
}

} // namespace fp::bus
