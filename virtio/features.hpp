// Virtio feature bits the backend negotiates (virtio 1.2, sections 5.1.3 and 6).
#pragma once

#include <cstdint>

namespace virtio {

namespace feature {
inline constexpr unsigned kNetMtu = 3;
inline constexpr unsigned kNetMac = 5;
inline constexpr unsigned kNetMrgRxbuf = 15;
inline constexpr unsigned kNetStatus = 16;
inline constexpr unsigned kNetMq = 22;
inline constexpr unsigned kNotifyOnEmpty = 24;
inline constexpr unsigned kAnyLayout = 27;
inline constexpr unsigned kRingIndirectDesc = 28;
inline constexpr unsigned kRingEventIdx = 29;
inline constexpr unsigned kVersion1 = 32;
inline constexpr unsigned kRingPacked = 34;
}  // namespace feature

constexpr uint64_t bit(unsigned n) { return uint64_t{1} << n; }
constexpr bool has(uint64_t features, unsigned n) { return (features & bit(n)) != 0; }

}  // namespace virtio
