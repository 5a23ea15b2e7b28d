// Feed parsing throughput: a generated 100-item, ~300 KB RSS 2.0 feed in the shape WordPress
// serves (CDATA descriptions, content:encoded HTML, dc:creator), parsed by parse_feed, against
// libxml2's bare xmlReadMemory of the same bytes in the same run (the floor).
#include <benchmark/benchmark.h>

#include <string>

#include "parsers/feed_parser.h"
#include "parsers/feed_xml_floor.h"

namespace {

std::string make_feed(int items, size_t target_bytes) {
  std::string feed =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
      "xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n"
      "<title>Beispiel Nachrichten</title>\n<link>https://news.example.de/</link>\n"
      "<atom:link href=\"https://news.example.de/feed/\" rel=\"self\" "
      "type=\"application/rss+xml\"/>\n<language>de-DE</language>\n";
  const size_t per_item = target_bytes / static_cast<size_t>(items);
  const std::string paragraph =
      "<p>Die Bundesregierung hat am Montag in Berlin neue Ma&szlig;nahmen vorgestellt, die "
      "&bdquo;schnell und unb&uuml;rokratisch&ldquo; wirken sollen. Kritiker sprechen von einem "
      "<a href=\"https://news.example.de/thema/politik\">Schnellschuss</a> &ndash; die "
      "Opposition fordert eine Debatte im Bundestag.</p>\n";
  for (int i = 0; i < items; ++i) {
    const std::string n = std::to_string(i);
    std::string item = "<item>\n<title>Meldung " + n +
                       ": Regierung beschlie&#223;t Paket &amp; Opposition protestiert</title>\n"
                       "<link>https://news.example.de/politik/meldung-" +
                       n +
                       "/</link>\n<dc:creator><![CDATA[Anna Schmidt]]></dc:creator>\n"
                       "<pubDate>Mon, 17 Jun 2024 09:" +
                       std::to_string(10 + i % 50) +
                       ":00 +0200</pubDate>\n<category><![CDATA[Politik]]></category>\n"
                       "<guid isPermaLink=\"false\">https://news.example.de/?p=" +
                       n + "</guid>\n<description><![CDATA[<p>Kurzfassung der Meldung " + n +
                       " mit den wichtigsten Punkten.</p>]]></description>\n"
                       "<content:encoded><![CDATA[";
    while (item.size() + paragraph.size() + 64 < per_item) item += paragraph;
    item += "]]></content:encoded>\n</item>\n";
    feed += item;
  }
  feed += "</channel>\n</rss>\n";
  return feed;
}

const std::string& feed_bytes() {
  static const std::string feed = make_feed(100, 300 * 1024);
  return feed;
}

void BM_ParseFeed(benchmark::State& state) {
  const std::string& bytes = feed_bytes();
  newswatch::parsers::FeedParseOptions options;
  options.url = "https://news.example.de/feed/";
  size_t entries = 0;
  for (auto _ : state) {
    auto feed = newswatch::parsers::parse_feed(bytes, options);
    entries = feed ? feed->entries.size() : 0;
    benchmark::DoNotOptimize(entries);
  }
  if (entries != 100) state.SkipWithError("parse_feed did not return 100 entries");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.counters["bytes"] = static_cast<double>(bytes.size());
}

void BM_Libxml2BareParse(benchmark::State& state) {
  const std::string& bytes = feed_bytes();
  int elements = 0;
  for (auto _ : state) {
    elements = newswatch::parsers::libxml2_bare_parse(bytes);
    benchmark::DoNotOptimize(elements);
  }
  if (elements != 1) state.SkipWithError("libxml2 did not parse the feed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}

BENCHMARK(BM_ParseFeed)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Libxml2BareParse)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
