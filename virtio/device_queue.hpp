// What the device side of a virtqueue offers the data path, whatever the
// ring format. The net port uses only these operations, so packed rings
// arrive as a second class satisfying DeviceQueue (and one std::visit where
// a vring hands out its queue), not as a rewrite of the callers.
#pragma once

#include <concepts>
#include <cstdint>

#include "virtio/descriptor_chain.hpp"

namespace virtio {

enum class PopStatus {
  kChain,     // `chain` holds a valid chain
  kEmpty,     // nothing available
  kBadChain,  // chain.head() is valid but the chain is malformed: return it unused
  kBroken,    // the ring itself is inconsistent: stop using it
};

struct PopResult {
  PopStatus status;
  ChainError chain_error = ChainError::kNone;
};

template <typename Q>
concept DeviceQueue = requires(Q q, const Q cq, DescriptorChain& chain, uint16_t id, uint32_t len) {
  // Takes the next available chain; completes in pop order.
  { q.pop(chain) } -> std::same_as<PopResult>;
  // Gives back the last n popped chains, unconsumed.
  q.unpop(id);
  // Completes a chain (by the id pop() put in chain.head()) with len bytes written.
  q.add_used(id, len);
  { cq.has_unpublished() } -> std::same_as<bool>;
  // Makes completions visible at once; true if the driver wants an interrupt.
  { q.publish_used() } -> std::same_as<bool>;
  q.disable_notifications();
  // True if work arrived while notifications were off (process it, do not sleep).
  { q.enable_notifications() } -> std::same_as<bool>;
  { cq.broken_reason() } -> std::same_as<const char*>;
};

}  // namespace virtio
