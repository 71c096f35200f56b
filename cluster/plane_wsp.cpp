// The `wsp` plane: the World Streamer Producer inside the node. A member of consumer group
// `wsp` on the control topic takes READYs one at a time (header `fp.schema: ready.v1`), checks
// them (actors/ingress/wsp), streams the run to IG and commits the READY's offset only once
// the run is finished (every output done or stopped with a recorded reason). Checkpoints and
// the READY dedupe live in the journal's `wsp` table, so a restart resumes where it stopped.

#include "actors/ingress/wsp/errc.hpp"
#include "actors/ingress/wsp/plan.hpp"
#include "actors/ingress/wsp/store.hpp"
#include "actors/ingress/wsp/streamer.hpp"
#include "cluster/auth.hpp"
#include "cluster/planes.hpp"
#include "journal/journal.hpp"
#include "journal/tables.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace fp::cluster {

namespace {

using json = nlohmann::ordered_json;

/// Checkpoints and finished READYs in the journal's `wsp` table (one group commit each).
class journal_store final : public wsp::progress_store {
public:
  journal_store(journal::journal& j, journal::table t)
      : j_(j)
      , t_(t) {}

  expected<std::optional<wsp::checkpoint>> load(std::string_view mid,
                                                std::string_view out) override {
    auto v = j_.get_table(t_, stream_key(mid, out));
    if (!v)
      return std::move(v).error();
    if (!*v)
      return std::optional<wsp::checkpoint>{};
    auto c = wsp::decode_checkpoint(**v);
    if (!c)
      return std::move(c).error();
    return std::optional<wsp::checkpoint>{std::move(*c)};
  }
  expected<void> save(std::string_view mid, std::string_view out,
                      const wsp::checkpoint& c) override {
    return put(stream_key(mid, out), wsp::encode_checkpoint(c));
  }
  expected<std::optional<std::string>> ready_done(std::string_view mid) override {
    return j_.get_table(t_, "ready/" + std::string(mid));
  }
  expected<void> mark_ready_done(std::string_view mid, std::string summary) override {
    return put("ready/" + std::string(mid), std::move(summary));
  }

private:
  static std::string stream_key(std::string_view mid, std::string_view out) {
    return "stream/" + std::string(mid) + "/" + std::string(out);
  }
  expected<void> put(std::string key, std::string value) {
    auto t = t_;
    auto done = j_.transact([t, key = std::move(key), value = std::move(value)](
                                journal::txn_context& tx) { return tx.put(t, key, value); });
    if (!done)
      return std::move(done).error();
    return {};
  }

  journal::journal& j_;
  journal::table t_;
};

/// One READY as the admin route and the metrics show it.
struct run_entry {
  std::string platform_run_id;
  std::string state; ///< streaming | finished | refused | duplicate
  std::string reason;
  std::vector<wsp::output_status> outputs;
};

json outputs_json(const std::vector<wsp::output_status>& outs) {
  auto list = json::array();
  for (auto& o : outs)
    list.push_back(json{{"output_id", o.output_id},
                        {"state", wsp::to_string(o.state)},
                        {"reason", o.reason},
                        {"target", o.target},
                        {"sent", o.counts.sent},
                        {"posts", o.counts.posts},
                        {"admitted", o.counts.admitted},
                        {"duplicate", o.counts.duplicate},
                        {"quarantined", o.counts.quarantined},
                        {"retries", o.counts.retries},
                        {"resent", o.counts.resent}});
  return list;
}

class wsp_plane {
public:
  wsp_plane(plane_context& ctx, std::vector<wsp::policy_output> policy, wsp::stream_options opts,
            journal::table t)
      : bus_(ctx.bus)
      , objects_(ctx.objects)
      , policy_(std::move(policy))
      , opts_(std::move(opts))
      , store_(ctx.runtime.journal(), t) {}

  expected<void> serving(const served_endpoints& e) {
    if (opts_.ig_url.empty())
      opts_.ig_url = e.ingress_url;
    auto c = bus_.subscribe({"wsp",
                             {std::string(bus::control_topic)},
                             "fpnode-wsp",
                             bus::offset_reset::earliest,
                             std::chrono::milliseconds(10'000),
                             {},
                             {}});
    if (!c)
      return std::move(c).error();
    consumer_ = std::move(*c);
    thread_ = std::thread([this] { consume(); });
    return {};
  }

  void stop() {
    stopping_ = true;
    {
      std::lock_guard lock(mu_);
      if (current_ != nullptr)
        current_->stop();
    }
    if (thread_.joinable())
      thread_.join();
    if (consumer_)
      consumer_->close();
  }

  json runs_json() {
    std::lock_guard lock(mu_);
    refresh_current();
    auto list = json::array();
    for (auto& [mid, r] : runs_)
      list.push_back(json{{"message_id", mid},
                          {"platform_run_id", r.platform_run_id},
                          {"state", r.state},
                          {"reason", r.reason},
                          {"outputs", outputs_json(r.outputs)}});
    return json{{"runs", std::move(list)}};
  }

  std::vector<metric_family> metrics() {
    std::lock_guard lock(mu_);
    refresh_current();
    struct counter {
      const char* name;
      const char* help;
      std::uint64_t wsp::output_counts::*field;
    };
    static constexpr counter counters[] = {
        {"fp_wsp_sent_total", "Distinct events whose IG outcome is known (seed 001 wsp_sent)",
         &wsp::output_counts::sent},
        {"fp_wsp_posts_total", "POSTs to IG, retries and re-sends included",
         &wsp::output_counts::posts},
        {"fp_wsp_admitted_total", "Events IG admitted", &wsp::output_counts::admitted},
        {"fp_wsp_duplicate_total", "POSTs IG answered DUPLICATE", &wsp::output_counts::duplicate},
        {"fp_wsp_quarantined_total", "Events IG quarantined", &wsp::output_counts::quarantined},
        {"fp_wsp_retries_total", "Retries after 429, 5xx, timeouts or refused connections",
         &wsp::output_counts::retries},
        {"fp_wsp_resent_total", "Deliberate at-least-once re-sends (resend_bp)",
         &wsp::output_counts::resent},
    };
    std::vector<metric_family> out;
    for (auto& c : counters) {
      metric_family f{c.name, c.help, metric_type::counter, {}};
      for (auto& [mid, r] : runs_)
        for (auto& o : r.outputs)
          f.samples.push_back({{{"platform_run_id", r.platform_run_id}, {"output_id", o.output_id}},
                               static_cast<double>(o.counts.*c.field)});
      out.push_back(std::move(f));
    }
    return out;
  }

  /// AMBER while a run has a stopped output or a refused READY (the reasons are in
  /// /admin/wsp/runs).
  void health(std::vector<std::string>& amber) {
    std::lock_guard lock(mu_);
    refresh_current();
    bool stopped = false, refused = false;
    for (auto& [mid, r] : runs_) {
      refused = refused || r.state == "refused";
      for (auto& o : r.outputs)
        stopped = stopped || o.state == wsp::output_state::stopped;
    }
    if (stopped)
      amber.emplace_back("WSP_OUTPUT_STOPPED");
    if (refused)
      amber.emplace_back("WSP_READY_REFUSED");
  }

private:
  void refresh_current() {
    if (current_ != nullptr)
      runs_[current_->plan().ready.message_id].outputs = current_->status();
  }

  void record(const std::string& mid, run_entry e) {
    std::lock_guard lock(mu_);
    runs_[mid] = std::move(e);
  }

  /// Records are handled one at a time, in order. While a run streams, the consumer keeps
  /// polling (a member that stops polling is dropped from the group, on Kafka after
  /// max.poll.interval.ms): what arrives meanwhile waits in `pending_` and is handled after the
  /// run; a record whose partition this member no longer owns is left to its new owner.
  void consume() {
    while (!stopping_) {
      if (pending_.empty() && !poll_into_pending(std::chrono::milliseconds(500)))
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      while (!pending_.empty() && !stopping_) {
        auto m = std::move(pending_.front());
        pending_.pop_front();
        if (!owned(m))
          continue;
        if (!handle(m))
          return; // interrupted by a stop: the READY stays uncommitted and comes back
        auto ok = consumer_->commit({{m.topic, m.partition, m.offset + 1}});
        if (!ok)
          std::fprintf(stderr, "fpnode: wsp: commit: %s\n", ok.error().message().c_str());
      }
    }
  }

  /// Polls once and queues what came; false when the poll failed (reported once per streak
  /// of failures, not on every retry).
  bool poll_into_pending(std::chrono::milliseconds timeout) {
    auto got = consumer_->poll(16, timeout);
    if (!got) {
      if (!poll_failing_)
        std::fprintf(stderr, "fpnode: wsp: poll: %s\n", got.error().message().c_str());
      poll_failing_ = true;
      return false;
    }
    if (poll_failing_)
      std::fprintf(stderr, "fpnode: wsp: poll: working again\n");
    poll_failing_ = false;
    for (auto& m : *got)
      pending_.push_back(std::move(m));
    return true;
  }

  bool owned(const bus::message& m) const {
    for (auto& tp : consumer_->assignment())
      if (tp.topic == m.topic && tp.partition == m.partition)
        return true;
    return false;
  }

  /// Whether the record is finished with (then its offset may be committed).
  bool handle(const bus::message& m) {
    bool is_ready = false;
    for (auto& h : m.headers)
      is_ready = is_ready || (h.key == "fp.schema" && h.value == wsp::ready_schema);
    if (!is_ready)
      return true;
    auto ready = wsp::parse_ready(m.value);
    if (!ready) {
      auto where = "offset " + std::to_string(m.offset);
      std::fprintf(stderr, "fpnode: wsp: READY at %s refused: %s\n", where.c_str(),
                   ready.error().message().c_str());
      record("offset-" + std::to_string(m.offset),
             {m.key, "refused", ready.error().to_string(), {}});
      return true;
    }
    const auto& mid = ready->message_id;
    auto prid = ready->pins.platform_run_id.value();
    auto done = store_.ready_done(mid);
    if (done && *done) {
      std::lock_guard lock(mu_);
      if (!runs_.count(mid))
        runs_[mid] = {prid, "duplicate", "READY already streamed", {}};
      return true;
    }
    auto refuse = [&](const fp::error& why) {
      std::fprintf(stderr, "fpnode: wsp: READY %s refused: %s\n", mid.c_str(),
                   why.message().c_str());
      record(mid, {prid, "refused", why.to_string(), {}});
      (void)store_.mark_ready_done(mid,
                                   json{{"state", "refused"}, {"reason", why.to_string()}}.dump());
      return true;
    };
    auto view = objects_.get(ready->view_path);
    if (!view)
      return refuse(fp::error{wsp::errc::view_missing, "run_facts_view " + ready->view_path + ": " +
                                                           view.error().message()});
    auto plan = wsp::build_plan(*ready, *view, policy_);
    if (!plan)
      return refuse(plan.error());
    auto s = std::make_unique<wsp::streamer>(std::move(*plan), opts_, store_);
    {
      std::lock_guard lock(mu_);
      if (stopping_)
        return false;
      runs_[mid] = {prid, "streaming", "", s->status()};
      current_ = s.get();
    }
    s->start();
    while (!s->wait_for(std::chrono::milliseconds(200)))
      (void)poll_into_pending(std::chrono::milliseconds(0));
    bool complete = s->complete();
    auto outs = s->status();
    {
      std::lock_guard lock(mu_);
      current_ = nullptr;
      runs_[mid] = {prid, complete ? "finished" : "interrupted", "", outs};
    }
    if (!complete)
      return false;
    auto summary = json{{"state", "finished"}, {"outputs", outputs_json(outs)}}.dump();
    if (auto ok = store_.mark_ready_done(mid, summary); !ok) {
      std::fprintf(stderr, "fpnode: wsp: READY %s: %s\n", mid.c_str(),
                   ok.error().message().c_str());
      return false;
    }
    return true;
  }

  bus::event_bus& bus_;
  journal::object_store& objects_;
  std::vector<wsp::policy_output> policy_;
  wsp::stream_options opts_;
  journal_store store_;
  std::unique_ptr<bus::consumer> consumer_;
  std::deque<bus::message> pending_; ///< polled, not yet handled (consume thread only)
  bool poll_failing_ = false;        ///< consume thread only
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  wsp::streamer* current_ = nullptr;
  std::map<std::string, run_entry> runs_;
};

} // namespace

expected<void> start_wsp(plane_context& ctx) {
  const auto& pol = ctx.profile.policy.wsp;
  auto policy = wsp::load_outputs_policy(pol.traffic_outputs, pol.context_outputs);
  if (!policy)
    return std::move(policy).error();
  auto key = read_wsp_key(ctx.profile.wiring.wsp);
  if (!key)
    return std::move(key).error();
  auto table = ctx.runtime.journal().open_table("wsp");
  if (!table)
    return std::move(table).error();
  wsp::stream_options o;
  o.ig_url = ctx.profile.wiring.wsp.ig_url;
  o.api_key = key->value_or("");
  o.oracle_root = ctx.profile.wiring.oracle_root;
  o.concurrency = pol.concurrency;
  o.speedup = pol.speedup;
  o.cap_per_output = pol.cap_per_output;
  o.resend_bp = pol.resend_bp;
  o.backoff_min = pol.backoff_min;
  o.backoff_max = pol.backoff_max;
  o.retry_budget = pol.retry_budget;
  o.request_timeout = pol.request_timeout;
  auto plane = std::make_shared<wsp_plane>(ctx, std::move(*policy), std::move(o), *table);
  ctx.admin_routes.push_back({"GET", "/admin/wsp/runs", [plane](const http_request& r) {
                                if (auto ok = only_params(r, {}); !ok)
                                  return error_response(ok.error());
                                return json_response(200, plane->runs_json());
                              }});
  plane_hooks h;
  h.plane = "wsp";
  h.metrics = [plane] { return plane->metrics(); };
  h.health = [plane](std::vector<std::string>&, std::vector<std::string>& amber) {
    plane->health(amber);
  };
  h.serving = [plane](const served_endpoints& e) { return plane->serving(e); };
  h.stop = [plane] { plane->stop(); };
  ctx.hooks.push_back(std::move(h));
  return {};
}

} // namespace fp::cluster
