// `newswatch demo`: the whole pipeline on a machine without network. A small news site is served
// on 127.0.0.1 from this process, the real daemon (this binary, `run`) polls it with two topics
// and a file channel, a story breaks while it runs, and the alerts and the stored articles are
// shown. Everything lives in one directory that is left behind for further commands.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/time.h"
#include "daemon/cli_args.h"
#include "daemon/commands.h"

extern char** environ;

namespace newswatch::daemon {
namespace {

namespace fs = std::filesystem;
using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;

struct DemoArticle {
  const char* path;
  const char* title;
  const char* lead;
  const char* body;  // paragraphs separated by '\n'
  int minutes_ago;   // published this long before the demo runs (matching.max_age skips old news)
};

// Written for the demo; the last one "breaks" after the daemon's first poll.
constexpr DemoArticle k_articles[] = {
    {"/politik/nordkorea-rakete.html", "Nordkorea feuert erneut ballistische Rakete ab",
     "Das Regime in Pjöngjang hat nach Angaben des südkoreanischen Militärs eine Rakete in "
     "Richtung Japanisches Meer gestartet.",
     "Die Rakete sei am frühen Morgen von einem Gebiet nahe der Hauptstadt aus gestartet worden, "
     "teilte der Generalstab in Seoul mit. Sie flog demnach rund 600 Kilometer weit.\n"
     "Japan verurteilte den Test als Verstoß gegen Resolutionen des UN-Sicherheitsrats. Die "
     "Regierung in Tokio berief eine Sitzung des Nationalen Sicherheitsrats ein.\n"
     "Beobachter werten den Start als Signal an Washington, wo in dieser Woche über neue "
     "Sanktionen beraten wird.",
     95},
    {"/wirtschaft/gaspreise.html", "Gaspreise sinken zum dritten Mal in Folge",
     "Haushalte zahlen im Dezember weniger für Gas als im Vorjahr.",
     "Die Großhandelspreise für Erdgas sind im November erneut gefallen, wie ein "
     "Vergleichsportal berichtet. Viele Versorger geben die Senkung an ihre Kunden weiter.\n"
     "Verbraucherschützer raten dennoch, Tarife zu vergleichen: Die Unterschiede zwischen den "
     "Anbietern seien weiterhin groß.",
     80},
    {"/ausland/kreml-gespraeche.html", "Kreml bestätigt Gespräche über Gefangenenaustausch",
     "Russland und die USA verhandeln nach Angaben aus Moskau über einen Austausch.",
     "Ein Sprecher des Kremls sagte am Mittwoch, die Gespräche würden auf Ebene der "
     "Geheimdienste geführt. Einzelheiten nannte er nicht.\n"
     "In Washington wollte sich das Außenministerium nicht äußern. Zuletzt hatten beide "
     "Länder im Sommer Gefangene ausgetauscht.",
     45},
    {"/eilmeldung/pjoengjang-gipfel.html", "Eilmeldung: Gipfeltreffen in Pjöngjang angekündigt",
     "Nordkorea und Russland wollen ihre Zusammenarbeit bei einem Gipfel ausbauen.",
     "Die staatliche Nachrichtenagentur KCNA meldete am Abend, der russische Präsident werde in "
     "der kommenden Woche in Pjöngjang erwartet.\n"
     "Im Mittelpunkt sollen wirtschaftliche Zusammenarbeit und Rüstungsfragen stehen. Südkorea "
     "kündigte an, das Treffen genau zu beobachten.",
     2},
};
constexpr std::size_t k_initial_articles = 3;

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
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

// A page with the chrome a real news site has around its article.
std::string article_html(const DemoArticle& a) {
  std::string paragraphs;
  std::istringstream body(a.body);
  for (std::string p; std::getline(body, p);) paragraphs += "<p>" + html_escape(p) + "</p>\n";
  return "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>" +
         html_escape(a.title) +
         " | Demo-Nachrichten</title>"
         "<meta property=\"article:published_time\" content=\"" +
         format_iso8601(std::chrono::floor<std::chrono::seconds>(
             std::chrono::system_clock::now() - std::chrono::minutes(a.minutes_ago))) +
         "\"></head><body>"
         "<div class=\"cookie-banner\"><p>Wir verwenden Cookies, um Ihnen das beste Erlebnis zu "
         "bieten.</p><button>Akzeptieren</button></div>"
         "<header><nav><a href=\"/\">Start</a> <a href=\"/politik\">Politik</a> "
         "<a href=\"/wirtschaft\">Wirtschaft</a> <a href=\"/ausland\">Ausland</a></nav></header>"
         "<main><article><h1>" +
         html_escape(a.title) + "</h1><p class=\"lead\"><strong>" + html_escape(a.lead) +
         "</strong></p>\n" + paragraphs +
         "<div class=\"share\"><a href=\"#\">Teilen</a> <a href=\"#\">Drucken</a></div>"
         "</article><aside class=\"related\"><h2>Mehr zum Thema</h2><ul>"
         "<li><a href=\"/politik/archiv1.html\">Nordkorea: Die Chronik der Raketentests</a></li>"
         "<li><a href=\"/politik/archiv2.html\">Russland und Asien: eine Analyse</a></li>"
         "</ul></aside>"
         "<section class=\"comments\"><h2>Kommentare</h2><p>Leser123: Russland sollte ...</p>"
         "</section></main>"
         "<footer><p>© Demo-Nachrichten · Impressum · Datenschutz</p></footer></body></html>";
}

std::string feed_xml(const std::string& base, std::size_t count) {
  std::string items;
  for (std::size_t i = count; i-- > 0;) {
    const DemoArticle& a = k_articles[i];
    items += "<item><title>" + html_escape(a.title) + "</title><link>" + base + a.path +
             "</link><guid>" + a.path + "</guid><description>" + html_escape(a.lead) +
             "</description></item>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>"
         "<title>Demo-Nachrichten</title><link>" +
         base + "/</link>\n" + items + "</channel></rss>\n";
}

// The fixture site: one thread, one connection at a time (the daemon is polite anyway).
class DemoSite {
 public:
  DemoSite() : m_acceptor(m_io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    m_thread = std::thread([this] { serve(); });
  }
  ~DemoSite() {
    m_stop = true;
    boost::system::error_code ec;
    tcp::socket poke(m_io);
    poke.connect(m_acceptor.local_endpoint(), ec);  // wakes the blocking accept
    m_thread.join();
  }
  std::string base() const {
    return "http://127.0.0.1:" + std::to_string(m_acceptor.local_endpoint().port());
  }
  void publish_all() { m_published = std::size(k_articles); }
  std::size_t feed_polls() const { return m_feed_polls; }

 private:
  void serve() {
    while (!m_stop) {
      tcp::socket socket(m_io);
      boost::system::error_code ec;
      m_acceptor.accept(socket, ec);
      if (ec || m_stop) continue;
      boost::asio::streambuf request;
      boost::asio::read_until(socket, request, "\r\n\r\n", ec);
      if (ec) continue;
      std::istream in(&request);
      std::string method, target;
      in >> method >> target;
      std::string status = "200 OK", type = "text/html; charset=utf-8", body;
      if (target == "/feed.xml") {
        ++m_feed_polls;
        type = "application/rss+xml";
        body = feed_xml(base(), m_published);
      } else if (target == "/robots.txt") {
        type = "text/plain";
        body = "User-agent: *\nDisallow: /intern/\n";
      } else {
        status = "404 Not Found";
        body = "<html><body><h1>Seite nicht gefunden</h1></body></html>";
        for (std::size_t i = 0; i < m_published; ++i) {
          if (target == k_articles[i].path) {
            status = "200 OK";
            body = article_html(k_articles[i]);
          }
        }
      }
      const std::string response = "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
                                   "\r\nContent-Length: " + std::to_string(body.size()) +
                                   "\r\nConnection: close\r\n\r\n" + body;
      boost::asio::write(socket, boost::asio::buffer(response), ec);
    }
  }

  boost::asio::io_context m_io;
  tcp::acceptor m_acceptor;
  std::thread m_thread;
  std::atomic<bool> m_stop{false};
  std::atomic<std::size_t> m_published{k_initial_articles};
  std::atomic<std::size_t> m_feed_polls{0};
};

std::string config_text(const std::string& base) {
  return "# Written by `newswatch demo`: a local fixture site, two topics, alerts to a file.\n"
         "[storage]\npath = \"db\"\n\n"
         "[fetch]\nallow_private_networks = true\nhost_delay = \"100ms\"\ntimeout = \"10s\"\n\n"
         "[log]\nlevel = \"info\"\n\n"
         "[matching]\nlanguages = [\"de\", \"en\"]\n"
         "synonyms = [[\"Pjöngjang\", \"Pyongyang\"]]\n\n"
         "[metrics]\nlisten = \"\"\n\n"
         "[[sources]]\nname = \"demo-news\"\nurl = \"" +
         base +
         "/feed.xml\"\nkind = \"feed\"\ninterval = \"2s\"\nmin_interval = \"1s\"\n"
         "max_interval = \"4s\"\n\n"
         "[[channels]]\nname = \"alerts-file\"\ntype = \"file\"\npath = \"alerts.jsonl\"\n\n"
         "[[topics]]\nname = \"korea\"\nquery = \"Nordkorea OR Pyongyang\"\n"
         "channels = [\"alerts-file\"]\n\n"
         "[[topics]]\nname = \"russia\"\nquery = \"Russland OR Kreml\"\n"
         "channels = [\"alerts-file\"]\n";
}

std::vector<nlohmann::json> read_alerts(const fs::path& file) {
  std::vector<nlohmann::json> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

pid_t spawn(const std::vector<std::string>& argv, const fs::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

}  // namespace

int cmd_demo(const Args& raw) {
  auto args = parse_cli_args(raw, CliSpec{{"--dir", "--timeout"}, {}, {}});
  if (!args) {
    std::fprintf(stderr, "newswatch demo: %s\n", args.error().message.c_str());
    return kExitUsage;
  }
  int timeout_s = 60;
  if (auto t = args->get("--timeout")) {
    try {
      timeout_s = std::stoi(*t);
    } catch (const std::exception&) {
      timeout_s = 0;
    }
    if (timeout_s <= 0) {
      std::fprintf(stderr, "newswatch demo: --timeout takes a positive number of seconds\n");
      return kExitUsage;
    }
  }
  fs::path dir;
  if (auto d = args->get("--dir")) {
    dir = *d;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_empty(dir, ec)) {
      std::fprintf(stderr, "newswatch demo: --dir %s must be a new or empty directory\n",
                   dir.c_str());
      return kExitUsage;
    }
  } else {
    std::string tmpl = (fs::temp_directory_path() / "newswatch-demo-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "newswatch demo: cannot create a directory under %s\n",
                   fs::temp_directory_path().c_str());
      return kExitFailure;
    }
    dir = tmpl;
  }
  dir = fs::absolute(dir);
  const fs::path config = dir / "newswatch.toml";
  const fs::path alerts = dir / "alerts.jsonl";

  DemoSite site;
  std::ofstream(config) << config_text(site.base());
  std::printf(
      "newswatch demo in %s\n  news site: %s/feed.xml (served by this process)\n"
      "  topics: korea = Nordkorea OR Pyongyang, russia = Russland OR Kreml\n"
      "  alerts: %s\n\n",
      dir.c_str(), site.base().c_str(), alerts.c_str());
  std::fflush(stdout);

  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const pid_t pid = spawn({self, "run", "--config", config.string()}, dir / "daemon.log");
  if (pid < 0) {
    std::fprintf(stderr, "newswatch demo: cannot start %s\n", self.c_str());
    return kExitFailure;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::size_t shown = 0;
  bool broke = false;
  int status = 0;
  bool exited = false;
  // Expected: korea (rocket), russia (Kremlin), then the breaking story matches both topics.
  constexpr std::size_t k_expected_alerts = 4;
  while (std::chrono::steady_clock::now() < deadline && shown < k_expected_alerts) {
    std::this_thread::sleep_for(200ms);
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    const auto got = read_alerts(alerts);
    for (; shown < got.size(); ++shown) {
      const auto& a = got[shown];
      std::printf("ALERT [%s] %s\n        %s\n        %s\n\n",
                  a.value("topic", std::string()).c_str(),
                  a["article"].value("title", std::string()).c_str(),
                  a["article"].value("url", std::string()).c_str(),
                  a["article"].value("snippet", std::string()).substr(0, 240).c_str());
    }
    std::fflush(stdout);
    if (!broke && shown >= 2) {
      std::printf("... a story breaks on the site; the daemon picks it up on its next poll\n\n");
      std::fflush(stdout);
      site.publish_all();
      broke = true;
    }
  }
  if (!exited) {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, &status, 0);
  }
  const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::printf("%zu alert%s in %s; daemon log: %s\n", shown, shown == 1 ? "" : "s", alerts.c_str(),
              (dir / "daemon.log").c_str());
  std::printf("\nStored articles (newswatch list --config %s):\n", config.c_str());
  std::fflush(stdout);
  const pid_t lister = spawn({self, "list", "--config", config.string()}, dir / "list.txt");
  int list_status = 0;
  if (lister > 0) ::waitpid(lister, &list_status, 0);
  std::ifstream listed(dir / "list.txt");
  for (std::string line; std::getline(listed, line);) std::printf("  %s\n", line.c_str());
  std::printf(
      "\nTry next:\n  newswatch match --config %s --query 'Rakete*'\n"
      "  newswatch show --config %s <ID>\n  newswatch stats --config %s\n",
      config.c_str(), config.c_str(), config.c_str());
  if (!clean) {
    std::fprintf(stderr, "newswatch demo: the daemon did not exit cleanly (see %s)\n",
                 (dir / "daemon.log").c_str());
    return kExitFailure;
  }
  if (shown < k_expected_alerts) {
    std::fprintf(stderr, "newswatch demo: expected %zu alerts within %d s, got %zu (see %s)\n",
                 k_expected_alerts, timeout_s, shown, (dir / "daemon.log").c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace newswatch::daemon
