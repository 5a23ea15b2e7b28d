#include <cstdio>

#include "daemon/cli_args.h"
#include "daemon/cli_store.h"
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
  // Like every command: --config, then $NEWSWATCH_CONFIG, then /etc/newswatch/newswatch.toml.
  const std::string path = config_path(*parsed);
  ConfigResult loaded = load_config(path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    return kExitUsage;
  }
  setup_logging(loaded.config->log.level);
  if (auto exposed = world_readable_secrets(*loaded.config)) {
    std::string keys;
    for (const auto& k : exposed->keys) keys += (keys.empty() ? "" : ",") + k;
    logger("daemon")->warn(
        "daemon.config_world_readable file={} mode={:04o} secrets={} (every local user can read "
        "them: chmod o-r the file)",
        exposed->file, exposed->mode, keys);
  }
  return run_daemon(path, std::move(*loaded.config));
}

}  // namespace newswatch::daemon
