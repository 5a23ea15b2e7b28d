// A compact, read-only HTML tree for extraction and link finding: gumbo builds the tree (HTML5
// rules, so broken markup parses as in a browser), this copies it into flat arrays in document
// order and frees gumbo's nodes. Nothing outside html_dom.cc sees gumbo. Pure, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace newswatch::parsers {

// The elements extraction cares about; every other element is `other`, text nodes are `text`.
enum class Tag : std::uint8_t {
  text,
  other,
  html,
  head,
  title,
  base,
  link,
  meta,
  body,
  article,
  section,
  nav,
  aside,
  header,
  footer,
  main,
  address,
  h1,
  h2,
  h3,
  h4,
  h5,
  h6,
  hgroup,
  p,
  div,
  span,
  pre,
  blockquote,
  ol,
  ul,
  li,
  dl,
  dt,
  dd,
  figure,
  figcaption,
  hr,
  br,
  a,
  em,
  strong,
  b,
  i,
  u,
  s,
  small,
  sub,
  sup,
  mark,
  cite,
  q,
  code,
  abbr,
  time,
  font,
  center,
  img,
  picture,
  source,
  video,
  audio,
  iframe,
  embed,
  object,
  canvas,
  svg,
  math,
  table,
  caption,
  thead,
  tbody,
  tfoot,
  tr,
  td,
  th,
  form,
  fieldset,
  legend,
  label,
  input,
  button,
  select,
  option,
  textarea,
  details,
  summary,
  menu,
  dialog,
  script,
  style,
  noscript,
  template_,
  wbr,
  ins,
  del,
  count_,
};

// "p", "div", ...; "#text" for text nodes, "?" for `other`.
const char* tag_name(Tag tag);

using NodeId = std::uint32_t;
inline constexpr NodeId k_no_node = 0xffffffffu;

struct DomNode {
  Tag tag = Tag::other;
  NodeId parent = k_no_node;
  NodeId first_child = k_no_node;
  NodeId next_sibling = k_no_node;
  // Nodes are stored in document order, so a node's subtree is the range [id, subtree_end).
  NodeId subtree_end = 0;
  std::uint32_t depth = 0;
  // Text nodes: a slice of HtmlDocument's text pool. Elements: a slice of its attribute list.
  std::uint32_t begin = 0;
  std::uint32_t size = 0;
};

struct DomAttribute {
  std::string_view name;  // lower-case
  std::string_view value;
};

struct HtmlParseOptions {
  // Drop <script>, <style>, <template>, inline <svg>, <noscript> and comments before gumbo
  // sees the bytes: no reader sees them and they are often most of a page. JSON-LD scripts
  // are kept aside in HtmlDocument::json_ld(). Default true.
  bool strip_invisible = true;
  // Deepest element kept: deeper elements are flattened into their ancestor at this depth
  // (their text is kept), so walks over the tree stay bounded. Default 400.
  std::uint32_t max_depth = 400;
};

class HtmlDocument {
 public:
  HtmlDocument() = default;
  // Parses UTF-8 `html` (invalid sequences are tolerated). Never fails: any input yields a tree
  // with at least <html>, <head> and <body>. Memory is about 2-3x the input.
  static HtmlDocument parse(std::string_view html, const HtmlParseOptions& options = {});

  // The <html> element; node 0.
  NodeId root() const { return 0; }
  NodeId head() const { return m_head; }
  NodeId body() const { return m_body; }
  std::size_t size() const { return m_nodes.size(); }
  const DomNode& node(NodeId id) const { return m_nodes[id]; }
  Tag tag(NodeId id) const { return m_nodes[id].tag; }
  bool is_text(NodeId id) const { return m_nodes[id].tag == Tag::text; }

  // A text node's raw text (entities decoded, whitespace as in the source).
  std::string_view text(NodeId id) const;
  // The value of attribute `name` (lower-case) of element `id`, or "" when absent.
  std::string_view attr(NodeId id, std::string_view name) const;
  bool has_attr(NodeId id, std::string_view name) const;
  const DomAttribute* attrs_begin(NodeId id) const;
  const DomAttribute* attrs_end(NodeId id) const;

  // Appends the text of `id`'s subtree with runs of white space folded into one space.
  void append_text(NodeId id, std::string& out) const;
  std::string text_content(NodeId id) const;

  // Contents of <script type="application/ld+json"> blocks, in document order.
  const std::vector<std::string>& json_ld() const { return m_json_ld; }

  HtmlDocument(HtmlDocument&&) = default;
  HtmlDocument& operator=(HtmlDocument&&) = default;
  // Attribute views point into the pool, so a copy would dangle.
  HtmlDocument(const HtmlDocument&) = delete;
  HtmlDocument& operator=(const HtmlDocument&) = delete;

 private:
  std::vector<DomNode> m_nodes;
  std::vector<DomAttribute> m_attrs;
  std::string m_pool;  // text and attribute strings; reserved up front, never reallocated
  std::vector<std::string> m_json_ld;
  NodeId m_head = 0;
  NodeId m_body = 0;

  friend class DomBuilder;
};

// Drops what no reader sees (see HtmlParseOptions::strip_invisible) from `html`, appending the
// rest to `out` and the JSON-LD script bodies, separated by '\0', to `json_ld`.
void strip_invisible_html(std::string_view html, std::string& out, std::string& json_ld);

// gumbo's own parse of `html` with default options and nothing else (parse, then free): the
// floor that benchmarks compare extraction against. Returns the number of nodes it built.
std::size_t gumbo_bare_parse(std::string_view html);

// Case-insensitive ASCII comparison helpers shared by the extraction code.
bool iequals(std::string_view a, std::string_view b);
bool icontains(std::string_view haystack, std::string_view needle);

}  // namespace newswatch::parsers
