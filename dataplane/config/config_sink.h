// Where ConfigManager publishes each newly compiled snapshot. Implemented by the workers
// (each posts the pointer to its own thread), so the config side never depends on the
// server side.
#ifndef SWITCHYARD_DATAPLANE_CONFIG_CONFIG_SINK_H_
#define SWITCHYARD_DATAPLANE_CONFIG_CONFIG_SINK_H_

#include <memory>

#include "dataplane/runtime/runtime_config.h"

namespace switchyard::config {

class ConfigSink {
 public:
  virtual ~ConfigSink() = default;
  // Thread-safe; must not block. `config` is never null.
  virtual void Publish(std::shared_ptr<const runtime::RuntimeConfig> config) = 0;
};

}  // namespace switchyard::config

#endif  // SWITCHYARD_DATAPLANE_CONFIG_CONFIG_SINK_H_
