// `newswatch opml`: a feed reader's export becomes [[sources]] the config accepts, and the
// configured sources go back out as OPML. The real binary, real files.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "parsers/opml.h"
#include "tests/support/process.h"
#include "tests/support/sandbox.h"

namespace newswatch {
namespace {

using testing::run_command;

class OpmlCli : public testing::SandboxTest {};

TEST_F(OpmlCli, ImportedSourcesAreValidConfigAndExportRoundTrips) {
  const auto config =
      write_file("newswatch.toml",
                 "[storage]\npath = \"db\"\n"
                 "[[sources]]\nname = \"tass.ru\"\nurl = \"https://tass.ru/rss/v2.xml\"\n");
  const auto opml = write_file(
      "abos.opml",
      "<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><head><title>Abos</title></head><body>\n"
      "<outline text=\"Welt\">\n"
      "<outline text=\"Nachrichten &quot;Ausland&quot;\" xmlUrl=\"https://a.example/rss.xml\"/>\n"
      "<outline text=\"Nachrichten &quot;Ausland&quot;\" xmlUrl=\"https://b.example/rss.xml\"/>\n"
      "</outline>\n"
      "<outline text=\"ТАСС\" xmlUrl=\"https://tass.ru/rss/v2.xml\"/>\n"
      "<outline text=\"Коммерсантъ\" xmlUrl=\"https://www.kommersant.ru/RSS/news.xml\"/>\n"
      "</body></opml>\n");
  const auto imported = run_command({NEWSWATCH_BINARY, "opml", "import", "--config",
                                     config.string(), "--interval", "10m", opml.string()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.err.find("3 new sources, 1 already configured"), std::string::npos)
      << imported.err;
  EXPECT_EQ(std::count(imported.out.begin(), imported.out.end(), '['), 6) << imported.out;
  EXPECT_NE(imported.out.find("name = \"nachrichten-ausland\""), std::string::npos);
  EXPECT_NE(imported.out.find("name = \"nachrichten-ausland-2\""), std::string::npos);
  EXPECT_NE(imported.out.find("name = \"kommersant.ru\""), std::string::npos) << imported.out;
  EXPECT_NE(imported.out.find("interval = \"10m\""), std::string::npos);

  // Appended as printed, the config still validates.
  const auto full = write_file("newswatch.toml", testing::read_file(config) + imported.out);
  const auto checked = run_command({NEWSWATCH_BINARY, "check-config", "--config", full.string()});
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err << testing::read_file(full);

  const auto exported =
      run_command({NEWSWATCH_BINARY, "opml", "export", "--config", full.string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const auto list = parsers::parse_opml(exported.out);
  ASSERT_TRUE(list) << list.error().message << "\n" << exported.out;
  std::set<std::string> urls;
  for (const auto& f : list->feeds) urls.insert(f.xml_url);
  EXPECT_EQ(urls, (std::set<std::string>{"https://tass.ru/rss/v2.xml", "https://a.example/rss.xml",
                                         "https://b.example/rss.xml",
                                         "https://www.kommersant.ru/RSS/news.xml"}));
}

TEST_F(OpmlCli, BrokenFilesAreNamedWithTheLine) {
  const auto opml = write_file("broken.opml", "<opml>\n<body>\n<outline text=\"x\">\n</opml>\n");
  const auto r = run_command({NEWSWATCH_BINARY, "opml", "import", opml.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("broken.opml: line "), std::string::npos) << r.err;
  const auto rss = write_file("feed.xml", "<rss version=\"2.0\"><channel/></rss>");
  const auto r2 = run_command({NEWSWATCH_BINARY, "opml", "import", rss.string()});
  EXPECT_EQ(r2.exit_code, 2);
  EXPECT_NE(r2.err.find("not an OPML document"), std::string::npos) << r2.err;
  const auto usage = run_command({NEWSWATCH_BINARY, "opml", "frobnicate"});
  EXPECT_EQ(usage.exit_code, 2);
}

}  // namespace
}  // namespace newswatch
