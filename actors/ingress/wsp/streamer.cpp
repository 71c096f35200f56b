#include "actors/ingress/wsp/streamer.hpp"

#include "actors/ingress/world/params.hpp"
#include "actors/ingress/world/stream.hpp"
#include "actors/ingress/wsp/errc.hpp"
#include "actors/ingress/wsp/rules.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/envelope.hpp"
#include "schemas/hash.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <fstream>
#include <optional>

namespace fp::wsp {

namespace {

using clock = std::chrono::steady_clock;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<world::output> world_output(std::string_view output_id) {
  for (auto o : world::all_outputs)
    if (world::output_id(o) == output_id)
      return o;
  return std::nullopt;
}

/// Reads a part whole and checks its bytes, rows and sha256 against the view before any of
/// its rows is sent (fail closed).
expected<void> verify_part(const std::filesystem::path& file, const part_ref& p) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return error{errc::part_corrupt, p.path + ": cannot open under oracle_root"};
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  std::uint64_t bytes = 0, rows = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0)
      break;
    EVP_DigestUpdate(ctx.get(), buf.data(), n);
    bytes += n;
    for (std::size_t i = 0; i < n; ++i)
      rows += buf[i] == '\n';
  }
  unsigned char md[32];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  std::string hex = schemas::to_hex(std::string_view(reinterpret_cast<char*>(md), len));
  if (bytes != p.bytes || rows != p.rows || hex != p.sha256)
    return error{errc::part_corrupt, p.path + ": bytes, rows or sha256 differ from the " +
                                         "run_facts_view (" + std::to_string(bytes) + " bytes, " +
                                         std::to_string(rows) + " rows)"};
  return {};
}

/// IG's `{"error":{"code","message"}}`, shortened; the body otherwise (never a payload: IG
/// does not echo it).
std::string reason_of(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  std::string out;
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    auto& e = j["error"];
    out = e.value("code", std::string()) + ": " + e.value("message", std::string());
  } else {
    out = body;
  }
  if (out.size() > 300)
    out = out.substr(0, 300) + "...";
  return out;
}

} // namespace

// -- one output --------------------------------------------------------------------------------

/// Streams one output: owns its HTTP client, its checkpoint and the pacing anchor.
class output_worker {
public:
  output_worker(const run_plan& plan, std::size_t index, const stream_options& opts,
                progress_store& store, std::function<bool(std::chrono::microseconds)> sleep,
                const std::atomic<bool>& stopping,
                std::function<void(const checkpoint&, output_state)> publish)
      : plan_(plan)
      , out_(plan.outputs[index])
      , opts_(opts)
      , store_(store)
      , sleep_(std::move(sleep))
      , stopping_(stopping)
      , publish_(std::move(publish))
      , client_(opts.ig_url) {
    client_.set_tcp_nodelay(true);
    client_.set_keep_alive(true);
    auto t = opts.request_timeout;
    client_.set_connection_timeout(t);
    client_.set_read_timeout(t);
    client_.set_write_timeout(t);
    if (!opts.api_key.empty())
      headers_.emplace("X-API-Key", opts.api_key);
  }

  void run() {
    auto loaded = store_.load(plan_.ready.message_id, out_.output_id);
    if (!loaded)
      return finish_stopped(loaded.error());
    if (*loaded)
      c_ = **loaded;
    if (c_.state == output_state::done || c_.state == output_state::stopped)
      return publish_(c_, c_.state);
    auto wo = world_output(out_.output_id);
    if (!wo)
      return finish_stopped(error{errc::plan_mismatch, out_.output_id + ": not a world output"});
    c_.state = output_state::running;
    publish_(c_, output_state::running);
    auto target = opts_.cap_per_output == 0 ? out_.rows : std::min(opts_.cap_per_output, out_.rows);
    std::uint64_t row = 0;
    for (auto& part : out_.parts) {
      if (row >= target || c_.next_row >= target)
        break;
      if (row + part.rows <= c_.next_row) {
        row += part.rows;
        continue;
      }
      auto file = opts_.oracle_root / part.path;
      if (auto ok = verify_part(file, part); !ok)
        return finish_stopped(ok.error());
      std::ifstream in(file, std::ios::binary);
      std::string line;
      while (row < target && std::getline(in, line)) {
        if (row++ < c_.next_row)
          continue;
        if (stopping_)
          return interrupted();
        auto sent = send_row(*wo, line);
        if (!sent) {
          if (sent.error().is(errc::stopped))
            return interrupted();
          return finish_stopped(sent.error());
        }
        if (c_.next_row % opts_.checkpoint_every == 0)
          if (auto ok = store_.save(plan_.ready.message_id, out_.output_id, c_); !ok)
            return finish_stopped(ok.error());
      }
    }
    c_.state = output_state::done;
    if (auto ok = store_.save(plan_.ready.message_id, out_.output_id, c_); !ok)
      return finish_stopped(ok.error());
    publish_(c_, output_state::done);
  }

private:
  /// Builds the row's envelope, waits until it is due and delivers it (twice when it is in
  /// the resend set). On success the row's outcome is known and `c_` moved past it.
  expected<void> send_row(world::output wo, const std::string& line) {
    auto where = out_.output_id + " row " + std::to_string(c_.next_row) + ": ";
    auto row = schemas::parse_strict(line, "row");
    if (!row || !row->is_object())
      return error{errc::part_corrupt, where + "not a JSON object"};
    auto ts = row->find("ts_utc");
    if (ts == row->end() || !ts->is_string())
      return error{errc::part_corrupt, where + "ts_utc: required string"};
    auto ts_ms = parse_ts_ms(ts->get<std::string>());
    if (!ts_ms)
      return error{errc::part_corrupt, where + ts_ms.error().message()};
    auto id = world::row_event_id(plan_.ready.pins.manifest_fingerprint.view(), wo, *row);
    if (!id)
      return error{errc::part_corrupt, where + id.error().message()};
    if (!opts_.unpaced) {
      if (!anchor_) {
        anchor_ = clock::now();
        anchor_ts_ = *ts_ms;
      }
      auto due =
          *anchor_ + std::chrono::microseconds(due_after_us(anchor_ts_, *ts_ms, opts_.speedup));
      auto now = clock::now();
      if (due > now && !sleep_(std::chrono::duration_cast<std::chrono::microseconds>(due - now)))
        return error{errc::stopped, "stopped"};
    }
    const auto& p = plan_.ready.pins;
    schemas::envelope e;
    e.event_id = fp::event_id{*id};
    e.event_type = out_.event_type;
    e.schema_version = out_.schema_version;
    e.ts_utc = ts->get<std::string>();
    e.emitted_at_utc = world::format_ts(wall_ms());
    e.platform_run_id = p.platform_run_id;
    e.scenario_run_id = p.scenario_run_id;
    e.scenario_id = p.scenario_id;
    e.manifest_fingerprint = p.manifest_fingerprint;
    e.parameter_hash = p.parameter_hash;
    e.seed = p.seed;
    e.payload = schemas::canonical(*row);
    auto body = schemas::to_json(e);
    auto first = deliver(body, *id);
    if (!first)
      return first;
    ++c_.next_row;
    ++c_.counts.sent;
    c_.retry_since_ms = -1;
    publish_(c_, output_state::running);
    if (resend_selected(*id, opts_.resend_bp)) {
      ++c_.counts.resent;
      if (auto again = deliver(body, *id); !again)
        return again;
      c_.retry_since_ms = -1;
      publish_(c_, output_state::running);
    }
    return {};
  }

  /// POSTs `body` until IG gives it an outcome: retryable failures back off (doubling) and
  /// send the same bytes again until the event's retry budget, which a checkpoint carries
  /// across restarts, is spent.
  expected<void> deliver(const std::string& body, const std::string& event_id) {
    unsigned attempt = 0;
    for (;;) {
      if (stopping_)
        return error{errc::stopped, "stopped"};
      auto res = client_.Post(opts_.ingest_path, headers_, body, "application/json");
      ++c_.counts.posts;
      int status = res ? res->status : -1;
      std::string answer = res ? res->body : std::string();
      switch (classify(status, answer)) {
      case outcome::admitted:
        ++c_.counts.admitted;
        return {};
      case outcome::duplicate:
        ++c_.counts.duplicate;
        return {};
      case outcome::quarantined:
        ++c_.counts.quarantined;
        return {};
      case outcome::reject:
        return error{errc::rejected, "IG answered " + std::to_string(status) + " for event_id " +
                                         event_id + ": " + reason_of(answer)};
      case outcome::retry:
        break;
      }
      auto now = wall_ms();
      if (c_.retry_since_ms < 0) {
        c_.retry_since_ms = now;
        if (auto ok = store_.save(plan_.ready.message_id, out_.output_id, c_); !ok)
          return ok;
      }
      auto spent = now - c_.retry_since_ms;
      auto last = res ? "HTTP " + std::to_string(status) : httplib::to_string(res.error());
      if (spent >= opts_.retry_budget.count())
        return error{errc::retry_exhausted, "event_id " + event_id + ": retry budget of " +
                                                std::to_string(opts_.retry_budget.count()) +
                                                " ms spent (last: " + last + ")"};
      ++c_.counts.retries;
      publish_(c_, output_state::running);
      auto wait = backoff_delay(attempt++, opts_.backoff_min, opts_.backoff_max);
      auto left = std::chrono::milliseconds(opts_.retry_budget.count() - spent);
      if (!sleep_(std::chrono::duration_cast<std::chrono::microseconds>(std::min(wait, left))))
        return error{errc::stopped, "stopped"};
    }
  }

  void finish_stopped(const fp::error& why) {
    c_.state = output_state::stopped;
    c_.reason = why.to_string();
    (void)store_.save(plan_.ready.message_id, out_.output_id, c_);
    publish_(c_, output_state::stopped);
  }

  /// A stop: keep what is known, resume from it next time.
  void interrupted() {
    (void)store_.save(plan_.ready.message_id, out_.output_id, c_);
    publish_(c_, output_state::running);
  }

  const run_plan& plan_;
  const output_plan& out_;
  const stream_options& opts_;
  progress_store& store_;
  std::function<bool(std::chrono::microseconds)> sleep_;
  const std::atomic<bool>& stopping_;
  std::function<void(const checkpoint&, output_state)> publish_;
  httplib::Client client_;
  httplib::Headers headers_;
  checkpoint c_;
  std::optional<clock::time_point> anchor_;
  std::int64_t anchor_ts_ = 0;
};

// -- the streamer ------------------------------------------------------------------------------

streamer::streamer(run_plan plan, stream_options opts, progress_store& store)
    : plan_(std::move(plan))
    , opts_(std::move(opts))
    , store_(store) {
  if (opts_.checkpoint_every == 0)
    opts_.checkpoint_every = 1;
  for (auto& o : plan_.outputs) {
    auto s = std::make_unique<slot>();
    s->status.output_id = o.output_id;
    s->status.target = opts_.cap_per_output == 0 ? o.rows : std::min(opts_.cap_per_output, o.rows);
    slots_.push_back(std::move(s));
  }
}

streamer::~streamer() {
  stop();
  wait();
}

void streamer::start() {
  if (!threads_.empty())
    return;
  auto n = std::max<std::size_t>(1, std::min<std::size_t>(opts_.concurrency, slots_.size()));
  for (std::size_t i = 0; i < n; ++i)
    threads_.emplace_back([this] {
      work();
      std::lock_guard lock(stop_mu_);
      ++ended_;
      ended_cv_.notify_all();
    });
}

void streamer::wait() {
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
}

bool streamer::wait_for(std::chrono::milliseconds d) {
  {
    std::unique_lock lock(stop_mu_);
    if (!ended_cv_.wait_for(lock, d, [&] { return ended_ == threads_.size(); }))
      return false;
  }
  wait();
  return true;
}

void streamer::stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
}

bool streamer::sleep_for(std::chrono::microseconds d) {
  std::unique_lock lock(stop_mu_);
  return !stop_cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

void streamer::work() {
  for (;;) {
    auto i = next_.fetch_add(1);
    if (i >= slots_.size() || stopping_)
      return;
    run_output(i);
  }
}

void streamer::run_output(std::size_t i) {
  auto& s = *slots_[i];
  output_worker w(
      plan_, i, opts_, store_, [this](std::chrono::microseconds d) { return sleep_for(d); },
      stopping_,
      [&s](const checkpoint& c, output_state st) {
        std::lock_guard lock(s.mu);
        s.status.state = st;
        s.status.counts = c.counts;
        s.status.reason = c.reason;
      });
  w.run();
}

std::vector<output_status> streamer::status() const {
  std::vector<output_status> out;
  for (auto& s : slots_) {
    std::lock_guard lock(s->mu);
    out.push_back(s->status);
  }
  return out;
}

bool streamer::complete() const {
  for (auto& s : slots_) {
    std::lock_guard lock(s->mu);
    if (s->status.state != output_state::done && s->status.state != output_state::stopped)
      return false;
  }
  return true;
}

} // namespace fp::wsp
