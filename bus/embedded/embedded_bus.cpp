#include "bus/embedded/embedded_bus.hpp"

#include "bus/embedded/consumer.hpp"
#include "schemas/ids.hpp"

#include <future>
#include <set>

namespace fp::bus {

namespace {

using embedded::core;

class embedded_bus final : public event_bus {
public:
  explicit embedded_bus(std::shared_ptr<core> c)
      : core_(std::move(c)) {}
  ~embedded_bus() override { core_->close(); }

  std::string_view backend() const override { return "embedded"; }

  expected<topic_info> create_topic(const topic_spec& spec, const admin_context& who) override {
    return core_->create_topic(spec, who);
  }
  expected<topic_info> set_retention(std::string_view topic, std::int64_t ms, std::int64_t bytes,
                                     const admin_context& who) override {
    return core_->set_retention(topic, ms, bytes, who);
  }
  expected<topic_info> describe_topic(std::string_view topic) override {
    return core_->describe(topic);
  }
  expected<std::vector<std::string>> list_topics() override { return core_->list(); }

  expected<fp::origin_offset> produce(produce_record r) override {
    std::promise<expected<fp::origin_offset>> p;
    auto f = p.get_future();
    core_->produce_async(std::move(r),
                         [&p](expected<fp::origin_offset> o) { p.set_value(std::move(o)); });
    return f.get();
  }
  void produce_async(produce_record r, produce_callback done) override {
    core_->produce_async(std::move(r), std::move(done));
  }
  expected<void> flush(std::chrono::milliseconds timeout) override { return core_->flush(timeout); }

  expected<std::unique_ptr<consumer>> subscribe(group_options opts) override {
    if (!schemas::is_topic(opts.group_id))
      return error{errc::invalid_argument, "bus: group_options.group_id \"" + opts.group_id +
                                               "\": must be 1..249 of [A-Za-z0-9._-]"};
    if (opts.topics.empty())
      return error{errc::invalid_argument, "bus: group_options.topics: name at least one topic"};
    if (opts.session_timeout.count() <= 0)
      return error{errc::invalid_argument, "bus: group_options.session_timeout: must be > 0"};
    std::lock_guard l{core_->mu_};
    if (core_->closed_)
      return error{errc::closed, "bus: closed"};
    for (auto& t : opts.topics)
      if (!core_->topics_mem_.contains(t))
        return error{errc::unknown_topic, "bus: subscribe: topic \"" + t + "\" was never created"};
    auto m = std::make_unique<embedded::member>(core_, std::move(opts));
    m->join_locked();
    return std::unique_ptr<consumer>(std::move(m));
  }

  expected<std::unique_ptr<consumer>>
  assign(const std::vector<topic_partition_offset>& from) override {
    std::set<topic_partition> seen;
    {
      std::lock_guard l{core_->mu_};
      if (core_->closed_)
        return error{errc::closed, "bus: closed"};
      for (auto& f : from) {
        auto where = f.topic + "/" + std::to_string(f.partition);
        auto it = core_->topics_mem_.find(f.topic);
        if (it == core_->topics_mem_.end())
          return error{errc::unknown_topic,
                       "bus: assign: topic \"" + f.topic + "\" was never created"};
        if (f.partition < 0 || f.partition >= it->second.spec.partitions)
          return error{errc::invalid_argument, "bus: assign " + where + ": partition must be 0.." +
                                                   std::to_string(it->second.spec.partitions - 1)};
        auto high = it->second.parts[static_cast<std::size_t>(f.partition)].high;
        if (f.offset < 0 || f.offset > high)
          return error{errc::offset_out_of_range, "bus: assign " + where + " from " +
                                                      std::to_string(f.offset) + ": must be 0.." +
                                                      std::to_string(high)};
        if (!seen.insert({f.topic, f.partition}).second)
          return error{errc::invalid_argument, "bus: assign " + where + ": named twice"};
      }
    }
    auto m = std::make_unique<embedded::member>(core_, std::nullopt);
    m->assign_from(from);
    return std::unique_ptr<consumer>(std::move(m));
  }

  expected<std::vector<partition_lag>> lag(std::string_view group_id,
                                           std::string_view topic) override {
    return core_->lag(group_id, topic);
  }

  bus_stats stats() const override {
    auto& s = core_->stat_;
    bus_stats out;
    out.produced = s.produced;
    out.produce_failures = s.produce_failures;
    out.consumed = s.consumed;
    out.commits = s.commits;
    out.rebalances = s.rebalances;
    out.topics_created = s.topics_created;
    out.bad_records = s.bad_records;
    return out;
  }

  core& get() { return *core_; }

private:
  std::shared_ptr<core> core_;
};

} // namespace

expected<std::unique_ptr<event_bus>> open_embedded_bus(journal::journal& j, embedded_options opts) {
  if (j.opts().read_only)
    return error{errc::invalid_argument,
                 "bus: the embedded bus needs a writable journal (this one is read-only)"};
  auto c = std::make_shared<core>(j, std::move(opts));
  if (auto ok = c->load(); !ok)
    return ok.error();
  return std::unique_ptr<event_bus>(new embedded_bus(std::move(c)));
}

expected<std::uint64_t> enforce_retention(event_bus& bus) {
  auto* e = dynamic_cast<embedded_bus*>(&bus);
  if (e == nullptr)
    return error{errc::invalid_argument, "bus: enforce_retention: not an embedded bus (" +
                                             std::string(bus.backend()) + ")"};
  return e->get().enforce_retention();
}

} // namespace fp::bus

namespace fp::bus {

expected<staged_publish> stage_publish(event_bus& bus, std::vector<produce_record> records) {
  auto* e = dynamic_cast<embedded_bus*>(&bus);
  if (e == nullptr)
    return error{errc::invalid_argument,
                 "bus: stage_publish: not an embedded bus (" + std::string(bus.backend()) + ")"};
  return e->get().stage(std::move(records));
}

} // namespace fp::bus
