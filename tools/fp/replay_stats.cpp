// `fp replay stats`: what the journal holds, counted by one scan in global order.

#include "cluster/data_dir.hpp"
#include "journal/object_store.hpp"
#include "journal/record_format.hpp"
#include "tools/fp/cli.hpp"
#include "tools/fp/progress.hpp"
#include "tools/fp/text.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <map>

namespace fp::tools {

namespace {

struct type_stats {
  std::uint64_t count = 0;
  std::uint64_t payload_bytes = 0;
};

struct journal_counts {
  std::uint64_t entities = 0, events = 0, payload_bytes = 0, record_bytes = 0;
  std::uint64_t snapshots = 0, objects = 0, object_bytes = 0, file_bytes = 0;
  std::map<std::string, type_stats, std::less<>> types;
};

expected<journal_counts> count(const journal::journal& j) {
  journal_counts c;
  auto streams = j.list_streams([](std::string_view, std::uint64_t) { return true; });
  if (!streams)
    return streams.error();
  c.entities = *streams;
  progress bar("stats", j.stats().next_global_seq - 1);
  auto scanned = j.read_global(1, UINT64_MAX, [&](const journal::record_view& r) {
    ++c.events;
    c.payload_bytes += r.payload.size();
    c.record_bytes += journal::format::header_size + r.persistence_id.size() + r.event_type.size() +
                      r.writer.size() + r.payload.size();
    auto it = c.types.find(r.event_type);
    if (it == c.types.end())
      it = c.types.emplace(std::string(r.event_type), type_stats{}).first;
    ++it->second.count;
    it->second.payload_bytes += r.payload.size();
    if ((c.events & 0xfff) == 0)
      bar.set(c.events);
    return true;
  });
  bar.finish();
  if (!scanned)
    return scanned.error();
  auto snaps = j.read_all_snapshots([](const journal::record_view&) { return true; });
  if (!snaps)
    return snaps.error();
  c.snapshots = *snaps;
  journal::object_store objects{const_cast<journal::journal&>(j)};
  auto listed = objects.list("", [&](const artifact_ref& ref) {
    ++c.objects;
    c.object_bytes += ref.size_bytes.value_or(0);
    return true;
  });
  if (!listed)
    return listed.error();
  std::error_code ec;
  c.file_bytes = std::filesystem::file_size(j.opts().dir / "data.mdb", ec);
  return c;
}

void print_json(const journal_counts& c, const std::filesystem::path& dir) {
  nlohmann::ordered_json types = nlohmann::ordered_json::object();
  for (auto& [name, t] : c.types)
    types[name] = {{"count", t.count}, {"payload_bytes", t.payload_bytes}};
  nlohmann::ordered_json out{{"journal", dir.string()},
                             {"entities", c.entities},
                             {"events", c.events},
                             {"payload_bytes", c.payload_bytes},
                             {"record_bytes", c.record_bytes},
                             {"file_bytes", c.file_bytes},
                             {"event_types", types},
                             {"snapshots", c.snapshots},
                             {"objects", c.objects},
                             {"object_bytes", c.object_bytes}};
  std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

void print_text(const journal_counts& c, const std::filesystem::path& dir) {
  auto u = [](std::uint64_t n) { return static_cast<unsigned long long>(n); };
  std::printf("journal    %s (data.mdb %s)\n", dir.c_str(), human_bytes(c.file_bytes).c_str());
  std::printf("entities   %llu\n", u(c.entities));
  std::printf("events     %llu (payloads %s, records %s)\n", u(c.events),
              human_bytes(c.payload_bytes).c_str(), human_bytes(c.record_bytes).c_str());
  std::printf("snapshots  %llu\n", u(c.snapshots));
  std::printf("objects    %llu (%s)\n", u(c.objects), human_bytes(c.object_bytes).c_str());
  if (c.types.empty())
    return;
  std::printf("\n%-32s %12s %16s\n", "event type", "count", "payload bytes");
  for (auto& [name, t] : c.types)
    std::printf("%-32s %12llu %16llu\n", in_quotes(name).c_str(), u(t.count), u(t.payload_bytes));
}

} // namespace

exit_code replay_stats(const args& a) {
  std::filesystem::path data = a.text("--data");
  faults_mean_damage(a, data.string());
  auto j = cluster::open_journal(data, true);
  if (!j)
    return fail(a, exit_code::failed, j.error().message());
  auto c = count(**j);
  if (!c)
    return fail(a, exit_code::failed,
                c.error().message() + " (run 'fp replay verify' for a full check)");
  if (a.has("--json"))
    print_json(*c, (*j)->opts().dir);
  else
    print_text(*c, (*j)->opts().dir);
  return exit_code::ok;
}

} // namespace fp::tools
