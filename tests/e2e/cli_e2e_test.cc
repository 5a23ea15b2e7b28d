// The human side of the CLI run as the real binary: coloured tables only when asked or on a
// terminal, tables cut to $COLUMNS, progress lines for import/export on standard error (forced
// with --progress, since the test's standard error is a pipe) while standard output stays clean
// JSON lines, and the warning about a world-readable config holding secrets.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "daemon/cli_table.h"
#include "tests/support/process.h"
#include "tests/support/sandbox.h"

namespace newswatch {
namespace {

using testing::run_command;

constexpr int k_articles = 300;

class CliE2E : public testing::SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    m_config = write_file("newswatch.toml", R"toml(
[storage]
path = "db"
near_duplicate_threshold = 0.0

[[sources]]
name = "fixture"
url = "http://127.0.0.1:1/feed.xml"

[[channels]]
name = "file"
type = "file"
path = "alerts.jsonl"

[[topics]]
name = "korea"
query = "Nordkorea"
channels = ["file"]
)toml")
                   .string();
    // Articles with distinct words, so that every one is stored; every tenth is about Nordkorea
    // and has a long title.
    std::mt19937 rng(7);
    std::ostringstream jsonl;
    for (int i = 0; i < k_articles; ++i) {
      std::string text;
      for (int w = 0; w < 80; ++w) text += "wort" + std::to_string(rng() % 100000) + " ";
      if (i % 10 == 0) text += "Nordkorea testet Raketen. ";
      nlohmann::json a = {
          {"url", "https://news.example.org/a/" + std::to_string(i)},
          {"source", i % 2 ? "fixture" : "Фикстура"},
          {"title", i % 10 == 0 ? "Nordkorea: ein sehr langer Titel über Raketentests, der auf "
                                  "keinen schmalen Bildschirm passt, Nummer " +
                                      std::to_string(i)
                                : "Meldung " + std::to_string(i)},
          {"language", "de"},
          {"published", "2026-11-0" + std::to_string(1 + i % 9) + "T10:00:00Z"},
          {"text", text}};
      jsonl << a.dump() << "\n";
    }
    m_jsonl = write_file("articles.jsonl", jsonl.str()).string();
  }

  std::string m_config, m_jsonl;
};

std::size_t lines_in(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

struct PtyResult {
  int exit_code = -1;
  std::string terminal;  // everything written to the terminal
};

// Runs `args` on a real pseudo-terminal `columns` wide (standard output and error; standard
// output goes to `stdout_file` instead when given), with TERM=xterm and NO_COLOR as given.
PtyResult run_on_terminal(const std::vector<std::string>& args, unsigned short columns,
                          const char* no_color = nullptr, const std::string& stdout_file = "") {
  winsize ws{};
  ws.ws_row = 40;
  ws.ws_col = columns;
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, &ws);
  if (pid == 0) {
    setenv("TERM", "xterm", 1);
    unsetenv("COLUMNS");
    if (no_color) {
      setenv("NO_COLOR", no_color, 1);
    } else {
      unsetenv("NO_COLOR");
    }
    if (!stdout_file.empty()) {
      const int fd = open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDOUT_FILENO);
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  PtyResult r;
  if (pid < 0) return r;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited and closed the terminal
    r.terminal.append(buf, static_cast<std::size_t>(n));
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string strip_escapes(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b') {
      while (i < s.size() && !std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
      continue;
    }
    if (s[i] != '\r') out += s[i];
  }
  return out;
}

TEST_F(CliE2E, ImportAndExportShowProgressOnStderrAndKeepStdoutClean) {
  const auto imported =
      run_command({NEWSWATCH_BINARY, "import", "--config", m_config, "--progress", m_jsonl});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(imported.out, "");
  EXPECT_NE(imported.err.find("newswatch import: 300 articles  100% of "), std::string::npos)
      << imported.err;
  EXPECT_NE(imported.err.find("newswatch import: 300 stored, 0 duplicates, 0 bad lines"),
            std::string::npos)
      << imported.err;

  // --quiet: neither progress nor summary; the same lines again are all duplicates.
  const auto again =
      run_command({NEWSWATCH_BINARY, "import", "--config", m_config, "--quiet", m_jsonl});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err, "");

  const auto exported =
      run_command({NEWSWATCH_BINARY, "export", "--config", m_config, "--progress"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(exported.err.find("newswatch export: 300 articles  100%"), std::string::npos)
      << exported.err;
  EXPECT_NE(exported.err.find("newswatch export: 300 articles\n"), std::string::npos);
  ASSERT_EQ(lines_in(exported.out), static_cast<std::size_t>(k_articles));
  std::istringstream in(exported.out);
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_EQ(j["url"].get<std::string>().rfind("https://news.example.org/a/", 0), 0u);
  }
  // Without --progress and with standard error not a terminal: only the summary.
  const auto plain = run_command({NEWSWATCH_BINARY, "export", "--config", m_config});
  ASSERT_EQ(plain.exit_code, 0);
  EXPECT_EQ(plain.err, "newswatch export: 300 articles\n");
  EXPECT_EQ(plain.out, exported.out);
}

TEST_F(CliE2E, TablesAreColouredOnlyWhenAskedAndFitColumns) {
  ASSERT_EQ(
      run_command({NEWSWATCH_BINARY, "import", "--config", m_config, "--quiet", m_jsonl}).exit_code,
      0);
  const auto always =
      run_command({NEWSWATCH_BINARY, "list", "--config", m_config, "--color=always"});
  ASSERT_EQ(always.exit_code, 0) << always.err;
  EXPECT_NE(always.out.find("\x1b[1mID\x1b[0m"), std::string::npos) << always.out;
  EXPECT_NE(always.out.find("\x1b[2m2026-11-0"), std::string::npos);  // dim dates

  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{NEWSWATCH_BINARY, "list", "--config", m_config, "--color=never"},
        std::vector<std::string>{NEWSWATCH_BINARY, "list", "--config", m_config},
        std::vector<std::string>{"/usr/bin/env", "NO_COLOR=1", NEWSWATCH_BINARY, "list", "--config",
                                 m_config, "--color", "auto"}}) {
    const auto r = run_command(cmd);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << cmd.back() << r.out;
    EXPECT_EQ(lines_in(r.out), 51u);  // header + the default 50
  }

  // $COLUMNS when standard output is not a terminal: every line fits, long titles end in "…".
  const auto narrow = run_command({"/usr/bin/env", "COLUMNS=60", NEWSWATCH_BINARY, "list",
                                   "--config", m_config, "--limit", "300"});
  ASSERT_EQ(narrow.exit_code, 0) << narrow.err;
  std::istringstream in(narrow.out);
  std::size_t cut = 0;
  for (std::string line; std::getline(in, line);) {
    EXPECT_LE(daemon::display_width(line), 60u) << line;
    cut += line.find("…") != std::string::npos;
  }
  EXPECT_EQ(cut, 30u) << narrow.out;  // the 30 long titles
  const auto wide = run_command({NEWSWATCH_BINARY, "list", "--config", m_config, "--limit", "300"});
  EXPECT_EQ(wide.out.find("…"), std::string::npos);
  EXPECT_NE(wide.out.find("Фикстура"), std::string::npos);

  // Search: matched words highlighted with colour, plain without.
  const auto hits = run_command(
      {NEWSWATCH_BINARY, "search", "--config", m_config, "--color=always", "Nordkorea"});
  ASSERT_EQ(hits.exit_code, 0) << hits.err;
  EXPECT_NE(hits.out.find("\x1b[1;33mNordkorea\x1b[0m"), std::string::npos) << hits.out;
  const auto plain_hits =
      run_command({NEWSWATCH_BINARY, "search", "--config", m_config, "Nordkorea"});
  EXPECT_EQ(plain_hits.out.find('\x1b'), std::string::npos);
  EXPECT_NE(plain_hits.out.find("Nordkorea"), std::string::npos);

  // Every other table command takes --color as well and colours with it.
  for (const char* command : {"sources", "topics", "stats"}) {
    const auto r = run_command({NEWSWATCH_BINARY, command, "--config", m_config, "--color=always"});
    EXPECT_EQ(r.exit_code, 0) << command << r.err;
    EXPECT_NE(r.out.find('\x1b'), std::string::npos) << command << r.out;
    const auto n = run_command({NEWSWATCH_BINARY, command, "--config", m_config, "--color=never"});
    EXPECT_EQ(n.out.find('\x1b'), std::string::npos) << command << n.out;
  }
  // Imports queue no alerts: an empty list prints nothing, not a lone header.
  const auto alerts =
      run_command({NEWSWATCH_BINARY, "alerts", "--config", m_config, "--color=always"});
  EXPECT_EQ(alerts.exit_code, 0) << alerts.err;
  EXPECT_EQ(alerts.out, "");
  const auto bad = run_command({NEWSWATCH_BINARY, "list", "--config", m_config, "--color=pink"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--color takes auto, always or never"), std::string::npos) << bad.err;
}

TEST_F(CliE2E, OnARealTerminalTablesAreColouredAndCutAndProgressIsRedrawnInPlace) {
  ASSERT_EQ(
      run_command({NEWSWATCH_BINARY, "import", "--config", m_config, "--quiet", m_jsonl}).exit_code,
      0);
  // No --color, no $COLUMNS: the terminal decides both.
  const auto list =
      run_on_terminal({NEWSWATCH_BINARY, "list", "--config", m_config, "--limit", "300"}, 70);
  ASSERT_EQ(list.exit_code, 0) << list.terminal;
  EXPECT_NE(list.terminal.find("\x1b[1mID\x1b[0m"), std::string::npos) << list.terminal;
  const std::string text = strip_escapes(list.terminal);
  std::istringstream in(text);
  std::size_t lines = 0, cut = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    EXPECT_LE(daemon::display_width(line), 70u) << line;
    cut += line.find("…") != std::string::npos;
  }
  EXPECT_EQ(lines, static_cast<std::size_t>(k_articles + 1));
  EXPECT_EQ(cut, 30u);

  // NO_COLOR on the same terminal: no colour, still cut to its width.
  const auto no_color =
      run_on_terminal({NEWSWATCH_BINARY, "list", "--config", m_config, "--limit", "300"}, 70, "1");
  EXPECT_EQ(no_color.terminal.find('\x1b'), std::string::npos);
  EXPECT_NE(no_color.terminal.find("…"), std::string::npos);

  // export with standard error on the terminal and standard output to a file: the progress line
  // is drawn in place (carriage return, erase to end of line) and the file holds only JSON.
  const auto out_file = (sandbox() / "export.jsonl").string();
  const auto exported =
      run_on_terminal({NEWSWATCH_BINARY, "export", "--config", m_config}, 100, nullptr, out_file);
  ASSERT_EQ(exported.exit_code, 0) << exported.terminal;
  EXPECT_NE(exported.terminal.find("\rnewswatch export: 300 articles  100%"), std::string::npos)
      << exported.terminal;
  EXPECT_NE(exported.terminal.find("\x1b[K"), std::string::npos);
  EXPECT_NE(exported.terminal.find("newswatch export: 300 articles\r\n"), std::string::npos);
  const std::string jsonl = testing::read_file(out_file);
  EXPECT_EQ(lines_in(jsonl), static_cast<std::size_t>(k_articles));
  EXPECT_EQ(jsonl.find("newswatch"), std::string::npos);
  // Both on the terminal: the articles are what the user sees; no line is redrawn over them.
  const auto both = run_on_terminal({NEWSWATCH_BINARY, "export", "--config", m_config}, 100);
  EXPECT_EQ(both.exit_code, 0);
  EXPECT_EQ(both.terminal.find("100%"), std::string::npos);
  EXPECT_NE(both.terminal.find("newswatch export: 300 articles\r\n"), std::string::npos);
  // --quiet on a terminal: nothing at all on standard error.
  const auto quiet = run_on_terminal({NEWSWATCH_BINARY, "export", "--config", m_config, "--quiet"},
                                     100, nullptr, out_file);
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.terminal, "");
}

TEST_F(CliE2E, CheckConfigWarnsAboutAWorldReadableConfigWithSecrets) {
  const auto path = write_file("secret.toml", R"toml(
[storage]
path = "db"

[[channels]]
name = "hook"
type = "webhook"
url = "https://hooks.example.org/x"
secret = "s3cret"
)toml");
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  const auto open = run_command({NEWSWATCH_BINARY, "check-config", "--config", path.string()});
  EXPECT_EQ(open.exit_code, 0) << open.err;
  EXPECT_NE(open.err.find("warning: " + path.string() +
                          " holds secrets (channels[0].secret) and every local user can read it "
                          "(mode 0644)"),
            std::string::npos)
      << open.err;
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  const auto closed = run_command({NEWSWATCH_BINARY, "check-config", "--config", path.string()});
  EXPECT_EQ(closed.exit_code, 0);
  EXPECT_EQ(closed.err, "");
  // The daemon says the same once at start, as a log line naming the file.
  const auto daemon_config = write_file("daemon.toml", R"toml(
[storage]
path = "db"

[metrics]
listen = ""

[[channels]]
name = "mail"
type = "email"
smtp_url = "smtp://127.0.0.1:1"
password = "hunter2"
from = "a@example.org"
to = ["b@example.org"]
)toml");
  ASSERT_EQ(chmod(daemon_config.c_str(), 0604), 0);
  const auto log = sandbox() / "daemon.log";
  {
    testing::ChildProcess daemon({NEWSWATCH_BINARY, "run", "--config", daemon_config.string()},
                                 log.string());
    EXPECT_TRUE(testing::wait_until(
        [&] { return testing::read_file(log).find("daemon.started") != std::string::npos; },
        std::chrono::seconds(20)))
        << testing::read_file(log);
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(std::chrono::seconds(20)), 0);
  }
  const std::string logged = testing::read_file(log);
  EXPECT_NE(logged.find("daemon.config_world_readable file=" + daemon_config.string() +
                        " mode=0604 secrets=channels[0].password"),
            std::string::npos)
      << logged;
  EXPECT_EQ(logged.find("hunter2"), std::string::npos) << "the secret itself is never logged";

  // The config of the other tests has no secret: no warning even when world-readable.
  ASSERT_EQ(chmod(m_config.c_str(), 0644), 0);
  EXPECT_EQ(run_command({NEWSWATCH_BINARY, "check-config", "--config", m_config}).err, "");
}

}  // namespace
}  // namespace newswatch
