#include "parsers/extract_content.h"

#include "parsers/extract_boilerplate.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <string_view>

namespace newswatch::parsers {

namespace {

using std::string_view;

// Class/id vocabularies, matched per class name (and id) after lower-casing. `contains`
// words match anywhere in the name with separators removed ("article-comments" holds
// "comment", "mehr-zum-thema" holds "mehrzumthema"); `exact` words only as a whole token
// between separators ("ad" in "ad-slot", not in "head").
constexpr string_view k_drop_contains[] = {
    "comment",      "disqus",    "cookie",       "consent",        "gdpr",        "newsletter",
    "breadcrumb",   "sidebar",   "social",       "sharing",        "sharebar",    "shariff",
    "sharebutton",  "related",   "recommend",    "outbrain",       "taboola",     "plista",
    "advert",       "sponsor",   "footer",       "navbar",         "navigation",  "pagination",
    "popup",        "skiplink",  "skipto",       "toolbar",        "subscribe",   "abonnier",
    "anzeige",      "werbung",   "kommentar",    "empfehlung",     "weiterlesen", "mehrzumthema",
    "authorbox",    "authorbio", "aboutauthor",  "signup",         "followus",    "masthead",
    "relatedposts", "moreposts", "screenreader", "visuallyhidden", "sronly",      "readalso",
    "lesenauch",    "postnav",   "cookiebanner", "affiliate",      "disclosure",  "disclaimer"};
constexpr string_view k_drop_exact[] = {
    "ad",      "ads",       "adv",       "adslot",    "nav",    "menu",    "share",
    "shares",  "tags",      "tagcloud",  "keywords",  "rating", "modal",   "overlay",
    "teilen",  "login",     "signin",    "search",    "pager",  "bio",     "author",
    "byline",  "dateline",  "postmeta",  "entrymeta", "meta",   "infobox", "caption",
    "credits", "copyright", "offscreen", "promo",     "banner"};
constexpr string_view k_weak_negative[] = {
    "header", "teaser", "extra",  "aside", "date", "time",      "info",   "links",
    "box",    "tools",  "widget", "foot",  "rail", "secondary", "hidden", "print"};
// Strong content words: a class name made of these protects an element whose other class
// names look like boilerplate ("entry share").
constexpr string_view k_strong_positive[] = {"article", "content", "entry",  "post",
                                             "story",   "body",    "text",   "artikel",
                                             "beitrag", "inhalt",  "hentry", "main"};
constexpr string_view k_weak_positive[] = {"blog",   "news",   "column", "page",
                                           "single", "detail", "lead"};

bool is_alnum_ascii(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

struct NameClass {
  bool drop = false;      // a boilerplate name
  bool weak_neg = false;  // a name that leans to boilerplate
  bool strong_pos = false;
  bool weak_pos = false;
};

// Classifies one class name (or id), e.g. "article-comments".
NameClass classify_name(string_view name) {
  NameClass out;
  char squashed[96];
  std::size_t n = 0;
  char token[64];
  std::size_t t = 0;
  auto end_token = [&] {
    if (t == 0) return;
    const string_view tok(token, t);
    if (std::find(std::begin(k_drop_exact), std::end(k_drop_exact), tok) !=
        std::end(k_drop_exact)) {
      out.drop = true;
    }
    if (std::find(std::begin(k_weak_negative), std::end(k_weak_negative), tok) !=
        std::end(k_weak_negative)) {
      out.weak_neg = true;
    }
    for (string_view w : k_strong_positive) {
      if (tok.find(w) != string_view::npos) out.strong_pos = true;
    }
    for (string_view w : k_weak_positive) {
      if (tok.find(w) != string_view::npos) out.weak_pos = true;
    }
    t = 0;
  };
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
    if (is_alnum_ascii(c)) {
      if (n < sizeof squashed) squashed[n++] = static_cast<char>(c);
      if (t < sizeof token) token[t++] = static_cast<char>(c);
    } else {
      end_token();
    }
  }
  end_token();
  const string_view sq(squashed, n);
  for (string_view w : k_drop_contains) {
    if (sq.find(w) != string_view::npos) {
      out.drop = true;
      break;
    }
  }
  // Within one name the boilerplate word wins: "comment-content" is a comment's content.
  if (out.drop) out.strong_pos = out.weak_pos = false;
  return out;
}

// Calls f for each white-space separated name of `s`.
template <typename F>
void for_each_name(string_view s, F f) {
  std::size_t k = 0;
  while (k < s.size()) {
    while (k < s.size() && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r')) ++k;
    const std::size_t start = k;
    while (k < s.size() && !(s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r')) ++k;
    if (k > start) f(s.substr(start, k - start));
  }
}

NameClass classify_names(string_view class_and_id) {
  NameClass all;
  bool pure_positive = false;
  for_each_name(class_and_id, [&](string_view name) {
    const NameClass c = classify_name(name);
    all.drop = all.drop || c.drop;
    all.weak_neg = all.weak_neg || c.weak_neg;
    all.strong_pos = all.strong_pos || c.strong_pos;
    all.weak_pos = all.weak_pos || c.weak_pos;
    if (c.strong_pos && !c.weak_neg) pure_positive = true;
  });
  if (all.drop && pure_positive) {
    all.drop = false;
    all.weak_neg = true;
  }
  return all;
}

bool is_block_tag(Tag t) {
  switch (t) {
    case Tag::p:
    case Tag::div:
    case Tag::section:
    case Tag::article:
    case Tag::main:
    case Tag::h1:
    case Tag::h2:
    case Tag::h3:
    case Tag::h4:
    case Tag::h5:
    case Tag::h6:
    case Tag::ul:
    case Tag::ol:
    case Tag::li:
    case Tag::dl:
    case Tag::dt:
    case Tag::dd:
    case Tag::blockquote:
    case Tag::pre:
    case Tag::table:
    case Tag::tr:
    case Tag::td:
    case Tag::th:
    case Tag::thead:
    case Tag::tbody:
    case Tag::tfoot:
    case Tag::caption:
    case Tag::figure:
    case Tag::figcaption:
    case Tag::header:
    case Tag::footer:
    case Tag::nav:
    case Tag::aside:
    case Tag::address:
    case Tag::hr:
    case Tag::form:
    case Tag::fieldset:
    case Tag::details:
    case Tag::summary:
    case Tag::center:
    case Tag::hgroup:
    case Tag::body:
    case Tag::html:
    case Tag::menu: return true;
    default: return false;
  }
}

bool is_heading(Tag t) {
  return t == Tag::h1 || t == Tag::h2 || t == Tag::h3 || t == Tag::h4 || t == Tag::h5 ||
         t == Tag::h6;
}

bool always_dropped(Tag t) {
  switch (t) {
    case Tag::nav:
    case Tag::aside:
    case Tag::footer:
    case Tag::button:
    case Tag::select:
    case Tag::input:
    case Tag::textarea:
    case Tag::option:
    case Tag::iframe:
    case Tag::embed:
    case Tag::object:
    case Tag::video:
    case Tag::audio:
    case Tag::canvas:
    case Tag::svg:
    case Tag::math:
    case Tag::dialog:
    case Tag::menu:
    case Tag::script:
    case Tag::style:
    case Tag::noscript:
    case Tag::template_:
    case Tag::head:
    case Tag::title:
    case Tag::meta:
    case Tag::link:
    case Tag::base:
    case Tag::figcaption:
    case Tag::label:
    case Tag::fieldset: return true;
    default: return false;
  }
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f'; }

// Visible characters of a text run: code points that are not white space.
std::uint32_t count_chars(string_view s, std::uint32_t& commas) {
  std::uint32_t n = 0;
  for (std::size_t k = 0; k < s.size(); ++k) {
    const auto c = static_cast<unsigned char>(s[k]);
    if ((c & 0xC0) == 0x80 || is_space(static_cast<char>(c))) continue;
    if (c == 0xC2 && k + 1 < s.size() && static_cast<unsigned char>(s[k + 1]) == 0xA0) continue;
    ++n;
    if (c == ',') ++commas;
    // Arabic and full-width commas.
    if ((c == 0xD8 || c == 0xEF) && k + 1 < s.size() &&
        (static_cast<unsigned char>(s[k + 1]) == 0x8C ||
         static_cast<unsigned char>(s[k + 1]) == 0xBC)) {
      ++commas;
    }
  }
  return n;
}

string_view role_of(const HtmlDocument& doc, NodeId id) { return doc.attr(id, "role"); }

bool is_hidden(const HtmlDocument& doc, NodeId id) {
  if (doc.has_attr(id, "hidden")) return true;
  if (iequals(doc.attr(id, "aria-hidden"), "true")) return true;
  const string_view style = doc.attr(id, "style");
  if (style.empty()) return false;
  std::string s;
  for (char c : style) {
    if (!is_space(c)) s.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  }
  return s.find("display:none") != std::string::npos ||
         s.find("visibility:hidden") != std::string::npos;
}

bool is_boilerplate_role(string_view role) {
  static constexpr string_view roles[] = {"navigation",  "banner",  "contentinfo", "complementary",
                                          "menu",        "menubar", "search",      "dialog",
                                          "alertdialog", "tablist"};
  for (string_view r : roles) {
    if (iequals(role, r)) return true;
  }
  return false;
}

struct NodeStats {
  std::uint32_t chars = 0;       // visible characters in the kept subtree
  std::uint32_t link_chars = 0;  // of which inside <a>
  std::uint32_t commas = 0;
  std::uint32_t inline_chars = 0;   // characters of direct text and inline children
  std::uint32_t heading_chars = 0;  // characters inside h1-h6
  std::uint32_t li_chars = 0;       // characters inside <li>
  std::uint16_t p_count = 0;
  std::uint16_t img_count = 0;
  std::uint16_t li_count = 0;
  std::uint16_t input_count = 0;
  std::uint16_t embed_count = 0;
  bool has_block = false;  // a block element below
};

void add_capped(std::uint16_t& to, std::uint16_t v) {
  to = static_cast<std::uint16_t>(std::min<std::uint32_t>(0xffffu, std::uint32_t{to} + v));
}

// One attempt's switches, relaxed in turn when an attempt finds too little text (as
// Readability retries).
struct Pass {
  bool strip_unlikely;
  bool weight_classes;
  bool clean_conditionally;
};

constexpr std::array<Pass, 4> k_passes = {
    {{true, true, true}, {false, true, true}, {false, false, true}, {false, false, false}}};

// Score share of the best candidate at which another counts as a part of a split article.
constexpr float k_split_share = 0.6f;

// How far and into what the top candidate may grow (see ContentFinder::expand).
constexpr int k_expand_levels = 8;
constexpr float k_expand_max_link_density = 0.2f;

// Longest inline text right before the <h1> that is dropped as a kicker label.
constexpr std::size_t k_kicker_max_bytes = 60;

// How far before the body the headline may sit for the text between them to count as the
// standfirst (nodes), the fewest characters and words of a standfirst block, and most blocks.
constexpr NodeId k_lead_max_distance = 400;
constexpr std::uint32_t k_lead_min_chars = 50;
constexpr std::uint32_t k_lead_min_words = 7;
constexpr std::size_t k_lead_max_blocks = 2;
// A standfirst this long is prose even without a full stop at its end.
constexpr std::uint32_t k_lead_prose_chars = 150;

// Article text needed before a "Related"/"Comments" heading may end the article.
constexpr std::size_t k_tail_min_chars = 150;

// Shortest trailing block kept without a sentence's end, and longest trailing block dropped
// as a call to action (prune_tail).
constexpr std::size_t k_tail_label_max_chars = 60;
constexpr std::size_t k_tail_call_max_chars = 200;

// Longest table cell joined with its row's other cells into one line.
constexpr std::uint32_t k_table_cell_max_chars = 150;

// Most text of a container with more images than paragraphs that is still dropped as a
// gallery; with more text it is prose with pictures.
constexpr std::uint32_t k_gallery_max_chars = 500;

// An attempt's result below this many characters triggers the next, more lenient attempt.
constexpr std::size_t k_enough_chars = 500;

class ContentFinder {
 public:
  ContentFinder(const HtmlDocument& doc, const ContentOptions& options)
      : m_doc(doc), m_options(options), m_n(doc.size()) {}

  Content run() {
    classify_elements();
    Content best;
    bool first = true;
    for (const Pass& pass : k_passes) {
      Content out = attempt(pass);
      if (first) {
        best.page_chars = out.page_chars;
        best.page_link_chars = out.page_link_chars;
      }
      out.page_chars = best.page_chars;
      out.page_link_chars = best.page_link_chars;
      if (out.body_chars >= k_enough_chars) return out;
      if (first || out.body_chars > best.body_chars) best = std::move(out);
      first = false;
    }
    return best;
  }

 private:
  std::string class_and_id(NodeId id) const {
    std::string s(m_doc.attr(id, "class"));
    s.push_back(' ');
    // An id of five or more words is a heading's anchor ("sharing-with-a-single-developer"),
    // which names the section's topic, not its role.
    const string_view anchor = m_doc.attr(id, "id");
    if (std::count(anchor.begin(), anchor.end(), '-') < 4) s.append(anchor);
    return s;
  }

  Content attempt(const Pass& pass) {
    m_pass = pass;
    m_heading.clear();
    m_emitted_chars = 0;
    m_lead_chars = 0;
    mark_removed();
    compute_stats();
    score_paragraphs();
    Content out;
    out.page_chars = m_stats[m_doc.body()].chars;
    out.page_link_chars = m_stats[m_doc.body()].link_chars;
    const NodeId top = pick_top();
    out.root = top;
    if (top == k_no_node) return out;
    collect_blocks(top, out);
    prune_tail(out.blocks);
    for (const TextBlock& b : out.blocks) {
      out.body_chars += b.text.size();
      if (b.kind == BlockKind::paragraph && b.text.size() >= 150) ++out.long_paragraphs;
    }
    out.heading = m_heading;
    out.lead_chars = m_lead_chars;
    return out;
  }

  // Per element, once: protection (elements that hold the article survive even when their
  // names look like boilerplate, e.g. a body with class "has-sidebar"), hard drops (tags,
  // roles, hidden) and name-based drops.
  void classify_elements() {
    m_protected.assign(m_n, false);
    for (NodeId k = static_cast<NodeId>(m_n); k-- > 0;) {
      const Tag t = m_doc.tag(k);
      const bool p = m_protected[k] || t == Tag::h1 || t == Tag::main || t == Tag::body ||
                     t == Tag::html || m_doc.attr(k, "itemprop") == "articleBody" ||
                     iequals(role_of(m_doc, k), "main");
      m_protected[k] = p;
      const NodeId parent = m_doc.node(k).parent;
      if (p && parent != k_no_node) m_protected[parent] = true;
    }
    m_hard_drop.assign(m_n, false);
    m_name_drop.assign(m_n, false);
    m_class_weight.assign(m_n, 0);
    std::vector<bool> in_article(m_n, false);
    for (NodeId k = 0; k < m_n; ++k) {
      const DomNode& n = m_doc.node(k);
      if (n.parent != k_no_node) {
        in_article[k] = in_article[n.parent] || m_doc.tag(n.parent) == Tag::article;
      }
      if (n.tag == Tag::text) continue;
      const std::string names = class_and_id(k);
      m_class_weight[k] = names.size() > 1 ? class_weight(names) : 0;
      if (m_protected[k]) continue;
      // A page's <header> is chrome; an <article>'s holds its headline and standfirst.
      bool drop = always_dropped(n.tag) || is_hidden(m_doc, k) ||
                  is_boilerplate_role(role_of(m_doc, k)) ||
                  (n.tag == Tag::header && !in_article[k]) || n.tag == Tag::form;
      m_hard_drop[k] = drop;
      if (!drop && names.size() > 1) m_name_drop[k] = is_boilerplate_name(names);
    }
  }

  void mark_removed() {
    m_removed.assign(m_n, false);
    m_weight.assign(m_n, 0);
    for (NodeId k = 0; k < m_n; ++k) {
      const DomNode& n = m_doc.node(k);
      if (n.parent != k_no_node && m_removed[n.parent]) {
        m_removed[k] = true;
        continue;
      }
      if (n.tag == Tag::text) continue;
      if (m_hard_drop[k] || (m_pass.strip_unlikely && m_name_drop[k])) {
        m_removed[k] = true;
        if (m_options.trace != nullptr && k + 1 < n.subtree_end && m_pass.strip_unlikely &&
            m_pass.weight_classes && m_pass.clean_conditionally) {
          *m_options.trace += "drop " + describe(k) + "\n";
        }
        continue;
      }
      m_weight[k] = m_pass.weight_classes ? m_class_weight[k] : 0;
    }
  }

  void compute_stats() {
    m_stats.assign(m_n, NodeStats{});
    for (NodeId k = static_cast<NodeId>(m_n); k-- > 0;) {
      if (m_removed[k]) continue;
      NodeStats& s = m_stats[k];
      const Tag t = m_doc.tag(k);
      switch (t) {
        case Tag::text: s.chars = count_chars(m_doc.text(k), s.commas); break;
        case Tag::a: s.link_chars = s.chars; break;
        case Tag::p: add_capped(s.p_count, 1); break;
        case Tag::img: add_capped(s.img_count, 1); break;
        case Tag::li:
          add_capped(s.li_count, 1);
          s.li_chars = s.chars;
          break;
        case Tag::input: add_capped(s.input_count, 1); break;
        case Tag::embed:
        case Tag::object:
        case Tag::iframe: add_capped(s.embed_count, 1); break;
        case Tag::h1:
        case Tag::h2:
        case Tag::h3:
        case Tag::h4:
        case Tag::h5:
        case Tag::h6: s.heading_chars = s.chars; break;
        default: break;
      }
      const NodeId parent = m_doc.node(k).parent;
      if (parent == k_no_node) continue;
      NodeStats& p = m_stats[parent];
      p.chars += s.chars;
      p.link_chars += s.link_chars;
      p.commas += s.commas;
      p.heading_chars += s.heading_chars;
      p.li_chars += s.li_chars;
      add_capped(p.p_count, s.p_count);
      add_capped(p.img_count, s.img_count);
      add_capped(p.li_count, s.li_count);
      add_capped(p.input_count, s.input_count);
      add_capped(p.embed_count, s.embed_count);
      const bool block = is_block_tag(t) || t == Tag::img;
      if (!block && !s.has_block) p.inline_chars += s.chars;
      p.has_block = p.has_block || s.has_block || block;
    }
  }

  bool is_paragraph_like(NodeId k) const {
    const Tag t = m_doc.tag(k);
    if (t == Tag::p || t == Tag::pre || t == Tag::td) return true;
    if (t == Tag::div || t == Tag::section || t == Tag::article || t == Tag::span ||
        t == Tag::font || t == Tag::center || t == Tag::dd || t == Tag::blockquote) {
      return !m_stats[k].has_block;
    }
    return false;
  }

  float initial_score(NodeId k) const {
    float s = 0;
    switch (m_doc.tag(k)) {
      case Tag::div: s = 5; break;
      case Tag::pre:
      case Tag::td:
      case Tag::blockquote: s = 3; break;
      case Tag::address:
      case Tag::ol:
      case Tag::ul:
      case Tag::dl:
      case Tag::dd:
      case Tag::dt:
      case Tag::li:
      case Tag::form: s = -3; break;
      case Tag::h1:
      case Tag::h2:
      case Tag::h3:
      case Tag::h4:
      case Tag::h5:
      case Tag::h6:
      case Tag::th: s = -5; break;
      default: break;
    }
    return s + static_cast<float>(m_weight[k]);
  }

  void add_score(NodeId from, float value, int first_level) {
    NodeId a = from;
    for (int level = first_level; level < 5 && a != k_no_node; ++level, a = m_doc.node(a).parent) {
      if (m_doc.tag(a) == Tag::html) break;
      if (!m_scored[a]) {
        m_scored[a] = true;
        m_score[a] = initial_score(a);
      }
      const float divider = level == 0 ? 1.0f : level == 1 ? 2.0f : 3.0f * level;
      m_score[a] += value / divider;
    }
  }

  static float paragraph_value(std::uint32_t chars, std::uint32_t commas) {
    return 1.0f + static_cast<float>(std::min<std::uint32_t>(commas, 40)) +
           std::min(static_cast<float>(chars) / 100.0f, 3.0f);
  }

  void score_paragraphs() {
    m_score.assign(m_n, 0.0f);
    m_scored.assign(m_n, false);
    for (NodeId k = 0; k < m_n; ++k) {
      if (m_removed[k] || m_doc.tag(k) == Tag::text) continue;
      const NodeStats& s = m_stats[k];
      if (is_paragraph_like(k)) {
        if (s.chars < 25) continue;
        add_score(m_doc.node(k).parent, paragraph_value(s.chars, s.commas), 0);
      } else if (s.has_block && s.inline_chars >= 25 && m_doc.tag(k) != Tag::body) {
        // Text directly inside a container (a div of text runs split by <br> and images)
        // counts as a paragraph of that container.
        const float share = static_cast<float>(s.inline_chars) / static_cast<float>(s.chars);
        add_score(k,
                  paragraph_value(s.inline_chars,
                                  static_cast<std::uint32_t>(static_cast<float>(s.commas) * share)),
                  0);
      }
    }
  }

  float link_density(NodeId k) const {
    const NodeStats& s = m_stats[k];
    return s.chars == 0 ? 0.0f : static_cast<float>(s.link_chars) / static_cast<float>(s.chars);
  }

  bool is_ancestor(NodeId a, NodeId k) const { return a <= k && k < m_doc.node(a).subtree_end; }

  NodeId pick_top() {
    std::vector<NodeId> top;  // best five, best first
    for (NodeId k = 0; k < m_n; ++k) {
      if (!m_scored[k] || m_removed[k]) continue;
      m_score[k] *= 1.0f - link_density(k);
      auto at =
          std::find_if(top.begin(), top.end(), [&](NodeId o) { return m_score[k] > m_score[o]; });
      if (at != top.end() || top.size() < 5) {
        top.insert(at, k);
        if (top.size() > 5) top.pop_back();
      }
    }
    const NodeId body = m_doc.body();
    if (top.empty() || m_doc.tag(top[0]) == Tag::body) {
      m_top_score = 0;
      return body;
    }
    NodeId best = top[0];
    // Several near-equal candidates under one ancestor: the article is split (a page
    // builder's text widgets, columns), take the ancestor. Readability asks for three at 75%;
    // three at 60% (the best and two more) keeps more multi-block pages whole.
    std::vector<NodeId> alternatives;
    for (std::size_t i = 1; i < top.size(); ++i) {
      // Ancestors and descendants of the best are the same part, not another one.
      if (m_score[top[i]] >= k_split_share * m_score[best] && !is_ancestor(top[i], best) &&
          !is_ancestor(best, top[i])) {
        alternatives.push_back(top[i]);
      }
    }
    if (alternatives.size() >= 2) {
      for (NodeId a = m_doc.node(best).parent; a != k_no_node && a != body;
           a = m_doc.node(a).parent) {
        int containing = 0;
        for (NodeId alt : alternatives) containing += is_ancestor(a, alt) ? 1 : 0;
        if (containing >= 2) {
          best = a;
          break;
        }
      }
    }
    if (!m_scored[best]) {
      m_scored[best] = true;
      m_score[best] = initial_score(best);
    }
    // A parent scoring higher than the candidate holds more of the article.
    {
      float last = m_score[best];
      const float threshold = last / 3.0f;
      for (NodeId a = m_doc.node(best).parent; a != k_no_node && a != body;
           a = m_doc.node(a).parent) {
        if (!m_scored[a]) continue;
        if (m_score[a] < threshold) break;
        if (m_score[a] > last) {
          best = a;
          break;
        }
        last = m_score[a];
      }
    }
    // A lone child carries its parent's content.
    while (best != body) {
      const NodeId parent = m_doc.node(best).parent;
      if (parent == k_no_node || parent == body || m_doc.tag(parent) == Tag::html) break;
      int elements = 0;
      for (NodeId c = m_doc.node(parent).first_child; c != k_no_node;
           c = m_doc.node(c).next_sibling) {
        if (!m_doc.is_text(c)) ++elements;
      }
      if (elements != 1) break;
      best = parent;
    }
    best = expand(best);
    m_top_score = m_scored[best] ? m_score[best] : 0;
    if (m_options.trace != nullptr) trace_candidates(best);
    return best;
  }

  // Climbs to ancestors whose extra content reads like more of the article (a standfirst or
  // a second body part in a sibling container) rather than links.
  NodeId expand(NodeId best) const {
    const NodeId body = m_doc.body();
    for (int level = 0; level < k_expand_levels; ++level) {
      const NodeId parent = m_doc.node(best).parent;
      if (parent == k_no_node || parent == body || m_doc.tag(parent) == Tag::html) break;
      const NodeStats& p = m_stats[parent];
      const NodeStats& c = m_stats[best];
      const std::uint32_t added = p.chars - c.chars;
      const std::uint32_t added_links = p.link_chars - c.link_chars;
      if (added > 0) {
        const float added_ld = static_cast<float>(added_links) / static_cast<float>(added);
        if (added_ld > k_expand_max_link_density) break;
        if (m_weight[parent] < 0) break;
      }
      best = parent;
    }
    return best;
  }

  std::string describe(NodeId k) const {
    std::string s = tag_name(m_doc.tag(k));
    s += "#" + std::to_string(k);
    const string_view cls = m_doc.attr(k, "class");
    const string_view id = m_doc.attr(k, "id");
    if (!id.empty()) s += " id=" + std::string(id.substr(0, 40));
    if (!cls.empty()) s += " class=" + std::string(cls.substr(0, 60));
    return s;
  }

  void trace_candidates(NodeId top) const {
    std::vector<NodeId> all;
    for (NodeId k = 0; k < m_n; ++k) {
      if (m_scored[k] && !m_removed[k]) all.push_back(k);
    }
    std::sort(all.begin(), all.end(), [&](NodeId a, NodeId b) { return m_score[a] > m_score[b]; });
    std::string& t = *m_options.trace;
    t += "pass " + std::to_string(m_pass.strip_unlikely) + std::to_string(m_pass.weight_classes) +
         std::to_string(m_pass.clean_conditionally) + "\n";
    for (std::size_t i = 0; i < all.size() && i < 8; ++i) {
      const NodeId k = all[i];
      t += "cand " + std::to_string(m_score[k]) + " chars=" + std::to_string(m_stats[k].chars) +
           " ld=" + std::to_string(link_density(k)) + " " + describe(k) + "\n";
    }
    t += "top " + describe(top) + "\n";
    for (NodeId a = top; a != k_no_node; a = m_doc.node(a).parent)
      t += "  in " + describe(a) + "\n";
  }

  // Siblings of the top candidate that continue the article (a body split by an ad slot).
  bool sibling_belongs(NodeId sibling, NodeId top) const {
    if (m_removed[sibling] || m_doc.tag(sibling) == Tag::text) return false;
    const float threshold = std::max(10.0f, m_top_score * 0.2f);
    float bonus = 0;
    const string_view cls = m_doc.attr(top, "class");
    if (!cls.empty() && m_doc.attr(sibling, "class") == cls) bonus = m_top_score * 0.2f;
    if (m_scored[sibling] && m_score[sibling] + bonus >= threshold) return true;
    if (m_doc.tag(sibling) == Tag::p) {
      const NodeStats& s = m_stats[sibling];
      const float ld = link_density(sibling);
      if (s.chars > 80 && ld < 0.25f) return true;
      if (s.chars > 0 && s.chars <= 80 && s.link_chars == 0) {
        const std::string text = m_doc.text_content(sibling);
        if (!text.empty() && (text.back() == '.' || text.find(". ") != std::string::npos)) {
          return true;
        }
      }
    }
    return false;
  }

  void collect_blocks(NodeId top, Content& out) {
    const NodeId parent = m_doc.node(top).parent;
    std::vector<NodeId> roots;
    if (parent != k_no_node && top != m_doc.body()) {
      for (NodeId c = m_doc.node(parent).first_child; c != k_no_node;
           c = m_doc.node(c).next_sibling) {
        if (c == top || sibling_belongs(c, top)) roots.push_back(c);
      }
    } else {
      roots.push_back(top);
    }
    if (top != m_doc.body()) {
      for (NodeId lead : find_leads(roots.front())) {
        std::string cur;
        bool space = true;
        append_folded(m_doc.text_content(lead), cur, space);
        const std::size_t before = m_emitted_chars;
        flush(cur, BlockKind::paragraph, 0, out);
        m_lead_chars += m_emitted_chars - before;
      }
    }
    for (NodeId r : roots) emit(r, out);
  }

  // True when `k` or an ancestor is dropped for a reason other than being a <header>: an
  // article's header holds its standfirst.
  bool dropped_beyond_header(NodeId k) const {
    for (NodeId a = k; a != k_no_node; a = m_doc.node(a).parent) {
      if (m_hard_drop[a] && m_doc.tag(a) != Tag::header) return true;
      if (m_pass.strip_unlikely && m_name_drop[a]) return true;
    }
    return false;
  }

  bool has_block_below(NodeId k) const {
    for (NodeId d = k + 1; d < m_doc.node(k).subtree_end; ++d) {
      if (is_block_tag(m_doc.tag(d))) return true;
    }
    return false;
  }

  // The standfirst: prose between the headline and the body's first container that sits
  // outside that container (in the article's <header>, an intro box, an <h2> subheadline).
  std::vector<NodeId> find_leads(NodeId first) const {
    std::vector<NodeId> leads;
    const NodeId floor = first > k_lead_max_distance ? first - k_lead_max_distance : 0;
    NodeId h1 = k_no_node;
    for (NodeId k = first; k-- > floor;) {
      if (m_doc.tag(k) == Tag::h1) {
        h1 = k;
        break;
      }
    }
    if (h1 == k_no_node || is_ancestor(h1, first) || dropped_beyond_header(h1)) return leads;
    // The <h1> must be the article's headline, not a logo.
    if (!m_options.title.empty()) {
      const std::string headline = m_doc.text_content(h1);
      if (headline.size() < 10 || (m_options.title.find(headline) == std::string::npos &&
                                   headline.find(m_options.title) == std::string::npos)) {
        return leads;
      }
    }
    for (NodeId k = m_doc.node(h1).subtree_end; k < first && leads.size() < k_lead_max_blocks;) {
      const Tag t = m_doc.tag(k);
      const bool candidate = t == Tag::p || t == Tag::div || t == Tag::h2 || t == Tag::h3 ||
                             t == Tag::section || t == Tag::span;
      if (!candidate || has_block_below(k)) {
        ++k;
        continue;
      }
      const NodeId end = m_doc.node(k).subtree_end;
      if (is_ancestor(k, first) || dropped_beyond_header(k)) {
        k = is_ancestor(k, first) ? k + 1 : end;
        continue;
      }
      std::uint32_t chars = 0;
      std::uint32_t links = 0;
      std::uint32_t words = 0;
      for (NodeId d = k; d < end; ++d) {
        if (!m_doc.is_text(d)) continue;
        std::uint32_t commas = 0;
        const string_view text = m_doc.text(d);
        const std::uint32_t n = count_chars(text, commas);
        chars += n;
        bool in_link = false;
        for (NodeId a = m_doc.node(d).parent; a != k_no_node && a >= k; a = m_doc.node(a).parent) {
          if (m_doc.tag(a) == Tag::a) in_link = true;
        }
        if (in_link) links += n;
        bool space = true;
        for (char c : text) {
          if (is_space(c)) {
            space = true;
          } else if (space) {
            ++words;
            space = false;
          }
        }
      }
      // A standfirst is prose: a sentence, or a subheadline.
      if (chars >= k_lead_min_chars && words >= k_lead_min_words && links * 5 < chars &&
          (is_heading(t) || chars >= k_lead_prose_chars || ends_sentence(m_doc.text_content(k)))) {
        leads.push_back(k);
      }
      k = end;
    }
    return leads;
  }

  // What closes the body but is not the article: a heading with nothing after it, a short
  // label ("Autoren:", "Mehr Interessantes"), a call to follow, subscribe or donate.
  // At most a quarter of the text goes, so that a page made of such blocks stays whole.
  void prune_tail(std::vector<TextBlock>& blocks) const {
    std::size_t total = 0;
    for (const TextBlock& b : blocks) total += b.text.size();
    std::size_t cut = 0;
    while (blocks.size() > 1) {
      const TextBlock& b = blocks.back();
      cut += b.text.size();
      if (cut * 4 > total) break;
      const std::size_t n = code_point_count(b.text);
      const bool label = n < k_tail_label_max_chars && !ends_sentence(b.text) &&
                         b.text.find(',') == std::string::npos;
      const bool call = n < k_tail_call_max_chars && is_call_to_action(b.text);
      if (!(b.kind == BlockKind::heading || label || call)) break;
      if (m_options.trace != nullptr)
        *m_options.trace += "tail cut: " + b.text.substr(0, 80) + "\n";
      blocks.pop_back();
    }
  }

  // Readability's conditional cleaning: a container inside the article that is really a link
  // list, a teaser box, an image gallery or a form.
  bool skip_container(NodeId k) const { return skip_reason(k) != nullptr; }

  // Why skip_container drops `k`, or nullptr.
  const char* skip_reason(NodeId k) const {
    if (!m_pass.clean_conditionally) return nullptr;
    const Tag t = m_doc.tag(k);
    if (!(t == Tag::div || t == Tag::section || t == Tag::ul || t == Tag::ol || t == Tag::table ||
          t == Tag::dl || t == Tag::article || t == Tag::aside || t == Tag::fieldset ||
          t == Tag::td || t == Tag::th)) {
      return nullptr;
    }
    const NodeStats& s = m_stats[k];
    const int weight = m_weight[k];
    // A box whose name leans to boilerplate ("teaser", "box") but that holds prose stays.
    if (weight < 0) {
      return s.chars >= 250 && s.commas >= 3 && link_density(k) < 0.1f ? nullptr : "name";
    }
    if (s.commas >= 10) return nullptr;
    // A layout table's column of links; other cells hold content.
    if (t == Tag::td || t == Tag::th) {
      return s.commas < 3 && link_density(k) > 0.5f ? "link column" : nullptr;
    }
    const bool is_list =
        t == Tag::ul || t == Tag::ol ||
        (s.chars > 0 && static_cast<float>(s.li_chars) / static_cast<float>(s.chars) > 0.9f);
    const float ld = link_density(k);
    const int p = s.p_count;
    const int img = s.img_count;
    const int li = static_cast<int>(s.li_count) - 100;
    const float heading_density =
        s.chars == 0 ? 0.0f : static_cast<float>(s.heading_chars) / static_cast<float>(s.chars);
    const char* why = nullptr;
    if (img > 1 && static_cast<float>(p) / static_cast<float>(img) < 0.5f && t != Tag::ul &&
        t != Tag::ol && s.chars < k_gallery_max_chars) {
      why = "gallery";
    } else if (!is_list && li > p) {
      why = "list items";
    } else if (s.input_count > p / 3) {
      why = "form";
    } else if (!is_list && heading_density < 0.9f && s.chars < 25 && (img == 0 || img > 2) &&
               ld > 0) {
      why = "short link";
    } else if (!is_list && weight < 25 && ld > 0.2f) {
      why = "links";
    } else if (weight >= 25 && ld > 0.5f) {
      why = "links (content name)";
    } else if ((s.embed_count == 1 && s.chars < 75) || s.embed_count > 1) {
      why = "embeds";
    }
    if (why != nullptr && is_list && img > 0 && img == static_cast<int>(s.li_count)) why = nullptr;
    return why;
  }

  void flush(std::string& cur, BlockKind kind, std::uint32_t link_chars, Content& out) {
    while (!cur.empty() && cur.back() == ' ') cur.pop_back();
    if (!cur.empty()) {
      std::uint32_t commas = 0;
      const std::uint32_t chars = count_chars(cur, commas);
      const bool linky = chars > 0 && link_chars * 10 > chars * 6;
      const bool boilerplate = !linky && is_boilerplate_block(cur);
      if (m_options.trace != nullptr && (linky || boilerplate)) {
        *m_options.trace += (linky ? "cut links: " : "cut label: ") + cur.substr(0, 80) + "\n";
      }
      if (!linky && !boilerplate) {
        // The headline is not body text, whether it is marked up as a heading or not.
        const bool headline =
            cur == m_options.title && (kind == BlockKind::heading || out.blocks.empty());
        if (!headline) {
          out.blocks.push_back({kind, cur});
          m_emitted_chars += cur.size();
        }
      }
    }
    cur.clear();
  }

  static BlockKind kind_of(Tag t) {
    if (is_heading(t)) return BlockKind::heading;
    if (t == Tag::li || t == Tag::dt || t == Tag::dd) return BlockKind::list_item;
    if (t == Tag::blockquote) return BlockKind::quote;
    if (t == Tag::pre) return BlockKind::preformatted;
    if (t == Tag::tr) return BlockKind::table_row;
    return BlockKind::paragraph;
  }

  // Appends `t` to `cur`, folding white space and dropping invisible format characters (soft
  // hyphens, zero-width spaces, byte order marks) that would split words for a matcher.
  static void append_folded(string_view t, std::string& cur, bool& space) {
    for (std::size_t i = 0; i < t.size(); ++i) {
      const auto c = static_cast<unsigned char>(t[i]);
      if (c == 0xC2 && i + 1 < t.size()) {
        const auto d = static_cast<unsigned char>(t[i + 1]);
        if (d == 0xA0) {  // no-break space
          ++i;
          if (!space) cur.push_back(' ');
          space = true;
          continue;
        }
        if (d == 0xAD) {  // soft hyphen
          ++i;
          continue;
        }
      } else if (c == 0xE2 && i + 2 < t.size() && static_cast<unsigned char>(t[i + 1]) == 0x80 &&
                 (static_cast<unsigned char>(t[i + 2]) == 0x8B ||
                  static_cast<unsigned char>(t[i + 2]) == 0x8C)) {  // zero-width (non-)joiner/space
        i += 2;
        continue;
      } else if (c == 0xEF && i + 2 < t.size() && static_cast<unsigned char>(t[i + 1]) == 0xBB &&
                 static_cast<unsigned char>(t[i + 2]) == 0xBF) {
        i += 2;
        continue;
      }
      if (is_space(static_cast<char>(c))) {
        if (!space) cur.push_back(' ');
        space = true;
      } else {
        cur.push_back(static_cast<char>(c));
        space = false;
      }
    }
  }

  void emit(NodeId root, Content& out) {
    std::string cur;
    BlockKind kind = BlockKind::paragraph;
    std::uint32_t link_chars = 0;
    std::vector<NodeId> block_ends;
    NodeId link_end = 0;
    bool space = true;
    bool after_br = false;  // a <br> and nothing visible since
    const NodeId end = m_doc.node(root).subtree_end;
    for (NodeId k = root; k < end;) {
      while (!block_ends.empty() && k >= block_ends.back()) {
        block_ends.pop_back();
        flush(cur, kind, link_chars, out);
        link_chars = 0;
        kind = BlockKind::paragraph;
        space = true;
      }
      const DomNode& n = m_doc.node(k);
      if (m_removed[k] || (k != root && n.tag != Tag::text && skip_container(k))) {
        if (m_options.trace != nullptr && !m_removed[k]) {
          *m_options.trace += "skip " + describe(k) + " (" + skip_reason(k) + ")\n";
        }
        k = n.subtree_end;
        continue;
      }
      if (n.tag == Tag::text) {
        const std::size_t before = cur.size();
        append_folded(m_doc.text(k), cur, space);
        if (!space || cur.size() > before + 1) after_br = false;
        if (k < link_end) {
          std::uint32_t commas = 0;
          link_chars += count_chars(string_view(cur).substr(before), commas);
        }
        ++k;
        continue;
      }
      if (n.tag == Tag::h1 && m_heading.empty()) m_heading = m_doc.text_content(k);
      if (is_heading(n.tag) && k != root && m_emitted_chars + cur.size() >= k_tail_min_chars &&
          starts_tail_section(m_doc.text_content(k))) {
        // The rest of this heading's container is related links or comments.
        if (m_options.trace != nullptr) *m_options.trace += "tail " + describe(k) + "\n";
        k = m_doc.node(n.parent).subtree_end;
        continue;
      }
      if (n.tag == Tag::br) {
        if (after_br) {
          // Text split by blank lines (<br><br>) is paragraphs.
          flush(cur, kind, link_chars, out);
          link_chars = 0;
          after_br = false;
        } else {
          after_br = true;
        }
        if (!space) cur.push_back(' ');
        space = true;
      } else if (n.tag == Tag::a) {
        // A written-out address is a reference the text cites, not navigation.
        const NodeId first = n.first_child;
        const string_view shown =
            first != k_no_node && m_doc.is_text(first) ? m_doc.text(first) : string_view();
        const bool address = shown.substr(0, 4) == "http" || shown.substr(0, 4) == "www.";
        if (!address) link_end = std::max(link_end, n.subtree_end);
      } else if ((n.tag == Tag::td || n.tag == Tag::th) && kind == BlockKind::table_row &&
                 !m_stats[k].has_block && m_stats[k].chars <= k_table_cell_max_chars) {
        // A data row's cells make one line; a layout table's cells stay blocks.
        if (!space) cur.push_back(' ');
        space = true;
      } else if (is_block_tag(n.tag)) {
        after_br = false;
        // A short label run into the headline (a kicker such as "Verkehrswende") is not text.
        if (n.tag == Tag::h1 && cur.size() <= k_kicker_max_bytes) cur.clear();
        flush(cur, kind, link_chars, out);
        link_chars = 0;
        kind = kind_of(n.tag);
        space = true;
        block_ends.push_back(n.subtree_end);
      } else if (n.tag == Tag::img || n.tag == Tag::hr) {
        if (!space) cur.push_back(' ');
        space = true;
      }
      ++k;
    }
    flush(cur, kind, link_chars, out);
  }

  const HtmlDocument& m_doc;
  const ContentOptions& m_options;
  const std::size_t m_n;
  Pass m_pass{true, true, true};
  std::vector<bool> m_protected;
  std::vector<bool> m_hard_drop;
  std::vector<bool> m_name_drop;
  std::vector<int> m_class_weight;
  std::vector<bool> m_removed;
  std::vector<int> m_weight;
  std::vector<NodeStats> m_stats;
  std::vector<float> m_score;
  std::vector<bool> m_scored;
  float m_top_score = 0;
  std::string m_heading;
  std::size_t m_emitted_chars = 0;
  std::size_t m_lead_chars = 0;  // of which standfirst (find_leads)
};

}  // namespace

int class_weight(string_view class_and_id) {
  const NameClass c = classify_names(class_and_id);
  int weight = 0;
  if (c.drop || c.weak_neg) weight -= 25;
  if (c.strong_pos) {
    weight += 25;
  } else if (c.weak_pos) {
    weight += 10;
  }
  return weight;
}

bool is_boilerplate_name(string_view class_and_id) { return classify_names(class_and_id).drop; }

Content find_main_content(const HtmlDocument& doc, const ContentOptions& options) {
  return ContentFinder(doc, options).run();
}

}  // namespace newswatch::parsers
