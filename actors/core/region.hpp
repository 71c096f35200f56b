#pragma once

#include "actors/core/entity.hpp"
#include "actors/core/errc.hpp"

#include <functional>
#include <future>
#include <memory>
#include <string>
#include <utility>

namespace fp::actors {

/// The typed entry to one entity type's shard region, implemented in region_impl.hpp.
template <class Def>
class region_port {
public:
  using callback = std::function<void(expected<typename Def::reply>)>;
  virtual ~region_port() = default;
  virtual void dispatch(std::string key, typename Def::command cmd, callback done) = 0;
};

/// How planes (and HTTP threads) send commands to entities of type `Def`: thread-safe and
/// non-blocking. The callback runs once, on an actor thread, after the command's events are
/// durable and applied (or with the reason they are not); keep it short.
template <class Def>
class entity_client {
public:
  using callback = typename region_port<Def>::callback;

  entity_client() = default;
  explicit entity_client(std::shared_ptr<region_port<Def>> port)
      : port_(std::move(port)) {}

  void send(std::string key, typename Def::command cmd, callback done) const {
    port_->dispatch(std::move(key), std::move(cmd), std::move(done));
  }

  /// Blocking form, for tools and tests; never on a hot path.
  expected<typename Def::reply> ask(std::string key, typename Def::command cmd) const {
    auto p = std::make_shared<std::promise<expected<typename Def::reply>>>();
    auto f = p->get_future();
    send(std::move(key), std::move(cmd),
         [p](expected<typename Def::reply> r) { p->set_value(std::move(r)); });
    return f.get();
  }

  explicit operator bool() const { return port_ != nullptr; }

private:
  std::shared_ptr<region_port<Def>> port_;
};

} // namespace fp::actors
