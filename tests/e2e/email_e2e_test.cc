// Email alerts end to end: the real daemon delivers to a real SMTP server on 127.0.0.1
// (Debian's python3-aiosmtpd, storing each message in a Maildir), and the test parses the MIME.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "alerts/email.h"
#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "tests/support/sandbox.h"
#include "tests/support/smtp_sink.h"

namespace newswatch {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The decoded body of the MIME part with `content_type`.
std::string decoded_part(const std::string& message, const std::string& content_type) {
  const size_t at = message.find("Content-Type: " + content_type);
  if (at == std::string::npos) return "";
  size_t body = message.find("\n\n", at);
  size_t crlf = message.find("\r\n\r\n", at);
  size_t start = std::min(body == std::string::npos ? message.size() : body + 2,
                          crlf == std::string::npos ? message.size() : crlf + 4);
  const size_t end = message.find("--", start);
  std::string b64;
  for (size_t i = start; i < std::min(end, message.size()); ++i) {
    if (message[i] != '\r' && message[i] != '\n') b64 += message[i];
  }
  static const std::string table =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (char c : b64) {
    if (c == '=') break;
    const size_t idx = table.find(c);
    if (idx == std::string::npos) continue;
    v = (v << 6) | static_cast<unsigned>(idx);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 0xFF);
    }
  }
  return out;
}

class EmailE2E : public testing::SandboxTest {};

TEST_F(EmailE2E, AlertArrivesAsMultipartMailWithEncodedSubject) {
  if (!testing::SmtpSink::available()) {
    GTEST_SKIP() << "python3-aiosmtpd is not installed (scripts/bootstrap.sh installs it)";
  }
  testing::SmtpSink smtp(sandbox());
  ASSERT_TRUE(smtp.ready()) << smtp.log();

  testing::StaticSite site;
  testing::TestHttpServer server(std::ref(site));
  site.add("/feed.xml",
           "<rss version=\"2.0\"><channel><title>T</title><item><title>Sanktionen</title><link>" +
               server.url("/a.html") + "</link></item></channel></rss>",
           "application/rss+xml");
  site.add("/a.html",
           "<html><head><title>Neue Sanktionen gegen Nordkorea – Pjöngjang reagiert</title></head>"
           "<body><article>"
           "<h1>Neue Sanktionen gegen Nordkorea – Pjöngjang reagiert</h1>"
           "<p>Die EU beschließt neue Sanktionen gegen Nordkorea.</p>"
           "<p>Pjöngjang kündigte Gegenmaßnahmen an.</p></article></body></html>",
           "text/html; charset=utf-8");
  const auto config = write_file(
      "newswatch.toml",
      "[storage]\npath = \"db\"\n[fetch]\nallow_private_networks = true\n"
      "[metrics]\nlisten = \"\"\n"
      "[[sources]]\nname = \"t\"\nurl = \"" +
          server.url("/feed.xml") +
          "\"\ninterval = \"1s\"\n"
          "[[channels]]\nname = \"mail\"\ntype = \"email\"\nsmtp_url = \"" +
          smtp.url() +
          "\"\nfrom = \"newswatch <alerts@newswatch.example>\"\n"
          "to = [\"Jürgen Leser <reader@example.org>\"]\n"
          "[[topics]]\nname = \"korea\"\nquery = \"Nordkorea\"\nchannels = [\"mail\"]\n");
  testing::ChildProcess daemon({NEWSWATCH_BINARY, "run", "--config", config.string()},
                               (sandbox() / "daemon.log").string());
  ASSERT_TRUE(testing::wait_until([&] { return !smtp.messages().empty(); }, 30s))
      << testing::read_file(sandbox() / "daemon.log");
  // Give a duplicate a chance to show up before stopping.
  std::this_thread::sleep_for(2s);
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(20s), 0);
  smtp.stop();

  const auto messages = smtp.messages();
  ASSERT_EQ(messages.size(), 1u);
  const std::string& m = messages[0];
  EXPECT_NE(m.find("Subject: =?UTF-8?B?"), std::string::npos) << m;
  EXPECT_NE(m.find("Message-ID: <"), std::string::npos);
  EXPECT_NE(m.find("@newswatch.example>"), std::string::npos);
  EXPECT_NE(m.find("multipart/alternative"), std::string::npos);
  EXPECT_NE(m.find("X-Newswatch-Idempotency-Key: "), std::string::npos);
  EXPECT_NE(m.find("To: =?UTF-8?B?"), std::string::npos) << "display name must be encoded";
  const std::string text = decoded_part(m, "text/plain");
  EXPECT_NE(text.find("Neue Sanktionen gegen Nordkorea – Pjöngjang reagiert"), std::string::npos)
      << text;
  // The snippet marks the words the topic matched.
  EXPECT_NE(text.find("gegen «Nordkorea»."), std::string::npos) << text;
  EXPECT_NE(text.find(server.url("/a.html")), std::string::npos) << text;
  EXPECT_NE(decoded_part(m, "text/html").find("<a href=\"" + server.url("/a.html") + "\">"),
            std::string::npos);
}

TEST(EmailMime, EncodesHeadersAndSplitsLongWords) {
  const std::string word = alerts::encode_header_words("Пхеньян: Нордкорея — новые санкции ЕС");
  EXPECT_EQ(word.rfind("=?UTF-8?B?", 0), 0u);
  for (size_t start = 0; start < word.size();) {
    size_t end = word.find("\r\n ", start);
    if (end == std::string::npos) end = word.size();
    EXPECT_LE(end - start, 75u);
    start = end == word.size() ? end : end + 3;
  }
  EXPECT_EQ(alerts::encode_header_words("plain ascii"), "plain ascii");
  EXPECT_EQ(alerts::bare_address("Jürgen <j@example.org>"), "j@example.org");
  EXPECT_EQ(alerts::bare_address(" j@example.org "), "j@example.org");
  EXPECT_EQ(alerts::base64_encode("Man"), "TWFu");
  EXPECT_EQ(alerts::base64_encode("Ma"), "TWE=");
  EXPECT_EQ(alerts::base64_encode("M"), "TQ==");
  EXPECT_EQ(alerts::format_rfc5322_date(*parse_iso8601("2024-06-17T09:00:00Z")),
            "Mon, 17 Jun 2024 09:00:00 +0000");
}

TEST(EmailMime, HeaderInjectionIsNeutralised) {
  alerts::EmailMessage m;
  m.from = "a@example.org";
  m.to = {"b@example.org"};
  m.subject = "hello\r\nBcc: victim@example.org";
  m.message_id = "x@y";
  m.text = "body";
  const std::string mime = alerts::build_mime(m);
  EXPECT_EQ(mime.find("\r\nBcc:"), std::string::npos) << mime;
}

}  // namespace
}  // namespace newswatch
