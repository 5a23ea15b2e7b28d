#include "daemon/cli_table.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "daemon/cli_args.h"
#include "daemon/cli_progress.h"
#include "daemon/config.h"
#include "tests/support/sandbox.h"

namespace newswatch::daemon {
namespace {

// Sets or unsets an environment variable for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (m_old) {
      setenv(m_name, m_old->c_str(), 1);
    } else {
      unsetenv(m_name);
    }
  }

 private:
  const char* m_name;
  std::optional<std::string> m_old;
};

bool has_escape(const std::string& s) { return s.find('\x1b') != std::string::npos; }

TEST(DisplayWidth, CountsCodePointsWideCharactersAndMarks) {
  EXPECT_EQ(display_width("Nordkorea"), 9u);
  EXPECT_EQ(display_width("Пхеньян"), 7u);            // 14 bytes, 7 columns
  EXPECT_EQ(display_width("Pjöngjang"), 9u);          // precomposed ö
  EXPECT_EQ(display_width("Pjo\xCC\x88ngjang"), 9u);  // o + combining diaeresis
  EXPECT_EQ(display_width("平壤"), 4u);               // CJK: two columns each
  EXPECT_EQ(display_width("서울"), 4u);               // Hangul syllables
  EXPECT_EQ(display_width("ＡＢ"), 4u);               // fullwidth Latin
  EXPECT_EQ(display_width("a\xFF"
                          "b"),
            3u);  // an invalid byte takes one column
  EXPECT_EQ(display_width(""), 0u);
}

TEST(TruncateToWidth, CutsWholeCharactersAndEndsInAnEllipsis) {
  EXPECT_EQ(truncate_to_width("Nordkorea", 9), "Nordkorea");
  EXPECT_EQ(truncate_to_width("Nordkorea", 5), "Nord…");
  EXPECT_EQ(truncate_to_width("Пхеньян", 4), "Пхе…");
  // A wide character that no longer fits is dropped whole, never split.
  EXPECT_EQ(truncate_to_width("平壤市", 4), "平…");
  EXPECT_EQ(display_width(truncate_to_width("平壤市", 4)), 3u);
  // A combining mark stays with its base character.
  EXPECT_EQ(truncate_to_width("Pjo\xCC\x88ngjang", 4), "Pjo\xCC\x88…");
  EXPECT_EQ(truncate_to_width("abc", 0), "");
  EXPECT_EQ(truncate_to_width("abc", 1), "…");
}

TEST(ColorDecision, FlagOverridesEnvironmentAndAutoNeedsATerminal) {
  ASSERT_EQ(parse_color_mode("auto"), ColorMode::automatic);
  ASSERT_EQ(parse_color_mode("always"), ColorMode::always);
  ASSERT_EQ(parse_color_mode("never"), ColorMode::never);
  EXPECT_FALSE(parse_color_mode("yes"));
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  {
    ScopedEnv no_color("NO_COLOR", "1");
    EXPECT_TRUE(use_color(ColorMode::always, fds[1]));
    EXPECT_FALSE(use_color(ColorMode::automatic, fds[1]));
  }
  {
    ScopedEnv no_color("NO_COLOR", nullptr);
    ScopedEnv term("TERM", "xterm-256color");
    EXPECT_FALSE(use_color(ColorMode::never, fds[1]));
    EXPECT_FALSE(use_color(ColorMode::automatic, fds[1]));  // a pipe is not a terminal
  }
  close(fds[0]);
  close(fds[1]);
}

TEST(ColorDecision, ParseCliArgsTakesColorEverywhereAndRejectsOtherValues) {
  auto ok = parse_cli_args({"--color=always", "x"}, CliSpec{{}, {"--json"}, {}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->get("--color"), "always");
  auto bad = parse_cli_args({"--color", "sometimes"}, CliSpec{{}, {}, {}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("auto, always or never"), std::string::npos);
}

TEST(TerminalWidth, FallsBackToColumnsWhenNotATerminal) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  {
    ScopedEnv cols("COLUMNS", "57");
    EXPECT_EQ(terminal_width(fds[1]), 57u);
  }
  {
    ScopedEnv cols("COLUMNS", "wide");
    EXPECT_EQ(terminal_width(fds[1]), 0u);
  }
  {
    ScopedEnv cols("COLUMNS", nullptr);
    EXPECT_EQ(terminal_width(fds[1]), 0u);
  }
  close(fds[0]);
  close(fds[1]);
}

Table sample() {
  Table t({{"ID"}, {"STATUS"}, {"COUNT", Align::right}, {"TITLE", Align::left, true}});
  t.add_row({{"a1"}, {"ok", Style::good}, {"7"}, {"Короткий заголовок", Style::bold}});
  t.add_row({{"b22"}, {"failing", Style::bad}, {"1234"}, {"A much longer title about Nordkorea"}});
  return t;
}

TEST(Table, ColumnWidthsFitTheWidestCellInColumns) {
  const std::string text = sample().render({false, 0});
  EXPECT_EQ(text,
            "ID   STATUS   COUNT  TITLE\n"
            "a1   ok           7  Короткий заголовок\n"
            "b22  failing   1234  A much longer title about Nordkorea\n");
  EXPECT_FALSE(has_escape(text));
}

TEST(Table, FlexibleColumnIsCutToTheTerminalWidth) {
  const std::string text = sample().render({false, 40});
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = text.substr(start, end - start);
    EXPECT_LE(display_width(line), 40u) << line;
  }
  EXPECT_NE(text.find("A much longer titl…\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Короткий заголовок"), std::string::npos) << text;  // fits: not cut
  // Fixed columns are never cut, whatever the width.
  const std::string narrow = sample().render({false, 10});
  EXPECT_NE(narrow.find("failing   1234"), std::string::npos) << narrow;
}

TEST(Table, ColourOnlyWhenAskedAndPaddingIgnoresEscapes) {
  const std::string text = sample().render({true, 0});
  EXPECT_NE(text.find("\x1b[32mok\x1b[0m"), std::string::npos) << text;
  EXPECT_NE(text.find("\x1b[31mfailing\x1b[0m"), std::string::npos);
  EXPECT_NE(text.find("\x1b[1mКороткий заголовок\x1b[0m"), std::string::npos);
  EXPECT_NE(text.find("\x1b[1mID\x1b[0m"), std::string::npos);  // bold headers
  // Stripped of escapes, the coloured table is the plain one.
  std::string stripped;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b') {
      i = text.find('m', i);
      continue;
    }
    stripped += text[i];
  }
  EXPECT_EQ(stripped, sample().render({false, 0}));
}

TEST(Table, MarksAreHighlightedInsideTheCellStyle) {
  const Cell cell{"Raketen über Japan", Style::bold, {{0, 7}, {14, 19}}};
  const std::string coloured = render_cell(cell, 30, Align::left, false, true);
  EXPECT_EQ(coloured, "\x1b[1;33mRaketen\x1b[0m\x1b[1m über \x1b[0m\x1b[1;33mJapan\x1b[0m");
  EXPECT_EQ(render_cell(cell, 30, Align::left, false, false), "Raketen über Japan");
  // A mark cut by truncation is clipped, not dropped.
  const std::string cut = render_cell(cell, 5, Align::left, true, true);
  EXPECT_EQ(cut, "\x1b[1;33mRake\x1b[0m\x1b[1m…\x1b[0m");
}

TEST(Progress, LineShowsCountPercentRateAndEta) {
  Progress items("newswatch export", "articles", false, 1000);
  EXPECT_EQ(items.text(250, 250, 2.0), "newswatch export: 250 articles   25%  125/s  ETA 0:06");
  EXPECT_EQ(items.text(1000, 1000, 8.0), "newswatch export: 1000 articles  100%  125/s  0:08");
  Progress bytes("newswatch import", "articles", false, 4u << 20, Progress::Unit::bytes);
  EXPECT_EQ(bytes.text(10, 1u << 20, 1.0),
            "newswatch import: 10 articles   25% of 4.0 MiB  10/s  ETA 0:03");
  Progress unknown("newswatch import", "articles", false);
  EXPECT_EQ(unknown.text(42, 999, 2.0), "newswatch import: 42 articles  21/s");
}

class ConfigSecrets : public testing::SandboxTest {};

TEST_F(ConfigSecrets, WorldReadableConfigWithSecretsIsReported) {
  const auto path = write_file("n.toml", R"toml(
[storage]
path = "db"

[[channels]]
name = "hook"
type = "webhook"
url = "https://hooks.example.org/x"
secret = "s3cret"

[[channels]]
name = "mail"
type = "email"
smtp_url = "smtps://alerts:hunter2@mail.example.org"
from = "a@example.org"
to = ["b@example.org"]
)toml");
  auto loaded = load_config(path.string());
  ASSERT_TRUE(loaded.config) << loaded.errors[0].to_string();
  EXPECT_EQ(loaded.config->secret_keys,
            (std::vector<std::string>{"channels[0].secret", "channels[1].smtp_url"}));
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  auto exposed = world_readable_secrets(*loaded.config);
  ASSERT_TRUE(exposed);
  EXPECT_EQ(exposed->mode, 0644u);
  EXPECT_EQ(exposed->file, path.string());
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  EXPECT_FALSE(world_readable_secrets(*loaded.config));
}

TEST_F(ConfigSecrets, ConfigWithoutSecretsIsNeverReported) {
  const auto path = write_file("n.toml", R"toml(
[storage]
path = "db"

[[channels]]
name = "hook"
type = "webhook"
url = "https://hooks.example.org/x"
secret = ""
)toml");
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  auto loaded = load_config(path.string());
  ASSERT_TRUE(loaded.config);
  EXPECT_TRUE(loaded.config->secret_keys.empty());
  EXPECT_FALSE(world_readable_secrets(*loaded.config));
}

}  // namespace
}  // namespace newswatch::daemon
