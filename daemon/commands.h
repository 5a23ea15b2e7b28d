// Every `newswatch <command>`. Each takes the arguments after the command name and returns the
// process exit code (README, man newswatch): 0 success, 1 runtime failure, 2 usage or config error.
#pragma once

#include <string>
#include <vector>

namespace newswatch::daemon {

using Args = std::vector<std::string>;

int cmd_run(const Args& args);           // daemon/cmd_run.cc
int cmd_check_config(const Args& args);  // daemon/cmd_store.cc
int cmd_list(const Args& args);          // daemon/cmd_store.cc
int cmd_show(const Args& args);          // daemon/cmd_store.cc
int cmd_sources(const Args& args);       // daemon/cmd_store.cc
int cmd_stats(const Args& args);         // daemon/cmd_store.cc
int cmd_alerts(const Args& args);        // daemon/cmd_store.cc
int cmd_demo(const Args& args);          // daemon/cmd_demo.cc
int cmd_search(const Args& args);        // daemon/cmd_search.cc
int cmd_export(const Args& args);        // daemon/cmd_export.cc
int cmd_import(const Args& args);        // daemon/cmd_export.cc
int cmd_backup(const Args& args);        // daemon/cmd_export.cc
int cmd_topics(const Args& args);        // daemon/cmd_topics.cc
int cmd_match(const Args& args);         // daemon/cmd_match.cc
int cmd_discover(const Args& args);      // daemon/cmd_discover.cc
int cmd_opml(const Args& args);          // daemon/cmd_opml.cc
int cmd_parse_feed(const Args& args);    // daemon/cmd_parse_feed.cc
int cmd_extract(const Args& args);       // daemon/cmd_extract.cc

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Entry point used by main(): dispatches argv[1].
int run_cli(int argc, char** argv);

}  // namespace newswatch::daemon
