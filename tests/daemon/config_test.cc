#include "daemon/config.h"
#include "daemon/topic_query.h"

#include <gtest/gtest.h>

#include "tests/support/sandbox.h"

namespace newswatch::daemon {
namespace {

const char* kValid = R"toml(
[storage]
path = "db"

[fetch]
user_agent = "newswatch-test (+https://example.org/contact)"
timeout = "20s"
max_body_size = "4MiB"
allow_private_networks = true

[[sources]]
name = "tagesschau"
url = "https://www.tagesschau.de/xml/rss2/"
kind = "feed"
interval = "5m"

[[sources]]
name = "meduza"
url = "https://meduza.io/rss/all"

[[channels]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:9000/alerts"
secret = "s3cret"

[[channels]]
name = "mail"
type = "email"
smtp_url = "smtp://127.0.0.1:2525"
from = "newswatch@example.org"
to = ["me@example.org"]

[[topics]]
name = "korea"
query = "Nordkorea OR Pjöngjang"
channels = ["hook", "mail"]
)toml";

// Parses `text` and returns every error as one string per line.
std::string errors_of(const std::string& text) {
  ConfigResult r = parse_config(text, "/etc/newswatch/test.toml");
  std::string out;
  for (const auto& e : r.errors) out += e.to_string() + "\n";
  return out;
}

TEST(Config, ParsesAValidFileWithDefaults) {
  ConfigResult r = parse_config(kValid, "/etc/newswatch/test.toml");
  ASSERT_TRUE(r.config) << errors_of(kValid);
  const Config& c = *r.config;
  EXPECT_EQ(c.storage.path, "/etc/newswatch/db");
  EXPECT_EQ(c.fetch.timeout, std::chrono::seconds(20));
  EXPECT_EQ(c.fetch.max_body_size, 4u << 20);
  EXPECT_TRUE(c.fetch.allow_private_networks);
  EXPECT_EQ(c.fetch.per_host_connections, 2);
  ASSERT_EQ(c.sources.size(), 2u);
  EXPECT_EQ(c.sources[0].kind, SourceKind::feed);
  EXPECT_EQ(c.sources[0].interval, std::chrono::minutes(5));
  EXPECT_EQ(c.sources[1].kind, SourceKind::detect);
  EXPECT_EQ(c.sources[1].interval, std::chrono::minutes(5));
  ASSERT_EQ(c.channels.size(), 2u);
  EXPECT_EQ(c.channels[1].type, ChannelType::email);
  EXPECT_EQ(c.channels[1].to, std::vector<std::string>{"me@example.org"});
  ASSERT_EQ(c.topics.size(), 1u);
  EXPECT_EQ(c.topics[0].channels, (std::vector<std::string>{"hook", "mail"}));
}

TEST(Config, DefaultsWhenSectionsAreMissing) {
  ConfigResult r = parse_config("", "/srv/nw/newswatch.toml");
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->storage.path, "/srv/nw/newswatch-db");
  EXPECT_FALSE(r.config->fetch.allow_private_networks);
  EXPECT_EQ(r.config->log.level, "info");
}

TEST(Config, SyntaxErrorNamesFileLineAndColumn) {
  const std::string e = errors_of("[storage]\npath = \"db\"\n[fetch\n");
  EXPECT_NE(e.find("/etc/newswatch/test.toml:3:"), std::string::npos) << e;
}

TEST(Config, UnknownKeysAreErrorsWithAllowedList) {
  const std::string e = errors_of("[fetch]\ntimeuot = \"5s\"\n");
  EXPECT_NE(e.find("test.toml:2:11: fetch.timeuot: unknown key"), std::string::npos) << e;
  EXPECT_NE(e.find("timeout"), std::string::npos) << e;
  EXPECT_NE(errors_of("[storag]\npath=\"x\"\n").find("storag: unknown key"), std::string::npos);
}

TEST(Config, WrongTypesAreErrors) {
  EXPECT_NE(errors_of("[fetch]\nallow_private_networks = \"yes\"\n")
                .find("fetch.allow_private_networks: expected true or false, got a string"),
            std::string::npos);
  EXPECT_NE(
      errors_of("[storage]\npath = 5\n").find("storage.path: expected a string, got an integer"),
      std::string::npos);
  EXPECT_NE(errors_of("sources = 3\n").find("sources: expected an array of tables"),
            std::string::npos);
  EXPECT_NE(errors_of("[fetch]\nmax_body_size = \"lots\"\n").find("expected a size like"),
            std::string::npos);
}

TEST(Config, BadDurationsAreErrors) {
  for (const char* bad : {"\"5 min\"", "\"90\"", "\"-5m\"", "\"\"", "300"}) {
    const std::string text = std::string(
                                 "[[sources]]\nname = \"a\"\nurl = \"https://a.example/\"\n"
                                 "interval = ") +
                             bad + "\n";
    const std::string e = errors_of(text);
    EXPECT_NE(e.find("test.toml:4:12: sources[0].interval: expected a duration like \"90s\""),
              std::string::npos)
        << bad << " -> " << e;
  }
  const std::string too_short =
      errors_of("[[sources]]\nname = \"a\"\nurl = \"https://a.example/\"\ninterval = \"10ms\"\n");
  EXPECT_NE(too_short.find("must be at least 1s"), std::string::npos) << too_short;
}

TEST(Config, DuplicateNamesAreErrors) {
  const std::string e = errors_of(
      "[[sources]]\nname = \"a\"\nurl = \"https://a.example/\"\n"
      "[[sources]]\nname = \"a\"\nurl = \"https://b.example/\"\n"
      "[[channels]]\nname = \"c\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1/\"\n"
      "[[channels]]\nname = \"c\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1/\"\n"
      "[[topics]]\nname = \"t\"\nquery = \"x\"\n[[topics]]\nname = \"t\"\nquery = \"y\"\n");
  EXPECT_NE(e.find("sources[1].name: duplicate source name \"a\" (first defined on line 1)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("channels[1].name: duplicate channel name \"c\""), std::string::npos) << e;
  EXPECT_NE(e.find("topics[1].name: duplicate topic name \"t\""), std::string::npos) << e;
}

TEST(Config, TopicsNamingMissingChannelsAreErrors) {
  const std::string e = errors_of(
      "[[channels]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1/\"\n"
      "[[topics]]\nname = \"t\"\nquery = \"x\"\nchannels = [\"hook\", \"pager\"]\n");
  EXPECT_NE(e.find("test.toml:8:21: topics[0].channels[1]: no channel named \"pager\""),
            std::string::npos)
      << e;
}

TEST(Config, MissingRequiredKeysAndBadValues) {
  const std::string e = errors_of(
      "[[sources]]\nname = \"a b\"\n"
      "[[sources]]\nname = \"x\"\nurl = \"ftp://files.example/\"\nkind = \"rss\"\n"
      "[[channels]]\nname = \"m\"\ntype = \"email\"\nsmtp_url = \"http://mail/\"\n"
      "[[channels]]\nname = \"p\"\ntype = \"pager\"\n"
      "[log]\nlevel = \"verbose\"\n");
  EXPECT_NE(e.find("sources[0].name: \"a b\" is not a valid name"), std::string::npos) << e;
  EXPECT_NE(e.find("sources[0].url: missing required key"), std::string::npos) << e;
  EXPECT_NE(e.find("sources[1].url: \"ftp://files.example/\" is not an http(s) URL"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("sources[1].kind: unknown kind \"rss\" (allowed: detect, feed, sitemap, page)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("channels[0].smtp_url: \"http://mail/\" is not an smtp:// or smtps:// URL"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("channels[0].from: missing required key"), std::string::npos) << e;
  EXPECT_NE(e.find("channels[0].to: needs at least one recipient"), std::string::npos) << e;
  EXPECT_NE(e.find("channels[1].type: unknown channel type \"pager\""), std::string::npos) << e;
  EXPECT_NE(e.find("log.level: unknown level \"verbose\""), std::string::npos) << e;
}

TEST(Config, BadQueriesAreErrors) {
  const std::string e = errors_of("[[topics]]\nname = \"t\"\nquery = \"(Nordkorea OR Russland\"\n");
  EXPECT_NE(e.find("test.toml:3:9: topics[0].query:"), std::string::npos) << e;
  // The query parser's position of the problem reaches the message.
  const std::string c = errors_of("[[topics]]\nname = \"t\"\nquery = \"Putin AND OR Kim\"\n");
  EXPECT_NE(c.find("column "), std::string::npos) << c;
  EXPECT_NE(errors_of("[[topics]]\nname = \"t\"\nquery = \"  \"\n").find("topics[0].query"),
            std::string::npos);
}

TEST(Config, MatchingAndMetricsSections) {
  ConfigResult r = parse_config(
      "[matching]\nlanguages = [\"de\", \"ru\"]\nsynonyms = [[\"Pjöngjang\", \"Pyongyang\"]]\n"
      "compounds = false\n[metrics]\nlisten = \"127.0.0.1:0\"\n",
      "x.toml");
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->matching.languages, (std::vector<std::string>{"de", "ru"}));
  ASSERT_EQ(r.config->matching.synonyms.size(), 1u);
  EXPECT_EQ(r.config->matching.synonyms[0][1], "Pyongyang");
  EXPECT_FALSE(r.config->matching.compounds);
  EXPECT_EQ(r.config->metrics.listen, "127.0.0.1:0");
  EXPECT_NE(
      errors_of("[matching]\nlanguages = [\"klingon\"]\n").find("matching.languages: no stemmer"),
      std::string::npos);
  EXPECT_NE(errors_of("[matching]\nsynonyms = [\"a\", \"b\"]\n").find("matching.synonyms:"),
            std::string::npos);
  EXPECT_NE(errors_of("[metrics]\nlisten = \"nowhere\"\n").find("metrics.listen:"),
            std::string::npos);
}

TEST(Config, StorageKeys) {
  ConfigResult r = parse_config(
      "[storage]\npath = \"db\"\nretention = \"90d\"\nnear_duplicate_threshold = 0.5\n"
      "tracking_params = [\"src\"]\ntracking_prefixes = [\"pk_\"]\nsync = true\n"
      "remember_urls = \"7d\"\n",
      "x.toml");
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->storage.retention, std::chrono::hours(24 * 90));
  EXPECT_EQ(r.config->storage.remember_urls, std::chrono::hours(24 * 7));
  EXPECT_EQ(parse_config("", "x.toml").config->storage.remember_urls, std::chrono::hours(24 * 30));
  EXPECT_EQ(
      parse_config("[storage]\nremember_urls = \"0s\"\n", "x.toml").config->storage.remember_urls,
      std::chrono::milliseconds(0));
  EXPECT_DOUBLE_EQ(r.config->storage.near_duplicate_threshold, 0.5);
  EXPECT_EQ(r.config->storage.tracking_params, (std::vector<std::string>{"src"}));
  EXPECT_EQ(r.config->storage.tracking_prefixes, (std::vector<std::string>{"pk_"}));
  EXPECT_TRUE(r.config->storage.sync);
  EXPECT_NE(errors_of("[storage]\nnear_duplicate_threshold = 2.5\n")
                .find("storage.near_duplicate_threshold: expected a number from 0 to 1"),
            std::string::npos);
  EXPECT_NE(errors_of("[storage]\nretention = \"forever\"\n").find("storage.retention:"),
            std::string::npos);
  EXPECT_NE(errors_of("[storage]\nremember_urls = 30\n").find("storage.remember_urls:"),
            std::string::npos);
}

TEST(Config, MinFreeSpace) {
  EXPECT_EQ(parse_config("", "x.toml").config->storage.min_free_space, 100ull << 20);
  EXPECT_EQ(parse_config("[storage]\nmin_free_space = \"2GiB\"\n", "x.toml")
                .config->storage.min_free_space,
            2ull << 30);
  EXPECT_EQ(
      parse_config("[storage]\nmin_free_space = 0\n", "x.toml").config->storage.min_free_space, 0u);
  EXPECT_NE(errors_of("[storage]\nmin_free_space = \"lots\"\n").find("storage.min_free_space"),
            std::string::npos);
}

TEST(Config, BlockCache) {
  EXPECT_EQ(parse_config("", "x.toml").config->storage.block_cache, 32ull << 20);
  EXPECT_EQ(
      parse_config("[storage]\nblock_cache = \"8MiB\"\n", "x.toml").config->storage.block_cache,
      8ull << 20);
  EXPECT_NE(errors_of("[storage]\nblock_cache = \"big\"\n").find("storage.block_cache"),
            std::string::npos);
}

TEST(TopicMatcherBridge, StemsSynonymsAndHighlights) {
  std::vector<TopicConfig> topics = {{"korea", "Pyongyang AND Sanktion", {}, 1},
                                     {"sport", "title:Fußball", {}, 2}};
  MatchingConfig matching;
  matching.synonyms = {{"Pjöngjang", "Pyongyang"}};
  TopicMatcher matcher(topics, matching);
  Article a;
  a.language = "de";
  a.title = "Neue Strafen";
  a.text = "Die EU verhängt neue Sanktionen. Pjöngjang protestiert.";
  const auto hits = matcher.match(a);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].topic, "korea");
  EXPECT_NE(hits[0].snippet.find("«Sanktionen»"), std::string::npos) << hits[0].snippet;
  EXPECT_NE(hits[0].snippet.find("«Pjöngjang»"), std::string::npos) << hits[0].snippet;
  matching.synonyms.clear();
  EXPECT_TRUE(TopicMatcher(topics, matching).match(a).empty());
}

TEST(Config, MaxAgeDecidesWhichMatchesAlert) {
  EXPECT_EQ(parse_config("", "x.toml").config->matching.max_age, std::chrono::hours(72));
  const auto off = parse_config("[matching]\nmax_age = \"0s\"\n", "x.toml");
  ASSERT_TRUE(off.config);
  EXPECT_EQ(off.config->matching.max_age.count(), 0);
  EXPECT_NE(errors_of("[matching]\nmax_age = \"soon\"\n").find("matching.max_age:"),
            std::string::npos);

  MatchingConfig matching;
  matching.max_age = std::chrono::hours(72);
  TopicMatcher matcher({{"korea", "Nordkorea", {}, 1}}, matching);
  const TimePoint now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  Article a;
  EXPECT_FALSE(matcher.too_old_to_alert(a, now)) << "undated articles always alert";
  a.published = now - std::chrono::hours(73);
  EXPECT_TRUE(matcher.too_old_to_alert(a, now));
  a.modified = now - std::chrono::hours(1);  // updated an hour ago: news again
  EXPECT_FALSE(matcher.too_old_to_alert(a, now));
  a.modified.reset();
  a.published = now + std::chrono::hours(5);  // a clock ahead of ours is not old
  EXPECT_FALSE(matcher.too_old_to_alert(a, now));
  matching.max_age = std::chrono::milliseconds(0);
  a.published = now - std::chrono::hours(24 * 365);
  EXPECT_FALSE(TopicMatcher({{"korea", "Nordkorea", {}, 1}}, matching).too_old_to_alert(a, now));
}

TEST(Config, AlertStormKeys) {
  const std::string text = std::string(kValid) +
                           "max_alerts = 20\nrate_window = \"30m\"\ndigest = \"1h\"\n"
                           "[[channels]]\nname = \"night\"\ntype = \"file\"\npath = \"a.jsonl\"\n"
                           "quiet_hours = \"22:00-07:00\"\ntimezone = \"UTC\"\n";
  ConfigResult r = parse_config(text, "/etc/newswatch/test.toml");
  ASSERT_TRUE(r.config) << errors_of(text);
  const auto& topic = r.config->topics.at(0);
  EXPECT_EQ(topic.max_alerts, 20);
  EXPECT_EQ(topic.rate_window, std::chrono::minutes(30));
  EXPECT_EQ(topic.digest, std::chrono::hours(1));
  EXPECT_EQ(r.config->channels.back().quiet_hours, "22:00-07:00");
  EXPECT_EQ(r.config->channels.back().timezone, "UTC");
  // Defaults: no limit, no digest, no quiet hours.
  ConfigResult plain = parse_config(kValid, "/etc/newswatch/test.toml");
  ASSERT_TRUE(plain.config);
  EXPECT_EQ(plain.config->topics.at(0).max_alerts, 0);
  EXPECT_EQ(plain.config->topics.at(0).digest.count(), 0);
  EXPECT_TRUE(plain.config->channels.at(0).quiet_hours.empty());
}

TEST(Config, AlertStormKeysAreValidated) {
  const std::string topic = "[[topics]]\nname = \"t\"\nquery = \"x\"\n";
  std::string e = errors_of(topic + "max_alerts = 0\n");
  EXPECT_NE(e.find("test.toml:4:14: topics[0].max_alerts: must be between 1 and 100000"),
            std::string::npos)
      << e;
  e = errors_of(topic + "rate_window = \"1h\"\n");
  EXPECT_NE(e.find("topics[0].rate_window: only used with max_alerts"), std::string::npos) << e;
  e = errors_of(topic + "max_alerts = 5\nrate_window = \"soon\"\n");
  EXPECT_NE(e.find("topics[0].rate_window: expected a duration"), std::string::npos) << e;
  e = errors_of(topic + "digest = \"daily\"\n");
  EXPECT_NE(e.find("topics[0].digest: expected a duration"), std::string::npos) << e;
  const std::string channel = "[[channels]]\nname = \"c\"\ntype = \"file\"\npath = \"x\"\n";
  e = errors_of(channel + "quiet_hours = \"22-7\"\n");
  EXPECT_NE(e.find("channels[0].quiet_hours: expected two different times like \"22:00-07:00\""),
            std::string::npos)
      << e;
  e = errors_of(channel + "timezone = \"UTC\"\n");
  EXPECT_NE(e.find("channels[0].timezone: only used with quiet_hours"), std::string::npos) << e;
  e = errors_of(channel + "quiet_hours = \"22:00-07:00\"\ntimezone = \"Mars/Base\"\n");
  EXPECT_NE(e.find("channels[0].timezone: unknown time zone \"Mars/Base\""), std::string::npos)
      << e;
}

TEST(Config, ReportsEveryErrorNotJustTheFirst) {
  ConfigResult r = parse_config(
      "[fetch]\ntimeout = \"soon\"\nmax_redirects = 99\n[[sources]]\nname = \"\"\n", "x.toml");
  EXPECT_GE(r.errors.size(), 4u);
  EXPECT_FALSE(r.config);
}

class ConfigFileTest : public testing::SandboxTest {};

TEST_F(ConfigFileTest, UnreadableFileIsAnError) {
  ConfigResult r = load_config((sandbox() / "missing.toml").string());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].to_string().find("missing.toml: cannot read file"), std::string::npos);
}

TEST_F(ConfigFileTest, RelativeStoragePathResolvesAgainstTheConfigDirectory) {
  const auto path = write_file("conf/newswatch.toml", "[storage]\npath = \"../var/db\"\n");
  ConfigResult r = load_config(path.string());
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->storage.path, (sandbox() / "var/db").lexically_normal().string());
}

TEST(ConfigShipped, DefaultConfigIsValid) {
  ConfigResult r = load_config(std::string(NEWSWATCH_SOURCE_DIR) + "/config/newswatch.toml");
  std::string e;
  for (const auto& err : r.errors) e += err.to_string() + "\n";
  ASSERT_TRUE(r.config) << e;
  EXPECT_GE(r.config->sources.size(), 3u);
  EXPECT_GE(r.config->topics.size(), 1u);
}

}  // namespace
}  // namespace newswatch::daemon
