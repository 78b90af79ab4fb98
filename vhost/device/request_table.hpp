// The one table of vhost-user requests this backend serves: per request its
// name, its validation rule and its handler.
#pragma once

#include "vhost/device/device.hpp"
#include "vhost/protocol/request_rules.hpp"

namespace vhost {

struct RequestSpec {
  Request request;
  const char* name;
  RequestRule rule;
  HandlerResult (Device::*handler)(Message& msg, Message& reply);
};

// nullptr for requests the backend does not implement.
const RequestSpec* find_request(uint32_t request);

}  // namespace vhost
