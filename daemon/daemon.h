// The service: wires config, store, fetcher, parsers and alerts together and runs them on one
// io_context thread plus a small CPU pool (docs/ARCHITECTURE.md). Only this file and its .cc know
// the order of the pipeline.
#pragma once

#include <memory>
#include <string>

#include "daemon/config.h"

namespace newswatch::daemon {

// Runs until SIGINT/SIGTERM (drain, persist, return 0). SIGHUP re-reads `config_path`; a config
// with errors is logged and ignored. Returns 1 when the store cannot be opened.
int run_daemon(const std::string& config_path, Config config);

}  // namespace newswatch::daemon
