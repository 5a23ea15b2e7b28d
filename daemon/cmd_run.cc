#include <cstdio>

#include "daemon/cli_args.h"
#include "daemon/commands.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/logging.h"

namespace newswatch::daemon {

int cmd_run(const Args& args) {
  auto parsed = parse_cli_args(args, CliSpec{{"--config"}, {}, {}});
  if (!parsed) {
    std::fprintf(stderr, "newswatch run: %s\n", parsed.error().message.c_str());
    return kExitUsage;
  }
  const auto path = parsed->get("--config");
  if (!path) {
    std::fprintf(stderr, "newswatch run: --config FILE is required\n");
    return kExitUsage;
  }
  ConfigResult loaded = load_config(*path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    return kExitUsage;
  }
  setup_logging(loaded.config->log.level);
  return run_daemon(*path, std::move(*loaded.config));
}

}  // namespace newswatch::daemon
