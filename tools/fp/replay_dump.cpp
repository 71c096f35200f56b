// `fp replay dump`: events as JSON lines, in global order or along one entity's stream.

#include "cluster/data_dir.hpp"
#include "journal/record_format.hpp"
#include "schemas/msgpack_json.hpp"
#include "tools/fp/cli.hpp"
#include "tools/fp/progress.hpp"
#include "tools/fp/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace fp::tools {

namespace {

using json = nlohmann::ordered_json;

void print_event(const journal::record_view& r) {
  json line{{"global_seq", r.global_seq},
            {"persistence_id", std::string(r.persistence_id)},
            {"seq", r.seq},
            {"event_type", std::string(r.event_type)},
            {"schema_version", r.schema_version},
            {"written_at", rfc3339_ns(r.written_at_ns)},
            {"writer", std::string(r.writer)}};
  if (auto payload = schemas::msgpack_to_json(r.payload))
    line["payload"] = std::move(*payload);
  else
    line["payload_hex"] = to_hex(r.payload);
  auto text = line.dump(-1, ' ', false, json::error_handler_t::replace);
  text.push_back('\n');
  std::fwrite(text.data(), 1, text.size(), stdout);
}

} // namespace

exit_code replay_dump(const args& a) {
  if (a.has("--pid") && a.has("--global"))
    return fail(a, exit_code::usage, "--pid and --global exclude each other; give one");
  if (a.has("--pid")) {
    auto pid = a.text("--pid");
    if (pid.empty() || pid.size() > journal::format::max_pid_bytes ||
        pid.find('\0') != std::string::npos)
      return fail(a, exit_code::usage,
                  "--pid: a persistence id is 1.." +
                      std::to_string(journal::format::max_pid_bytes) + " bytes, got " +
                      std::to_string(pid.size()));
  }
  std::filesystem::path data = a.text("--data");
  faults_mean_damage(a, data.string());
  auto j = cluster::open_journal(data, true);
  if (!j)
    return fail(a, exit_code::failed, j.error().message());
  auto from = a.number("--from", 1);
  auto limit = a.number("--limit", UINT64_MAX);
  if (limit == 0)
    return exit_code::ok;
  auto total = (*j)->stats().next_global_seq - 1;
  progress bar("dump", a.has("--pid") ? 0 : std::min(limit, total));
  std::uint64_t printed = 0;
  auto print = [&](const journal::record_view& r) {
    print_event(r);
    if ((++printed & 0x3ff) == 0)
      bar.set(printed);
    return printed < limit;
  };
  expected<std::uint64_t> done = a.has("--pid") ? (*j)->read_entity(a.text("--pid"), from, print)
                                                : (*j)->read_global(from, limit, print);
  bar.finish();
  if (std::fflush(stdout) != 0)
    return fail(a, exit_code::failed, "cannot write to stdout");
  if (!done)
    return fail(a, exit_code::failed,
                done.error().message() + " after " + std::to_string(printed) +
                    " events (run 'fp replay verify' for a full check)");
  if (a.has("--pid") && printed == 0 && from <= 1)
    std::fprintf(stderr, "fp replay dump: no events for persistence_id %s\n",
                 in_quotes(a.text("--pid")).c_str());
  return exit_code::ok;
}

} // namespace fp::tools
