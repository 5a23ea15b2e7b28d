#include "parsers/extract_content.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace newswatch::parsers {

namespace {

using std::string_view;

// Class/id vocabularies, matched per class name (and id) after lower-casing. `contains`
// words match anywhere in the name with separators removed ("article-comments" holds
// "comment", "mehr-zum-thema" holds "mehrzumthema"); `exact` words only as a whole token
// between separators ("ad" in "ad-slot", not in "head").
constexpr std::array<string_view, 52> k_drop_contains = {
    "comment",      "disqus",    "cookie",       "consent",        "gdpr",        "newsletter",
    "breadcrumb",   "sidebar",   "social",       "sharing",        "sharebar",    "shariff",
    "sharebutton",  "related",   "recommend",    "outbrain",       "taboola",     "plista",
    "advert",       "sponsor",   "footer",       "navbar",         "navigation",  "pagination",
    "popup",        "skiplink",  "skipto",       "toolbar",        "subscribe",   "abonnier",
    "anzeige",      "werbung",   "kommentar",    "empfehlung",     "weiterlesen", "mehrzumthema",
    "authorbox",    "authorbio", "aboutauthor",  "signup",         "followus",    "masthead",
    "relatedposts", "moreposts", "screenreader", "visuallyhidden", "sronly",      "readmore",
    "readalso",     "lesenauch", "postnav",      "cookiebanner"};
constexpr std::array<string_view, 33> k_drop_exact = {
    "ad",      "ads",       "adv",       "adslot",    "nav",    "menu",    "share",
    "shares",  "tags",      "tagcloud",  "keywords",  "rating", "modal",   "overlay",
    "teilen",  "login",     "signin",    "search",    "pager",  "bio",     "author",
    "byline",  "dateline",  "postmeta",  "entrymeta", "meta",   "infobox", "caption",
    "credits", "copyright", "offscreen", "promo",     "banner"};
constexpr std::array<string_view, 16> k_weak_negative = {
    "header", "teaser", "extra",  "aside", "date", "time",      "info",   "links",
    "box",    "tools",  "widget", "foot",  "rail", "secondary", "hidden", "print"};
// Strong content words: a class name made of these protects an element whose other class
// names look like boilerplate ("entry share").
constexpr std::array<string_view, 12> k_strong_positive = {
    "article", "content", "entry",   "post",   "story",  "body",
    "text",    "artikel", "beitrag", "inhalt", "hentry", "main"};
constexpr std::array<string_view, 7> k_weak_positive = {"blog",   "news",   "column", "page",
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
    if (std::find(k_drop_exact.begin(), k_drop_exact.end(), tok) != k_drop_exact.end()) {
      out.drop = true;
    }
    if (std::find(k_weak_negative.begin(), k_weak_negative.end(), tok) != k_weak_negative.end()) {
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
    if (c == ',' || c == '.' || c == ';') ++commas;
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
  static constexpr std::array<string_view, 10> roles = {
      "navigation", "banner", "contentinfo", "complementary", "menu",
      "menubar",    "search", "dialog",      "alertdialog",   "tablist"};
  for (string_view r : roles) {
    if (iequals(role, r)) return true;
  }
  return false;
}

struct NodeStats {
  std::uint32_t chars = 0;       // visible characters in the kept subtree
  std::uint32_t link_chars = 0;  // of which inside <a>
  std::uint32_t commas = 0;
  bool has_block = false;  // a block element below
};

class ContentFinder {
 public:
  ContentFinder(const HtmlDocument& doc, const ContentOptions& options)
      : m_doc(doc), m_options(options), m_n(doc.size()) {}

  Content run() {
    mark_protected();
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
    for (const TextBlock& b : out.blocks) {
      out.body_chars += b.text.size();
      if (b.kind == BlockKind::paragraph && b.text.size() >= 150) ++out.long_paragraphs;
    }
    out.heading = m_heading;
    return out;
  }

 private:
  std::string class_and_id(NodeId id) const {
    std::string s(m_doc.attr(id, "class"));
    s.push_back(' ');
    s.append(m_doc.attr(id, "id"));
    return s;
  }

  // Elements that hold the article must survive even when their names look like boilerplate
  // (a WordPress body with class "has-sidebar", a wrapper "content-sidebar-wrap").
  void mark_protected() {
    m_protected.assign(m_n, false);
    for (NodeId k = static_cast<NodeId>(m_n); k-- > 0;) {
      const Tag t = m_doc.tag(k);
      bool p = m_protected[k] || t == Tag::h1 || t == Tag::main || t == Tag::body ||
               t == Tag::html || m_doc.attr(k, "itemprop") == "articleBody" ||
               iequals(role_of(m_doc, k), "main");
      m_protected[k] = p;
      const NodeId parent = m_doc.node(k).parent;
      if (p && parent != k_no_node) m_protected[parent] = true;
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
      if (m_protected[k]) {
        m_weight[k] = class_weight(class_and_id(k));
        continue;
      }
      bool drop =
          always_dropped(n.tag) || is_hidden(m_doc, k) || is_boilerplate_role(role_of(m_doc, k));
      if (!drop && n.tag == Tag::header) drop = true;  // headers without the h1 are site chrome
      if (!drop && n.tag == Tag::form) drop = true;
      const std::string names = class_and_id(k);
      if (!drop && names.size() > 1) drop = is_boilerplate_name(names);
      if (drop) {
        m_removed[k] = true;
        if (m_options.trace != nullptr && k + 1 < n.subtree_end) {
          *m_options.trace += "drop " + describe(k) + "\n";
        }
        continue;
      }
      m_weight[k] = class_weight(names);
    }
  }

  void compute_stats() {
    m_stats.assign(m_n, NodeStats{});
    for (NodeId k = static_cast<NodeId>(m_n); k-- > 0;) {
      if (m_removed[k]) continue;
      NodeStats& s = m_stats[k];
      const Tag t = m_doc.tag(k);
      if (t == Tag::text) {
        s.chars = count_chars(m_doc.text(k), s.commas);
      } else if (t == Tag::a) {
        s.link_chars = s.chars;
      }
      const NodeId parent = m_doc.node(k).parent;
      if (parent == k_no_node) continue;
      NodeStats& p = m_stats[parent];
      p.chars += s.chars;
      p.link_chars += s.link_chars;
      p.commas += s.commas;
      p.has_block = p.has_block || s.has_block || is_block_tag(t);
    }
  }

  bool is_paragraph_like(NodeId k) const {
    const Tag t = m_doc.tag(k);
    if (t == Tag::p || t == Tag::pre || t == Tag::td || t == Tag::blockquote) return true;
    if (t == Tag::div || t == Tag::section || t == Tag::article || t == Tag::span ||
        t == Tag::font || t == Tag::center || t == Tag::dd || t == Tag::li) {
      return !m_stats[k].has_block;
    }
    return false;
  }

  float initial_score(NodeId k) const {
    float s = 0;
    switch (m_doc.tag(k)) {
      case Tag::div:
      case Tag::article:
      case Tag::main:
      case Tag::section: s = 5; break;
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
    if (m_doc.tag(k) == Tag::article || m_doc.attr(k, "itemprop") == "articleBody") s += 10;
    return s + static_cast<float>(m_weight[k]);
  }

  void score_paragraphs() {
    m_score.assign(m_n, 0.0f);
    m_scored.assign(m_n, false);
    for (NodeId k = 0; k < m_n; ++k) {
      if (m_removed[k] || m_doc.tag(k) == Tag::text || !is_paragraph_like(k)) continue;
      const NodeStats& s = m_stats[k];
      if (s.chars < 25) continue;
      if (s.link_chars * 2 > s.chars) continue;
      const float value = 1.0f + static_cast<float>(std::min<std::uint32_t>(s.commas, 30)) +
                          std::min(static_cast<float>(s.chars) / 100.0f, 3.0f);
      NodeId a = m_doc.node(k).parent;
      for (int level = 0; level < 5 && a != k_no_node; ++level, a = m_doc.node(a).parent) {
        if (m_doc.tag(a) == Tag::html) break;
        if (!m_scored[a]) {
          m_scored[a] = true;
          m_score[a] = initial_score(a);
        }
        const float divider = level == 0 ? 1.0f : level == 1 ? 2.0f : 3.0f * level;
        m_score[a] += value / divider;
      }
    }
  }

  float link_density(NodeId k) const {
    const NodeStats& s = m_stats[k];
    return s.chars == 0 ? 0.0f : static_cast<float>(s.link_chars) / static_cast<float>(s.chars);
  }

  NodeId pick_top() {
    NodeId top = k_no_node;
    float best = 0;
    for (NodeId k = 0; k < m_n; ++k) {
      if (!m_scored[k] || m_removed[k]) continue;
      m_score[k] *= 1.0f - link_density(k);
      if (top == k_no_node || m_score[k] > best) {
        best = m_score[k];
        top = k;
      }
    }
    if (top == k_no_node) return m_doc.body();
    // A lone child carries its parent's content: climb while the parent adds nothing.
    while (m_doc.node(top).parent != k_no_node && m_doc.tag(top) != Tag::body) {
      const NodeId parent = m_doc.node(top).parent;
      if (m_doc.tag(parent) == Tag::html) break;
      if (m_stats[parent].chars > m_stats[top].chars + 40) break;
      top = parent;
    }
    m_top_score = best;
    if (m_options.trace != nullptr) trace_candidates(top);
    return top;
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
    if (m_scored[sibling] && m_score[sibling] >= threshold) return true;
    (void)top;
    const NodeStats& s = m_stats[sibling];
    if (m_doc.tag(sibling) == Tag::p || (is_paragraph_like(sibling) && s.chars > 0)) {
      const float ld = link_density(sibling);
      if (s.chars > 80 && ld < 0.25f) return true;
      if (s.chars > 0 && s.chars <= 80 && s.link_chars == 0 && s.commas > 0) return true;
    }
    return false;
  }

  void collect_blocks(NodeId top, Content& out) {
    const NodeId parent = m_doc.node(top).parent;
    std::vector<NodeId> roots;
    if (parent != k_no_node && m_doc.tag(top) != Tag::body) {
      for (NodeId c = m_doc.node(parent).first_child; c != k_no_node;
           c = m_doc.node(c).next_sibling) {
        if (c == top || sibling_belongs(c, top)) roots.push_back(c);
      }
    } else {
      roots.push_back(top);
    }
    for (NodeId r : roots) emit(r, out);
  }

  // A container inside the article that is really a link list or a teaser box.
  bool skip_container(NodeId k) const {
    const Tag t = m_doc.tag(k);
    if (!(t == Tag::div || t == Tag::section || t == Tag::ul || t == Tag::ol || t == Tag::table ||
          t == Tag::dl || t == Tag::article)) {
      return false;
    }
    const NodeStats& s = m_stats[k];
    if (s.chars == 0) return false;
    const float ld = link_density(k);
    if (m_weight[k] < 0 && ld > 0.2f) return true;
    if (ld > 0.5f && s.chars < 1000) return true;
    return false;
  }

  struct Open {
    NodeId end;
    bool block;
  };

  void flush(std::string& cur, BlockKind kind, std::uint32_t link_chars, Content& out) {
    while (!cur.empty() && cur.back() == ' ') cur.pop_back();
    if (!cur.empty()) {
      std::uint32_t commas = 0;
      const std::uint32_t chars = count_chars(cur, commas);
      const bool linky = chars > 0 && link_chars * 10 > chars * 6;
      if (!linky) {
        if (!(kind == BlockKind::heading && cur == m_options.title)) {
          out.blocks.push_back({kind, cur});
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

  void emit(NodeId root, Content& out) {
    std::string cur;
    BlockKind kind = BlockKind::paragraph;
    std::uint32_t link_chars = 0;
    std::vector<NodeId> block_ends;
    NodeId link_end = 0;
    bool space = true;
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
        k = n.subtree_end;
        continue;
      }
      if (n.tag == Tag::text) {
        const string_view t = m_doc.text(k);
        const std::size_t before = cur.size();
        for (std::size_t i = 0; i < t.size(); ++i) {
          const char c = t[i];
          const bool nbsp = static_cast<unsigned char>(c) == 0xC2 && i + 1 < t.size() &&
                            static_cast<unsigned char>(t[i + 1]) == 0xA0;
          if (is_space(c) || nbsp) {
            if (nbsp) ++i;
            if (!space) cur.push_back(' ');
            space = true;
          } else {
            cur.push_back(c);
            space = false;
          }
        }
        if (k < link_end) {
          std::uint32_t commas = 0;
          link_chars += count_chars(string_view(cur).substr(before), commas);
        }
        ++k;
        continue;
      }
      if (n.tag == Tag::h1 && m_heading.empty()) m_heading = m_doc.text_content(k);
      if (n.tag == Tag::br) {
        if (!space) cur.push_back(' ');
        space = true;
      } else if (n.tag == Tag::a) {
        link_end = std::max(link_end, n.subtree_end);
      } else if (is_block_tag(n.tag) || n.tag == Tag::li) {
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
  std::vector<bool> m_protected;
  std::vector<bool> m_removed;
  std::vector<int> m_weight;
  std::vector<NodeStats> m_stats;
  std::vector<float> m_score;
  std::vector<bool> m_scored;
  float m_top_score = 0;
  std::string m_heading;
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
