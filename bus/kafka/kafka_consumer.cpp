// Consumers: a KafkaConsumer group member (subscribe; manual commits of the offsets passed in
// only; rebalances handed to the owner's callbacks) or a group-less reader of explicit
// partitions from explicit offsets (assign; for replays of pinned ranges).

#include "bus/kafka/kafka_detail.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>

namespace fp::bus::kafka {

namespace {

using ms = std::chrono::milliseconds;
using clock = std::chrono::steady_clock;

/// Errors a consumer reports from `poll`; others (a broker connection lost and re-made) are
/// librdkafka's to retry and pass silently.
bool reported(rd_kafka_resp_err_t err) {
  switch (err) {
  case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
  case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
  case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
  case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
  case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
  case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
  case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
  case RD_KAFKA_RESP_ERR__FATAL:
    return true;
  default:
    return false;
  }
}

class kafka_consumer final : public consumer {
public:
  kafka_consumer(group_options group, bool is_group, std::shared_ptr<counters> stats, ms timeout)
      : group_(std::move(group))
      , is_group_(is_group)
      , stats_(std::move(stats))
      , timeout_(timeout) {}

  ~kafka_consumer() override { close(); }

  expected<void> open(const kafka_options& opts, kafka_properties ours) {
    auto conf = make_conf(opts, ours, opts.consumer);
    if (!conf)
      return std::move(conf).error();
    rd_kafka_conf_set_opaque(conf->get(), this);
    if (is_group_)
      rd_kafka_conf_set_rebalance_cb(conf->get(), &kafka_consumer::on_rebalance);
    auto rk = make_client(RD_KAFKA_CONSUMER, std::move(*conf));
    if (!rk)
      return std::move(rk).error();
    rk_ = std::move(*rk);
    rd_kafka_poll_set_consumer(rk_.get()); // callbacks are served inside poll
    queue_.reset(rd_kafka_queue_get_consumer(rk_.get()));
    return {};
  }

  expected<void> start_group() {
    tpl_ptr topics{rd_kafka_topic_partition_list_new(static_cast<int>(group_.topics.size()))};
    for (auto& t : group_.topics)
      rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(rk_.get(), topics.get()); err)
      return to_error(err, "subscribe group " + group_.group_id);
    return {};
  }

  expected<void> start_assigned(const std::vector<topic_partition_offset>& from) {
    tpl_ptr parts{rd_kafka_topic_partition_list_new(static_cast<int>(from.size()))};
    for (auto& f : from) {
      if (f.offset < 0)
        return fp::error{errc::invalid_argument,
                         "kafka: assign " + f.topic + "[" + std::to_string(f.partition) +
                             "]: offset: must be >= 0, got " + std::to_string(f.offset)};
      rd_kafka_topic_partition_list_add(parts.get(), f.topic.c_str(), f.partition)->offset =
          f.offset;
      assigned_.insert({f.topic, f.partition});
    }
    if (auto err = rd_kafka_assign(rk_.get(), parts.get()); err)
      return to_error(err, "assign");
    return {};
  }

  expected<std::vector<message>> poll(std::size_t max, ms timeout) override {
    std::vector<message> out;
    if (rk_ && !pending_ && max > 0)
      // Room for what is ready now: growing the vector would move every record already taken.
      out.reserve(std::min<std::size_t>(max, 1 + rd_kafka_queue_length(queue_.get())));
    auto n =
        drain(max, timeout, [&](const rd_kafka_message_t& m) { out.push_back(to_message(m)); });
    if (!n)
      return std::move(n).error();
    return out;
  }

  expected<std::size_t> poll_each(std::size_t max, ms timeout, const message_fn& fn) override {
    // The topic name of the last record's handle: the records of a batch share a few handles.
    const rd_kafka_topic_t* rkt = nullptr;
    std::string_view topic;
    return drain(max, timeout, [&](const rd_kafka_message_t& m) {
      if (m.rkt != rkt) {
        rkt = m.rkt;
        topic = rd_kafka_topic_name(m.rkt);
      }
      fn(to_message_view(m, topic, header_views_));
    });
  }

  expected<void> commit(const std::vector<topic_partition_offset>& next) override {
    if (!rk_)
      return fp::error{errc::closed, "kafka: commit: the consumer is closed"};
    if (!is_group_)
      return fp::error{errc::invalid_argument,
                       "kafka: commit: a group-less (assign) consumer has no checkpoints"};
    if (next.empty())
      return {};
    tpl_ptr parts{rd_kafka_topic_partition_list_new(static_cast<int>(next.size()))};
    for (auto& n : next) {
      auto where = n.topic + "[" + std::to_string(n.partition) + "]";
      if (!assigned_.count({n.topic, n.partition}))
        return fp::error{errc::not_assigned, "kafka: commit " + where + " in group " +
                                                 group_.group_id + ": not assigned to this member"};
      if (n.offset < 0)
        return fp::error{errc::invalid_argument, "kafka: commit " + where +
                                                     ": offset: must be >= 0, got " +
                                                     std::to_string(n.offset)};
      rd_kafka_topic_partition_list_add(parts.get(), n.topic.c_str(), n.partition)->offset =
          n.offset;
    }
    auto err = rd_kafka_commit(rk_.get(), parts.get(), 0);
    for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < parts->cnt; ++i)
      err = parts->elems[i].err;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return to_error(err, "commit in group " + group_.group_id);
    stats_->commits++;
    return {};
  }

  expected<void> seek(const topic_partition_offset& to) override {
    if (!rk_)
      return fp::error{errc::closed, "kafka: seek: the consumer is closed"};
    auto where = to.topic + "[" + std::to_string(to.partition) + "]";
    if (!assigned_.count({to.topic, to.partition}))
      return fp::error{errc::not_assigned, "kafka: seek " + where + ": not assigned"};
    if (to.offset < 0)
      return fp::error{errc::invalid_argument, "kafka: seek " + where +
                                                   ": offset: must be >= 0, got " +
                                                   std::to_string(to.offset)};
    tpl_ptr parts{rd_kafka_topic_partition_list_new(1)};
    rd_kafka_topic_partition_list_add(parts.get(), to.topic.c_str(), to.partition)->offset =
        to.offset;
    std::unique_ptr<rd_kafka_error_t, decltype(&rd_kafka_error_destroy)> e{
        rd_kafka_seek_partitions(rk_.get(), parts.get(), static_cast<int>(timeout_.count())),
        &rd_kafka_error_destroy};
    if (e)
      return to_error(rd_kafka_error_code(e.get()), "seek " + where,
                      rd_kafka_error_string(e.get()));
    if (auto err = parts->elems[0].err; err)
      return to_error(err, "seek " + where);
    return {};
  }

  std::vector<topic_partition> assignment() const override {
    return {assigned_.begin(), assigned_.end()};
  }

  void close() override {
    if (!rk_)
      return;
    rd_kafka_consumer_close(rk_.get()); // revokes through on_rebalance for group members
    assigned_.clear();
    queue_.reset();
    rk_.reset();
  }

private:
  /// The loop `poll` and `poll_each` share: hands each good record to `sink` (which must not
  /// keep it) and destroys it, even when `sink` throws; returns how many it handed over.
  template <class Sink>
  expected<std::size_t> drain(std::size_t max, ms timeout, Sink&& sink) {
    if (!rk_)
      return fp::error{errc::closed, "kafka: poll: the consumer is closed"};
    if (pending_) {
      auto e = std::move(*pending_);
      pending_.reset();
      return e;
    }
    std::size_t taken = 0;
    if (max == 0)
      return taken;
    auto deadline = clock::now() + timeout;
    batch_.resize(std::min<std::size_t>(max, 4096));
    while (taken < max) {
      // The first record waits (callbacks are served meanwhile); the rest are what is ready.
      if (taken == 0) {
        auto left = std::chrono::duration_cast<ms>(deadline - clock::now()).count();
        auto* first = rd_kafka_consumer_poll(rk_.get(), static_cast<int>(std::max<long>(left, 0)));
        if (first == nullptr) {
          if (clock::now() < deadline && rk_)
            continue;
          break;
        }
        auto e = take(first, taken, sink);
        if (!e)
          return std::move(e).error();
        continue;
      }
      auto want = std::min(batch_.size(), max - taken);
      // Group members take one record at a time: 2.0.2's batch call can hand out records of
      // partitions revoked meanwhile (librdkafka 2.0.0's known issues), which a commit would
      // then refuse. Group-less readers have no rebalances and take batches.
      ssize_t got = 0;
      if (is_group_) {
        batch_[0] = rd_kafka_consumer_poll(rk_.get(), 0);
        got = batch_[0] == nullptr ? 0 : 1;
      } else {
        got = rd_kafka_consume_batch_queue(queue_.get(), 0, batch_.data(), want);
      }
      if (got <= 0)
        break;
      // What `sink` left behind when it threw.
      struct rest_of_batch {
        rd_kafka_message_t** next;
        rd_kafka_message_t** end;
        ~rest_of_batch() {
          for (; next != end; ++next)
            rd_kafka_message_destroy(*next);
        }
      } rest{batch_.data(), batch_.data() + got};
      while (rest.next != rest.end) {
        auto e = take(*rest.next++, taken, sink);
        if (e)
          continue;
        if (taken == 0)
          return std::move(e).error();
        pending_ = std::move(e).error(); // after the records before it
        break;
      }
      if (pending_)
        break;
    }
    stats_->consumed += taken;
    return taken;
  }

  template <class Sink>
  expected<void> take(rd_kafka_message_t* m, std::size_t& taken, Sink& sink) {
    std::unique_ptr<rd_kafka_message_t, decltype(&rd_kafka_message_destroy)> owned{
        m, &rd_kafka_message_destroy};
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      sink(static_cast<const rd_kafka_message_t&>(*m));
      ++taken;
      return {};
    }
    if (!reported(m->err))
      return {};
    std::string where =
        m->rkt ? std::string(rd_kafka_topic_name(m->rkt)) + "[" + std::to_string(m->partition) + "]"
               : std::string("group ") + group_.group_id;
    return to_error(m->err, "consume " + where, rd_kafka_message_errstr(m));
  }

  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* parts, void* opaque) {
    static_cast<kafka_consumer*>(opaque)->rebalance(rk, err, parts);
  }

  void rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    stats_->rebalances++;
    bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    auto list = to_partitions(parts);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      if (cooperative)
        rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
      else
        rd_kafka_assign(rk, parts);
      assigned_.insert(list.begin(), list.end());
      if (group_.on_assigned)
        group_.on_assigned(list);
      return;
    }
    // Revoked (or lost): the owner commits what is done while the partitions are still ours.
    if (group_.on_revoked)
      group_.on_revoked(list);
    if (cooperative)
      rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
      rd_kafka_assign(rk, nullptr);
    for (auto& tp : list)
      assigned_.erase(tp);
  }

  group_options group_;
  bool is_group_;
  std::shared_ptr<counters> stats_;
  ms timeout_;
  rk_ptr rk_;
  queue_ptr queue_;
  std::set<topic_partition> assigned_;
  std::optional<fp::error> pending_;
  std::vector<rd_kafka_message_t*> batch_; ///< drain's, kept between polls
  std::vector<header_view> header_views_;  ///< poll_each's, kept between records
};

} // namespace

expected<std::unique_ptr<consumer>> subscribe(const kafka_options& opts, group_options group,
                                              std::shared_ptr<counters> stats) {
  if (group.group_id.empty())
    return fp::error{errc::invalid_argument, "kafka: subscribe: group_id: empty"};
  if (group.topics.empty())
    return fp::error{errc::invalid_argument, "kafka: subscribe: topics: empty"};
  auto session = group.session_timeout.count();
  kafka_properties ours{
      {"group.id", group.group_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      {"auto.offset.reset", group.reset == offset_reset::earliest ? "earliest" : "latest"},
      {"session.timeout.ms", std::to_string(session)},
      {"heartbeat.interval.ms", std::to_string(std::clamp<long>(session / 3, 1, 3000))},
  };
  if (!group.member_name.empty())
    ours.emplace_back("client.id", opts.client_id + "." + group.member_name);
  auto c = std::make_unique<kafka_consumer>(std::move(group), true, std::move(stats),
                                            opts.request_timeout);
  if (auto ok = c->open(opts, std::move(ours)); !ok)
    return std::move(ok).error();
  if (auto ok = c->start_group(); !ok)
    return std::move(ok).error();
  return std::unique_ptr<consumer>(std::move(c));
}

expected<std::unique_ptr<consumer>> assign(const kafka_options& opts,
                                           const std::vector<topic_partition_offset>& from,
                                           std::shared_ptr<counters> stats) {
  // librdkafka's assign needs a group id; this one is never joined and never committed to.
  kafka_properties ours{
      {"group.id", "fp.bus.reader"},         {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"}, {"enable.partition.eof", "false"},
      {"auto.offset.reset", "error"}, // a pinned range that fell out of retention is an error
  };
  auto c = std::make_unique<kafka_consumer>(group_options{}, false, std::move(stats),
                                            opts.request_timeout);
  if (auto ok = c->open(opts, std::move(ours)); !ok)
    return std::move(ok).error();
  if (auto ok = c->start_assigned(from); !ok)
    return std::move(ok).error();
  return std::unique_ptr<consumer>(std::move(c));
}

} // namespace fp::bus::kafka
