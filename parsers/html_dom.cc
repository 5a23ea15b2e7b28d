#include "parsers/html_dom.h"

#include <gumbo.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

namespace newswatch::parsers {

namespace {

constexpr std::array<const char*, static_cast<std::size_t>(Tag::count_)> k_tag_names = {
    "#text",   "?",       "html",    "head",     "title",      "base",     "link",    "meta",
    "body",    "article", "section", "nav",      "aside",      "header",   "footer",  "main",
    "address", "h1",      "h2",      "h3",       "h4",         "h5",       "h6",      "hgroup",
    "p",       "div",     "span",    "pre",      "blockquote", "ol",       "ul",      "li",
    "dl",      "dt",      "dd",      "figure",   "figcaption", "hr",       "br",      "a",
    "em",      "strong",  "b",       "i",        "u",          "s",        "small",   "sub",
    "sup",     "mark",    "cite",    "q",        "code",       "abbr",     "time",    "font",
    "center",  "img",     "picture", "source",   "video",      "audio",    "iframe",  "embed",
    "object",  "canvas",  "svg",     "math",     "table",      "caption",  "thead",   "tbody",
    "tfoot",   "tr",      "td",      "th",       "form",       "fieldset", "legend",  "label",
    "input",   "button",  "select",  "option",   "textarea",   "details",  "summary", "menu",
    "dialog",  "script",  "style",   "noscript", "template",   "wbr",      "ins",     "del"};

// gumbo's tag enum to ours, by name, built once.
const std::array<Tag, GUMBO_TAG_LAST + 1>& gumbo_tag_table() {
  static const std::array<Tag, GUMBO_TAG_LAST + 1> table = [] {
    std::array<Tag, GUMBO_TAG_LAST + 1> t{};
    t.fill(Tag::other);
    for (int g = 0; g < GUMBO_TAG_UNKNOWN; ++g) {
      const char* name = gumbo_normalized_tagname(static_cast<GumboTag>(g));
      for (std::size_t k = 2; k < k_tag_names.size(); ++k) {
        if (std::strcmp(name, k_tag_names[k]) == 0) {
          t[g] = static_cast<Tag>(k);
          break;
        }
      }
    }
    return t;
  }();
  return table;
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// Position of `needle` (lower-case ASCII) in `s` at or after `from`, ignoring ASCII case;
// npos when absent. Needles here start with '<', so memchr does most of the work.
std::size_t ifind(std::string_view s, std::size_t from, std::string_view needle) {
  const std::size_t n = s.size();
  while (from < n) {
    const void* hit = std::memchr(s.data() + from, needle[0], n - from);
    if (hit == nullptr) return std::string_view::npos;
    const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(hit) - s.data());
    if (at + needle.size() > n) return std::string_view::npos;
    bool same = true;
    for (std::size_t k = 1; k < needle.size(); ++k) {
      if (ascii_lower(s[at + k]) != needle[k]) {
        same = false;
        break;
      }
    }
    if (same) return at;
    from = at + 1;
  }
  return std::string_view::npos;
}

bool is_name_end(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '/' || c == '>';
}

// End of the start tag that begins at `lt` (one past its '>'), skipping quoted attribute
// values; html.size() when the tag never closes.
std::size_t tag_end(std::string_view html, std::size_t lt) {
  char quote = 0;
  for (std::size_t k = lt + 1; k < html.size(); ++k) {
    const char c = html[k];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      // Quotes only open a value right after '='; a stray quote elsewhere is ordinary text.
      std::size_t b = k;
      while (b > lt && (html[b - 1] == ' ' || html[b - 1] == '\t' || html[b - 1] == '\n')) --b;
      if (b > lt && html[b - 1] == '=') quote = c;
    } else if (c == '>') {
      return k + 1;
    }
  }
  return html.size();
}

// One past the '>' of the close tag `close` ("</script") at or after `from`; html.size() when
// missing (an unclosed raw-text element runs to the end, as in a browser).
std::size_t after_close_tag(std::string_view html, std::size_t from, std::string_view close) {
  std::size_t at = from;
  while (true) {
    at = ifind(html, at, close);
    if (at == std::string_view::npos) return html.size();
    const std::size_t k = at + close.size();
    if (k >= html.size() || is_name_end(html[k])) {
      const void* gt = std::memchr(html.data() + k, '>', html.size() - k);
      return gt == nullptr
                 ? html.size()
                 : static_cast<std::size_t>(static_cast<const char*>(gt) - html.data()) + 1;
    }
    at = k;
  }
}

// Like after_close_tag, for elements that may nest (<svg> in <svg>, <template> in <template>).
std::size_t after_nested_close(std::string_view html, std::size_t from, std::string_view open,
                               std::string_view close) {
  int depth = 1;
  std::size_t at = from;
  while (at < html.size()) {
    const std::size_t c = ifind(html, at, close);
    if (c == std::string_view::npos) return html.size();
    std::size_t o = ifind(html, at, open);
    while (o != std::string_view::npos && o < c && o + open.size() < html.size() &&
           !is_name_end(html[o + open.size()])) {
      o = ifind(html, o + 1, open);
    }
    if (o != std::string_view::npos && o < c) {
      const std::size_t end = tag_end(html, o);
      if (!(end >= 2 && html[end - 2] == '/')) ++depth;
      at = end;
      continue;
    }
    const std::size_t after = after_close_tag(html, c, close);
    if (--depth == 0) return after;
    at = after;
  }
  return html.size();
}

enum class Strip { none, script, style, noscript, svg, template_, raw_keep };

Strip classify(std::string_view name, std::string_view& close) {
  auto is = [&](std::string_view want) { return iequals(name, want); };
  switch (name.size()) {
    case 3:
      if (is("svg")) return close = "</svg", Strip::svg;
      if (is("xmp")) return close = "</xmp", Strip::raw_keep;
      break;
    case 5:
      if (is("style")) return close = "</style", Strip::style;
      if (is("title")) return close = "</title", Strip::raw_keep;
      break;
    case 6:
      if (is("script")) return close = "</script", Strip::script;
      break;
    case 8:
      if (is("noscript")) return close = "</noscript", Strip::noscript;
      if (is("template")) return close = "</template", Strip::template_;
      if (is("textarea")) return close = "</textarea", Strip::raw_keep;
      break;
    default: break;
  }
  return Strip::none;
}

// A bump allocator for gumbo: its many small allocations become pointer bumps and freeing the
// whole tree is dropping the chunks, so gumbo_destroy_output (recursive, and slow) never runs.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() {
    for (Chunk& c : m_chunks) std::free(c.data);
  }

  void* allocate(std::size_t n) {
    n = (n + 15) & ~std::size_t{15};
    if (n > m_left) grow(n);
    void* p = m_cur;
    m_cur += n;
    m_left -= n;
    return p;
  }

  // Forgets every allocation; keeps the first chunk for the next document.
  void reset() {
    for (std::size_t k = 1; k < m_chunks.size(); ++k) std::free(m_chunks[k].data);
    if (!m_chunks.empty()) {
      m_chunks.resize(1);
      m_cur = m_chunks[0].data;
      m_left = m_chunks[0].size;
    }
  }

 private:
  struct Chunk {
    char* data;
    std::size_t size;
  };

  void grow(std::size_t n) {
    std::size_t size = m_chunks.empty() ? k_first_chunk : m_chunks.back().size * 2;
    if (size > k_max_chunk) size = k_max_chunk;
    if (size < n) size = n;
    char* data = static_cast<char*>(std::malloc(size));
    if (data == nullptr) throw std::bad_alloc();
    m_chunks.push_back({data, size});
    m_cur = data;
    m_left = size;
  }

  static constexpr std::size_t k_first_chunk = 1 << 20;
  static constexpr std::size_t k_max_chunk = 16 << 20;
  std::vector<Chunk> m_chunks;
  char* m_cur = nullptr;
  std::size_t m_left = 0;
};

void* arena_allocate(void* userdata, std::size_t size) {
  return static_cast<Arena*>(userdata)->allocate(size);
}
void arena_free(void*, void*) {}

// Browsers stop nesting elements at some depth (Blink at 512); gumbo does not, and its tree
// builder walks the stack of open elements for scope checks on every tag, so a page of 50,000
// unclosed <div>s costs it quadratic time (25 s for 5 MB). A cheap scan finds the element names
// whose open tags ever outnumber their close tags by more than this; those tags are all
// removed before parsing: their text stays, the pathological structure goes.
constexpr int kMaxNesting = 512;

bool never_nests(GumboTag t) {
  switch (t) {
    // void elements, and those the parser closes implicitly (<p>, <li>, table cells, ...)
    case GUMBO_TAG_AREA:
    case GUMBO_TAG_BASE:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_COL:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_META:
    case GUMBO_TAG_PARAM:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_TRACK:
    case GUMBO_TAG_WBR:
    case GUMBO_TAG_P:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_OPTION:
    case GUMBO_TAG_OPTGROUP:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_COLGROUP:
    case GUMBO_TAG_HTML:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_BODY: return true;
    default: return false;
  }
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// Calls `on_tag(lt, end, tag, closing)` for every start and end tag in `html`, skipping
// comments and the contents of raw-text elements.
template <typename F>
void for_each_tag(std::string_view html, F&& on_tag) {
  std::size_t at = 0;
  while (at < html.size()) {
    const void* p = std::memchr(html.data() + at, '<', html.size() - at);
    if (p == nullptr) return;
    const std::size_t lt = static_cast<std::size_t>(static_cast<const char*>(p) - html.data());
    if (lt + 1 >= html.size()) return;
    if (html.compare(lt, 4, "<!--") == 0) {
      const std::size_t close = html.find("-->", lt + 4);
      at = close == std::string_view::npos ? html.size() : close + 3;
      continue;
    }
    const bool closing = html[lt + 1] == '/';
    std::size_t name = lt + 1 + (closing ? 1 : 0);
    std::size_t name_end = name;
    while (name_end < html.size() && is_name_char(html[name_end])) ++name_end;
    if (name_end == name) {
      at = lt + 1;
      continue;
    }
    const std::size_t end = tag_end(html, lt);
    const GumboTag tag =
        gumbo_tagn_enum(html.data() + name, static_cast<unsigned>(name_end - name));
    on_tag(lt, end, tag, closing);
    at = end;
    if (!closing) {
      if (tag == GUMBO_TAG_SCRIPT) at = after_close_tag(html, end, "</script");
      if (tag == GUMBO_TAG_STYLE) at = after_close_tag(html, end, "</style");
      if (tag == GUMBO_TAG_TEXTAREA) at = after_close_tag(html, end, "</textarea");
      if (tag == GUMBO_TAG_TITLE) at = after_close_tag(html, end, "</title");
    }
  }
}

// Writes `html` without the tags of over-deep elements to `out`; false (and `out` untouched)
// when nothing nests deeper than kMaxNesting.
bool flatten_deep_nesting(std::string_view html, std::string& out) {
  std::array<int, GUMBO_TAG_LAST + 1> depth{};
  std::array<bool, GUMBO_TAG_LAST + 1> deep{};
  bool any = false;
  for_each_tag(html, [&](std::size_t, std::size_t, GumboTag tag, bool closing) {
    if (never_nests(tag)) return;
    int& d = depth[tag];
    if (closing) {
      d = d > 0 ? d - 1 : 0;
    } else if (++d > kMaxNesting) {
      deep[tag] = true;
      any = true;
    }
  });
  if (!any) return false;
  out.reserve(html.size());
  std::size_t copied = 0;
  for_each_tag(html, [&](std::size_t lt, std::size_t end, GumboTag tag, bool) {
    if (!deep[tag]) return;
    out.append(html.substr(copied, lt - copied));
    out += ' ';  // the tag separated words
    copied = end;
  });
  out.append(html.substr(copied));
  return true;
}

}  // namespace

const char* tag_name(Tag tag) { return k_tag_names[static_cast<std::size_t>(tag)]; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (ascii_lower(a[k]) != ascii_lower(b[k])) return false;
  }
  return true;
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > haystack.size()) return false;
  const char first = ascii_lower(needle[0]);
  for (std::size_t k = 0; k + needle.size() <= haystack.size(); ++k) {
    if (ascii_lower(haystack[k]) != first) continue;
    std::size_t m = 1;
    while (m < needle.size() && ascii_lower(haystack[k + m]) == ascii_lower(needle[m])) ++m;
    if (m == needle.size()) return true;
  }
  return false;
}

void strip_invisible_html(std::string_view html, std::string& out, std::string& json_ld) {
  out.reserve(out.size() + html.size());
  std::size_t i = 0;
  std::size_t copy_from = 0;
  const std::size_t n = html.size();
  auto drop = [&](std::size_t from, std::size_t to) {
    out.append(html.data() + copy_from, from - copy_from);
    copy_from = to;
    i = to;
  };
  while (i < n) {
    const void* hit = std::memchr(html.data() + i, '<', n - i);
    if (hit == nullptr) break;
    const std::size_t lt = static_cast<std::size_t>(static_cast<const char*>(hit) - html.data());
    if (lt + 1 >= n) break;
    const char c1 = html[lt + 1];
    if (c1 == '!') {
      if (html.compare(lt, 4, "<!--") != 0) {
        i = lt + 2;
        continue;
      }
      std::size_t end;
      if (html.compare(lt + 4, 1, ">") == 0) {
        end = lt + 5;
      } else if (html.compare(lt + 4, 2, "->") == 0) {
        end = lt + 6;
      } else {
        const std::size_t close = html.find("-->", lt + 4);
        end = close == std::string_view::npos ? n : close + 3;
      }
      drop(lt, end);
      continue;
    }
    if (!((c1 >= 'a' && c1 <= 'z') || (c1 >= 'A' && c1 <= 'Z'))) {
      i = lt + 1;
      continue;
    }
    std::size_t k = lt + 1;
    while (k < n && !is_name_end(html[k])) ++k;
    std::string_view close;
    const Strip what = classify(html.substr(lt + 1, k - lt - 1), close);
    if (what == Strip::none) {
      i = k;
      continue;
    }
    const std::size_t open_end = tag_end(html, lt);
    if (what == Strip::raw_keep) {
      // Keep the element, but its contents are text: a "<script" in a <title> is not a tag.
      const std::size_t c = ifind(html, open_end, close);
      i = c == std::string_view::npos ? n : c + close.size();
      continue;
    }
    if (what == Strip::svg || what == Strip::template_) {
      const bool self_closing = what == Strip::svg && open_end >= 2 && html[open_end - 2] == '/';
      const std::string_view open = what == Strip::svg ? "<svg" : "<template";
      drop(lt, self_closing ? open_end : after_nested_close(html, open_end, open, close));
      continue;
    }
    const std::size_t close_at = ifind(html, open_end, close);
    const std::size_t end = after_close_tag(html, open_end, close);
    if (what == Strip::script && icontains(html.substr(lt, open_end - lt), "ld+json")) {
      const std::size_t body_end = close_at == std::string_view::npos ? n : close_at;
      if (body_end > open_end) {
        json_ld.append(html.data() + open_end, body_end - open_end);
        json_ld.push_back('\0');
      }
    }
    drop(lt, end);
  }
  out.append(html.data() + copy_from, n - copy_from);
}

class DomBuilder {
 public:
  DomBuilder(HtmlDocument& doc, std::uint32_t max_depth) : m_doc(doc), m_max_depth(max_depth) {}

  void build(const GumboNode* root, std::size_t input_size) {
    m_doc.m_nodes.reserve(input_size / 24 + 16);
    m_doc.m_pool.reserve(input_size / 2 + 64);
    const auto& table = gumbo_tag_table();
    struct Frame {
      const GumboNode* node;
      NodeId id;            // our node, or the ancestor that adopts a too-deep node's children
      unsigned next_child;  // next gumbo child to visit
      bool owns;            // whether `id` was created for `node`
    };
    std::vector<Frame> stack;
    stack.reserve(64);
    const NodeId html = add_element(root, table, k_no_node, 0);
    stack.push_back({root, html, 0, true});
    while (!stack.empty()) {
      Frame& f = stack.back();
      const GumboVector& children = f.node->v.element.children;
      if (f.next_child >= children.length) {
        if (f.owns) m_doc.m_nodes[f.id].subtree_end = static_cast<NodeId>(m_doc.m_nodes.size());
        stack.pop_back();
        continue;
      }
      const auto* child = static_cast<const GumboNode*>(children.data[f.next_child++]);
      const NodeId parent = f.id;
      const std::uint32_t depth = m_doc.m_nodes[parent].depth + 1;
      switch (child->type) {
        case GUMBO_NODE_ELEMENT:
        case GUMBO_NODE_TEMPLATE:
          if (depth > m_max_depth) {
            stack.push_back({child, parent, 0, false});
          } else {
            const NodeId id = add_element(child, table, parent, depth);
            stack.push_back({child, id, 0, true});
          }
          break;
        case GUMBO_NODE_TEXT:
        case GUMBO_NODE_CDATA:
        case GUMBO_NODE_WHITESPACE: add_text(child->v.text.text, parent, depth); break;
        default: break;
      }
    }
    finish();
  }

 private:
  NodeId add_node(Tag tag, NodeId parent, std::uint32_t depth) {
    const auto id = static_cast<NodeId>(m_doc.m_nodes.size());
    DomNode n;
    n.tag = tag;
    n.parent = parent;
    n.depth = depth;
    n.subtree_end = id + 1;
    m_doc.m_nodes.push_back(n);
    m_last_child.push_back(k_no_node);
    if (parent != k_no_node) {
      if (m_last_child[parent] == k_no_node) {
        m_doc.m_nodes[parent].first_child = id;
      } else {
        m_doc.m_nodes[m_last_child[parent]].next_sibling = id;
      }
      m_last_child[parent] = id;
    }
    return id;
  }

  NodeId add_element(const GumboNode* g, const std::array<Tag, GUMBO_TAG_LAST + 1>& table,
                     NodeId parent, std::uint32_t depth) {
    const GumboElement& e = g->v.element;
    Tag tag = e.tag <= GUMBO_TAG_LAST ? table[e.tag] : Tag::other;
    if (e.tag_namespace != GUMBO_NAMESPACE_HTML && tag != Tag::svg && tag != Tag::math) {
      tag = Tag::other;
    }
    const NodeId id = add_node(tag, parent, depth);
    DomNode& n = m_doc.m_nodes[id];
    n.begin = static_cast<std::uint32_t>(m_spans.size());
    n.size = e.attributes.length;
    for (unsigned k = 0; k < e.attributes.length; ++k) {
      const auto* a = static_cast<const GumboAttribute*>(e.attributes.data[k]);
      const Span name = intern(a->name);
      const Span value = intern(a->value);
      m_spans.push_back({name, value});
    }
    if (tag == Tag::head && m_doc.m_head == 0) m_doc.m_head = id;
    if (tag == Tag::body && m_doc.m_body == 0) m_doc.m_body = id;
    return id;
  }

  void add_text(const char* text, NodeId parent, std::uint32_t depth) {
    // Adjacent text (split by a dropped comment or a flattened element) becomes one node.
    const NodeId last = m_last_child[parent];
    const std::size_t len = std::strlen(text);
    if (last != k_no_node && m_doc.m_nodes[last].tag == Tag::text &&
        last + 1 == m_doc.m_nodes.size()) {
      m_doc.m_pool.append(text, len);
      m_doc.m_nodes[last].size += static_cast<std::uint32_t>(len);
      return;
    }
    const NodeId id = add_node(Tag::text, parent, depth);
    DomNode& n = m_doc.m_nodes[id];
    n.begin = static_cast<std::uint32_t>(m_doc.m_pool.size());
    n.size = static_cast<std::uint32_t>(len);
    m_doc.m_pool.append(text, len);
  }

  struct Span {
    std::uint32_t begin;
    std::uint32_t size;
  };

  Span intern(const char* s) {
    const std::size_t len = std::strlen(s);
    const Span span{static_cast<std::uint32_t>(m_doc.m_pool.size()),
                    static_cast<std::uint32_t>(len)};
    m_doc.m_pool.append(s, len);
    return span;
  }

  // The pool has stopped growing: turn offsets into views.
  void finish() {
    const std::string& pool = m_doc.m_pool;
    m_doc.m_attrs.reserve(m_spans.size());
    for (const auto& [name, value] : m_spans) {
      m_doc.m_attrs.push_back({std::string_view(pool).substr(name.begin, name.size),
                               std::string_view(pool).substr(value.begin, value.size)});
    }
  }

  HtmlDocument& m_doc;
  std::uint32_t m_max_depth;
  std::vector<NodeId> m_last_child;
  std::vector<std::pair<Span, Span>> m_spans;
};

HtmlDocument HtmlDocument::parse(std::string_view html, const HtmlParseOptions& options) {
  HtmlDocument doc;
  std::string stripped;
  std::string_view input = html;
  if (options.strip_invisible) {
    std::string scripts;
    strip_invisible_html(html, stripped, scripts);
    input = stripped;
    std::size_t start = 0;
    for (std::size_t k = 0; k < scripts.size(); ++k) {
      if (scripts[k] == '\0') {
        doc.m_json_ld.emplace_back(scripts, start, k - start);
        start = k + 1;
      }
    }
  }
  std::string flattened;
  if (flatten_deep_nesting(input, flattened)) input = flattened;
  thread_local Arena arena;
  GumboOptions gopts = kGumboDefaultOptions;
  gopts.allocator = arena_allocate;
  gopts.deallocator = arena_free;
  gopts.userdata = &arena;
  gopts.max_errors = 0;  // errors are of no use here and each one costs allocations
  GumboOutput* output = gumbo_parse_with_options(&gopts, input.data(), input.size());
  DomBuilder builder(doc, options.max_depth == 0 ? 1 : options.max_depth);
  builder.build(output->root, input.size());
  arena.reset();
  return doc;
}

std::size_t gumbo_bare_parse(std::string_view html) {
  GumboOutput* output = gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size());
  std::size_t nodes = output->root->v.element.children.length + 1;
  gumbo_destroy_output(&kGumboDefaultOptions, output);
  return nodes;
}

std::string_view HtmlDocument::text(NodeId id) const {
  const DomNode& n = m_nodes[id];
  if (n.tag != Tag::text) return {};
  return std::string_view(m_pool).substr(n.begin, n.size);
}

const DomAttribute* HtmlDocument::attrs_begin(NodeId id) const {
  const DomNode& n = m_nodes[id];
  if (n.tag == Tag::text || n.size == 0) return nullptr;
  return m_attrs.data() + n.begin;
}

const DomAttribute* HtmlDocument::attrs_end(NodeId id) const {
  const DomNode& n = m_nodes[id];
  if (n.tag == Tag::text || n.size == 0) return nullptr;
  return m_attrs.data() + n.begin + n.size;
}

std::string_view HtmlDocument::attr(NodeId id, std::string_view name) const {
  for (const DomAttribute* a = attrs_begin(id); a != attrs_end(id); ++a) {
    if (a->name == name) return a->value;
  }
  return {};
}

bool HtmlDocument::has_attr(NodeId id, std::string_view name) const {
  for (const DomAttribute* a = attrs_begin(id); a != attrs_end(id); ++a) {
    if (a->name == name) return true;
  }
  return false;
}

void HtmlDocument::append_text(NodeId id, std::string& out) const {
  bool space = out.empty() || out.back() == ' ';
  for (NodeId k = id; k < m_nodes[id].subtree_end; ++k) {
    if (m_nodes[k].tag == Tag::br && !space) {
      out.push_back(' ');
      space = true;
    }
    if (m_nodes[k].tag != Tag::text) continue;
    for (char c : text(k)) {
      if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
        if (!space) out.push_back(' ');
        space = true;
      } else {
        out.push_back(c);
        space = false;
      }
    }
  }
}

std::string HtmlDocument::text_content(NodeId id) const {
  std::string out;
  append_text(id, out);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace newswatch::parsers
