// Log setup for the whole process: one named spdlog logger per component (fetch, parse, store,
// alert, daemon), lines of `event key=value ...`, no timestamps under journald (STYLE.md 12).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace newswatch::daemon {

// Creates the component loggers writing to stderr. `level` is a config level name
// ("trace".."off"). Safe to call again (SIGHUP) to change the level.
void setup_logging(const std::string& level);

// The named logger, created on first use with the current settings.
std::shared_ptr<spdlog::logger> logger(const std::string& name);

}  // namespace newswatch::daemon
