#include "core/article.h"

namespace newswatch {

const char* feed_kind_name(FeedKind kind) {
  switch (kind) {
    case FeedKind::rss: return "rss";
    case FeedKind::atom: return "atom";
    case FeedKind::json: return "json";
    case FeedKind::sitemap: return "sitemap";
    case FeedKind::page: return "page";
  }
  return "rss";
}

}  // namespace newswatch
