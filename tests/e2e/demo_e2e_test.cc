// `newswatch demo`: the offline tour runs the real pipeline and its alerts go to a file channel.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

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

  // Per-topic counts and alert states.
  const auto topics = testing::run_command(
      {NEWSWATCH_BINARY, "topics", "--config", (dir / "newswatch.toml").string(), "--json"});
  ASSERT_EQ(topics.exit_code, 0) << topics.err;
  std::istringstream rows(topics.out);
  std::size_t topic_rows = 0;
  for (std::string line; std::getline(rows, line); ++topic_rows) {
    const auto row = nlohmann::json::parse(line);
    EXPECT_EQ(row["stories"], 2) << line;
    EXPECT_EQ(row["alerts_delivered"], 2) << line;
    EXPECT_EQ(row["alerts_pending"], 0) << line;
  }
  EXPECT_EQ(topic_rows, 2u) << topics.out;

  // `show` lists the alerts one story caused.
  const auto first = nlohmann::json::parse(shown.out.substr(0, shown.out.find('\n')));
  const auto one =
      testing::run_command({NEWSWATCH_BINARY, "show", "--config", (dir / "newswatch.toml").string(),
                            "--json", first["id"].get<std::string>()});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto detail = nlohmann::json::parse(one.out);
  EXPECT_EQ(detail["alerts"].size(), detail["topics"].size()) << one.out;
  for (const auto& alert : detail["alerts"]) EXPECT_EQ(alert["state"], "delivered");

  // A second demo into the same directory is refused rather than mixing two runs.
  const auto again =
      testing::run_command({NEWSWATCH_BINARY, "demo", "--dir", dir.string(), "--timeout", "5"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("empty directory"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace newswatch
