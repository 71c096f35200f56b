#include "actors/core/runtime.hpp"

#include "actors/core/runtime_impl.hpp"

#include <caf/all.hpp>

#include <thread>

namespace fp::actors {

void runtime::impl::add_view(std::unique_ptr<entity_type_view> v, std::function<void()> stop_hook) {
  std::lock_guard guard{types_mu};
  views.push_back(std::move(v));
  stop_hooks.push_back(std::move(stop_hook));
}

runtime::runtime(std::unique_ptr<impl> p)
    : impl_(std::move(p)) {}

runtime::~runtime() {
  shutdown();
}

expected<std::unique_ptr<runtime>> runtime::start(journal::journal& j, runtime_options o) {
  auto p = std::make_unique<impl>();
  p->journal = &j;
  auto threads = o.scheduler_threads != 0 ? o.scheduler_threads
                                          : std::max(1u, std::thread::hardware_concurrency());
  // CAF defaults to max(cores, 4) scheduler threads; this node uses exactly what it is told.
  p->cfg.set("scheduler.max-threads", static_cast<std::size_t>(threads));
  // An idle worker polls its queue briefly, then sleeps on the condition variable that an
  // enqueue from outside the scheduler signals. CAF's middle phase (500 polls with 50 us naps
  // between them, where no enqueue wakes it) adds up to a nap to every hand-off from the
  // journal's writer to a shard, on the path of each persisted command.
  p->cfg.set("work-stealing.moderate-poll-attempts", std::size_t{0});
  p->cfg.set("logger.verbosity", caf::atom("quiet"));
  p->cfg.set("logger.console", caf::atom("none"));
  p->system = std::make_unique<caf::actor_system>(p->cfg);
  return std::unique_ptr<runtime>(new runtime(std::move(p)));
}

journal::journal& runtime::journal() const {
  return *impl_->journal;
}

std::vector<const entity_type_view*> runtime::types() const {
  std::lock_guard guard{impl_->types_mu};
  std::vector<const entity_type_view*> out;
  for (auto& v : impl_->views)
    out.push_back(v.get());
  return out;
}

const entity_type_view* runtime::type(std::string_view name) const {
  std::lock_guard guard{impl_->types_mu};
  for (auto& v : impl_->views)
    if (v->type() == name)
      return v.get();
  return nullptr;
}

bool runtime::stopping() const {
  return impl_->stopping;
}

void runtime::shutdown(std::chrono::milliseconds grace) {
  if (!impl_ || !impl_->system)
    return;
  impl_->stopping = true;
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (impl_->in_flight > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  {
    std::lock_guard guard{impl_->types_mu};
    for (auto& stop : impl_->stop_hooks)
      stop();
  }
  impl_->system.reset(); // waits for every actor to finish
}

} // namespace fp::actors
