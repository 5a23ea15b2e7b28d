#include "daemon/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <cstdlib>
#include <mutex>

namespace newswatch::daemon {
namespace {

constexpr const char* kComponents[] = {"fetch", "parse", "store", "alert", "daemon"};

std::mutex g_mutex;
std::shared_ptr<spdlog::sinks::stderr_sink_mt> g_sink;
spdlog::level::level_enum g_level = spdlog::level::info;

std::shared_ptr<spdlog::sinks::stderr_sink_mt> sink() {
  if (!g_sink) {
    g_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    // journald adds its own timestamps and maps the <N> prefix to a priority.
    const bool journald = std::getenv("JOURNAL_STREAM") != nullptr;
    g_sink->set_pattern(journald ? "%l %n %v" : "%Y-%m-%dT%H:%M:%S.%e %l %n %v");
  }
  return g_sink;
}

}  // namespace

void setup_logging(const std::string& level) {
  std::lock_guard lock(g_mutex);
  g_level = spdlog::level::from_str(level);
  for (const char* name : kComponents) {
    auto existing = spdlog::get(name);
    if (!existing) {
      existing = std::make_shared<spdlog::logger>(name, sink());
      spdlog::register_logger(existing);
    }
    existing->set_level(g_level);
    existing->flush_on(spdlog::level::trace);
  }
}

std::shared_ptr<spdlog::logger> logger(const std::string& name) {
  std::lock_guard lock(g_mutex);
  auto existing = spdlog::get(name);
  if (existing) return existing;
  auto created = std::make_shared<spdlog::logger>(name, sink());
  created->set_level(g_level);
  created->flush_on(spdlog::level::trace);
  spdlog::register_logger(created);
  return created;
}

}  // namespace newswatch::daemon
