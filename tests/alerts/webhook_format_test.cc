#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "alerts/delivery.h"

namespace newswatch::alerts {
namespace {

struct Fixture {
  storage::OutboxRecord alert;
  Article article;
  Fixture() {
    alert.topic = "korea";
    alert.article_id = "a1";
    alert.channel = "chat";
    article.id = "a1";
    article.url = "https://news.example/a?x=1&y=<2>";
    article.title = "Nordkorea & Südkorea <verhandeln>";
    article.source = "testnews";
  }
  std::string header(const WebhookMessage& m, const std::string& name) const {
    for (const auto& [k, v] : m.headers) {
      if (k == name) return v;
    }
    return "";
  }
};

TEST(WebhookFormat, NamesParse) {
  EXPECT_EQ(parse_webhook_format("slack"), WebhookFormat::slack);
  EXPECT_EQ(parse_webhook_format("ntfy"), WebhookFormat::ntfy);
  EXPECT_FALSE(parse_webhook_format("teams"));
}

TEST(WebhookFormat, SlackEscapesAndBoldsMatches) {
  Fixture f;
  const auto m = build_webhook(f.alert, f.article, "Gespräche über «Nordkorea» in Seoul", "s3cret",
                               WebhookFormat::slack);
  const auto j = nlohmann::json::parse(m.body);
  const std::string text = j["text"];
  EXPECT_NE(text.find("*[korea]*"), std::string::npos) << text;
  EXPECT_NE(text.find("|Nordkorea &amp; Südkorea &lt;verhandeln&gt;>"), std::string::npos) << text;
  EXPECT_NE(text.find("über *Nordkorea* in"), std::string::npos) << text;
  // Receivers can still verify and deduplicate.
  EXPECT_EQ(f.header(m, "X-Newswatch-Signature"), "sha256=" + hmac_sha256_hex("s3cret", m.body));
  EXPECT_EQ(f.header(m, "X-Newswatch-Idempotency-Key"), f.alert.idempotency_key());
}

TEST(WebhookFormat, DiscordStaysUnderItsLimit) {
  Fixture f;
  std::string snippet;
  while (snippet.size() < 5000) snippet += "Pjöngjang «Nordkorea» ";
  const auto m = build_webhook(f.alert, f.article, snippet, "", WebhookFormat::discord);
  const std::string content = nlohmann::json::parse(m.body)["content"];
  EXPECT_LE(content.size(), 2000u);
  EXPECT_NE(content.find("**Nordkorea**"), std::string::npos);
  EXPECT_EQ(content.rfind("**[korea]**", 0), 0u);
}

TEST(WebhookFormat, NtfyPlainBodyAndOneLineHeaders) {
  Fixture f;
  f.article.title = std::string(200, 'x') + " Пхеньян";
  const auto m = build_webhook(f.alert, f.article, "über «Nordkorea»", "", WebhookFormat::ntfy);
  EXPECT_EQ(m.body, "über Nordkorea");
  EXPECT_EQ(f.header(m, "Click"), f.article.url);
  const std::string title = f.header(m, "Title");
  EXPECT_EQ(title.find('\r'), std::string::npos);
  EXPECT_EQ(title.find('\n'), std::string::npos);
  EXPECT_NE(title.find("=?UTF-8?"), std::string::npos) << title;
}

TEST(WebhookFormat, JsonIsTheDefault) {
  Fixture f;
  const auto m = build_webhook(f.alert, f.article, "s", "");
  const auto j = nlohmann::json::parse(m.body);
  EXPECT_EQ(j["article"]["title"], f.article.title);
  EXPECT_EQ(j["topic"], "korea");
}

}  // namespace
}  // namespace newswatch::alerts
