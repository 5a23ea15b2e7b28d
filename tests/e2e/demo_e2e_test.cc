// `newswatch demo`: the offline tour runs the real pipeline and its alerts go to a file channel.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/support/process.h"
#include "tests/support/sandbox.h"

namespace newswatch {
namespace {

class DemoE2E : public testing::SandboxTest {};

TEST_F(DemoE2E, RunsThePipelineOfflineAndAlertsOncePerStoryAndTopic) {
  const auto dir = sandbox() / "demo";
  const auto run =
      testing::run_command({NEWSWATCH_BINARY, "demo", "--dir", dir.string(), "--timeout", "60"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("4 alerts"), std::string::npos) << run.out;

  std::ifstream in(dir / "alerts.jsonl");
  std::set<std::pair<std::string, std::string>> seen;
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const auto alert = nlohmann::json::parse(line);
    seen.insert({alert["topic"].get<std::string>(), alert["article"]["url"].get<std::string>()});
    // The related-articles box and reader comments mention Russland; they must not trigger.
    EXPECT_EQ(alert["article"]["url"].get<std::string>().find("gaspreise"), std::string::npos);
  }
  EXPECT_EQ(lines, 4u);
  EXPECT_EQ(seen.size(), 4u) << "one alert per (topic, story)";

  const auto shown = testing::run_command(
      {NEWSWATCH_BINARY, "list", "--config", (dir / "newswatch.toml").string(), "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(std::count(shown.out.begin(), shown.out.end(), '\n'), 4) << shown.out;

  // A second demo into the same directory is refused rather than mixing two runs.
  const auto again =
      testing::run_command({NEWSWATCH_BINARY, "demo", "--dir", dir.string(), "--timeout", "5"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("empty directory"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace newswatch
