#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace fp::actors::detail {

/// A FIFO that costs nothing while empty (std::deque allocates ~600 bytes up front, and every
/// live entity holds several queues that are almost always empty).
template <class T>
class small_queue {
public:
  bool empty() const noexcept { return head_ == items_.size(); }
  std::size_t size() const noexcept { return items_.size() - head_; }

  void push_back(T x) { items_.push_back(std::move(x)); }

  T& front() { return items_[head_]; }

  void pop_front() {
    items_[head_] = T{};
    if (++head_ == items_.size()) {
      clear();
    } else if (head_ >= 32 && head_ * 2 >= items_.size()) {
      // A queue that never drains (a hot key) must not keep every popped slot.
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  void clear() {
    std::vector<T>{}.swap(items_); // give the memory back: most entities idle empty
    head_ = 0;
  }

  auto begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() { return items_.end(); }

private:
  std::vector<T> items_;
  std::size_t head_ = 0;
};

} // namespace fp::actors::detail
