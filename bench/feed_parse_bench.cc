// Feed parsing throughput: a generated 100-item, ~300 KB RSS 2.0 feed in the shape WordPress
// serves (CDATA descriptions, content:encoded HTML, dc:creator), parsed by parse_feed, against
// libxml2's bare xmlReadMemory of the same bytes in the same run (the floor).
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "parsers/feed_parser.h"
#include "parsers/feed_xml_floor.h"

namespace {

// CDATA-wrapped HTML (WordPress, Arc) or entity-escaped HTML (Drupal) in the text elements.
enum class Markup { cdata, escaped };

// Escapes `html` as Drupal does: '<', '>', '&' and '"' become entities.
std::string escape(const std::string& html) {
  std::string out;
  for (const char c : html) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string make_feed(int items, size_t target_bytes, Markup markup) {
  std::string feed =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
      "xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n"
      "<title>Beispiel Nachrichten</title>\n<link>https://news.example.de/</link>\n"
      "<atom:link href=\"https://news.example.de/feed/\" rel=\"self\" "
      "type=\"application/rss+xml\"/>\n<language>de-DE</language>\n";
  const size_t per_item = target_bytes / static_cast<size_t>(items);
  const std::string html_paragraph =
      "<p>Die Bundesregierung hat am Montag in Berlin neue Ma&szlig;nahmen vorgestellt, die "
      "&bdquo;schnell und unb&uuml;rokratisch&ldquo; wirken sollen. Kritiker sprechen von einem "
      "<a href=\"https://news.example.de/thema/politik\">Schnellschuss</a> &ndash; die "
      "Opposition fordert eine Debatte im Bundestag.</p>\n";
  const bool cdata = markup == Markup::cdata;
  const std::string paragraph = cdata ? html_paragraph : escape(html_paragraph);
  const std::string open = cdata ? "<![CDATA[" : "";
  const std::string close = cdata ? "]]>" : "";
  for (int i = 0; i < items; ++i) {
    const std::string n = std::to_string(i);
    std::string item =
        "<item>\n<title>Meldung " + n +
        ": Regierung beschlie&#223;t Paket &amp; Opposition protestiert</title>\n"
        "<link>https://news.example.de/politik/meldung-" +
        n +
        "/</link>\n<dc:creator><![CDATA[Anna Schmidt]]></dc:creator>\n"
        "<pubDate>Mon, 17 Jun 2024 09:" +
        std::to_string(10 + i % 50) +
        ":00 +0200</pubDate>\n<category><![CDATA[Politik]]></category>\n"
        "<guid isPermaLink=\"false\">https://news.example.de/?p=" +
        n + "</guid>\n<description>" + open +
        (cdata ? "<p>Kurzfassung der Meldung " : "&lt;p&gt;Kurzfassung der Meldung ") + n +
        (cdata ? " mit den wichtigsten Punkten.</p>" : " mit den wichtigsten Punkten.&lt;/p&gt;") +
        close + "</description>\n<content:encoded>" + open;
    while (item.size() + paragraph.size() + 64 < per_item) item += paragraph;
    item += close + "</content:encoded>\n</item>\n";
    feed += item;
  }
  feed += "</channel>\n</rss>\n";
  return feed;
}

const std::string& feed_bytes(Markup markup = Markup::cdata) {
  static const std::string cdata = make_feed(100, 300 * 1024, Markup::cdata);
  static const std::string escaped = make_feed(100, 300 * 1024, Markup::escaped);
  return markup == Markup::cdata ? cdata : escaped;
}

void BM_ParseFeed(benchmark::State& state) {
  const std::string& bytes = feed_bytes(static_cast<Markup>(state.range(0)));
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
  const std::string& bytes = feed_bytes(static_cast<Markup>(state.range(0)));
  int elements = 0;
  for (auto _ : state) {
    elements = newswatch::parsers::libxml2_bare_parse(bytes);
    benchmark::DoNotOptimize(elements);
  }
  if (elements != 1) state.SkipWithError("libxml2 did not parse the feed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}

// Both parses interleaved in one loop, so machine load hits them alike; "ratio" is parse_feed's
// time over the floor's (below 1 means faster than libxml2 alone on the same bytes).
void BM_ParseFeedOverFloor(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  const std::string& bytes = feed_bytes(static_cast<Markup>(state.range(0)));
  newswatch::parsers::FeedParseOptions options;
  options.url = "https://news.example.de/feed/";
  std::chrono::nanoseconds ours{0}, floor{0};
  for (auto _ : state) {
    const auto t0 = Clock::now();
    auto feed = newswatch::parsers::parse_feed(bytes, options);
    const auto t1 = Clock::now();
    const int elements = newswatch::parsers::libxml2_bare_parse(bytes);
    const auto t2 = Clock::now();
    benchmark::DoNotOptimize(feed);
    benchmark::DoNotOptimize(elements);
    ours += t1 - t0;
    floor += t2 - t1;
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  state.counters["ratio"] = static_cast<double>(ours.count()) / static_cast<double>(floor.count());
  state.counters["floor_us"] =
      static_cast<double>(floor.count()) / 1e3 / static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}

// Argument 0: CDATA-wrapped HTML (the headline case); 1: entity-escaped HTML.
BENCHMARK(BM_ParseFeed)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseFeedOverFloor)->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Libxml2BareParse)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
