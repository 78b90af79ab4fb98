// Memory-table requests: SET_MEM_TABLE, GET_MAX_MEM_SLOTS, ADD/REM_MEM_REG.
#include <span>

#include "vhost/device/device.hpp"
#include "vhost/sys/log.hpp"

namespace vhost {

HandlerResult Device::set_mem_table(Message& msg, Message&) {
  const auto hdr = msg.read_as<MemTableHeader>();
  std::vector<MemRegionDesc> regions(hdr.nregions);
  for (uint32_t i = 0; i < hdr.nregions; ++i)
    regions[i] = msg.read_as<MemRegionDesc>(sizeof hdr + i * sizeof(MemRegionDesc));
  std::string error;
  if (!memory_.replace(regions, msg.fds, error)) return refuse("SET_MEM_TABLE", error);
  VN_LOG(kInfo, "memory table: %u regions mapped", hdr.nregions);
  remap_vrings();
  return HandlerResult::kOk;
}

HandlerResult Device::get_max_mem_slots(Message&, Message& reply) {
  reply.set_payload<uint64_t>(kMaxMemSlots);
  return HandlerResult::kOk;
}

HandlerResult Device::add_mem_reg(Message& msg, Message&) {
  const auto r = msg.read_as<SingleMemRegion>().region;
  std::string error;
  if (!memory_.add(r, msg.fds[0].get(), error)) return refuse("ADD_MEM_REG", error);
  remap_vrings();
  return HandlerResult::kOk;
}

HandlerResult Device::rem_mem_reg(Message& msg, Message&) {
  const auto r = msg.read_as<SingleMemRegion>().region;
  std::string error;
  if (!memory_.remove(r, error)) return refuse("REM_MEM_REG", error);
  remap_vrings();
  return HandlerResult::kOk;
}

}  // namespace vhost
