#include "daemon/cli_table.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>

#include "daemon/cli_args.h"

namespace newswatch::daemon {
namespace {

// One decoded code point and its length in bytes; an invalid byte decodes as itself, length 1.
struct Decoded {
  char32_t cp;
  std::size_t len;
  bool valid;
};

Decoded decode(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return {b, 1, true};
  std::size_t len = b >= 0xF0 && b < 0xF8 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 0;
  if (len == 0 || i + len > s.size()) return {b, 1, false};
  char32_t cp = len == 2 ? b & 0x1F : len == 3 ? b & 0x0F : b & 0x07;
  for (std::size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return {b, 1, false};
    cp = (cp << 6) | (c & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not valid UTF-8.
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return {b, 1, false};
  }
  return {cp, len, true};
}

bool in(char32_t cp, char32_t lo, char32_t hi) { return cp >= lo && cp <= hi; }

// A short table, not the full Unicode EastAsianWidth data: the blocks news text actually uses.
int code_point_width(char32_t cp) {
  if (cp < 0x20 || in(cp, 0x7F, 0x9F)) return 0;
  if (in(cp, 0x0300, 0x036F) || in(cp, 0x0483, 0x0489) || in(cp, 0x0591, 0x05BD) ||
      in(cp, 0x0610, 0x061A) || in(cp, 0x064B, 0x065F) || in(cp, 0x1AB0, 0x1AFF) ||
      in(cp, 0x1DC0, 0x1DFF) || in(cp, 0x200B, 0x200F) || in(cp, 0x202A, 0x202E) ||
      in(cp, 0x2060, 0x2064) || in(cp, 0x20D0, 0x20FF) || in(cp, 0xFE00, 0xFE0F) ||
      in(cp, 0xFE20, 0xFE2F) || cp == 0xFEFF || cp == 0x00AD) {
    return 0;
  }
  if (in(cp, 0x1100, 0x115F) || in(cp, 0x2E80, 0x303E) || in(cp, 0x3041, 0x33FF) ||
      in(cp, 0x3400, 0x4DBF) || in(cp, 0x4E00, 0x9FFF) || in(cp, 0xA000, 0xA4CF) ||
      in(cp, 0xAC00, 0xD7A3) || in(cp, 0xF900, 0xFAFF) || in(cp, 0xFE30, 0xFE4F) ||
      in(cp, 0xFF00, 0xFF60) || in(cp, 0xFFE0, 0xFFE6) || in(cp, 0x1F300, 0x1F64F) ||
      in(cp, 0x1F900, 0x1F9FF) || in(cp, 0x20000, 0x3FFFD)) {
    return 2;
  }
  return 1;
}

const char* style_code(Style style) {
  switch (style) {
    case Style::plain: return "";
    case Style::bold: return "\x1b[1m";
    case Style::dim: return "\x1b[2m";
    case Style::good: return "\x1b[32m";
    case Style::warn: return "\x1b[33m";
    case Style::bad: return "\x1b[31m";
    case Style::highlight: return "\x1b[1;33m";
  }
  return "";
}

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026, one column

// Bytes of the longest prefix of `text` that fits in `width` columns.
std::size_t prefix_fitting(std::string_view text, std::size_t width) {
  std::size_t used = 0, i = 0;
  while (i < text.size()) {
    const Decoded d = decode(text, i);
    const std::size_t w = d.valid ? code_point_width(d.cp) : 1;
    if (used + w > width) break;
    used += w;
    i += d.len;
  }
  // Keep combining marks that follow the last character kept with it.
  while (i < text.size()) {
    const Decoded d = decode(text, i);
    if (!d.valid || code_point_width(d.cp) != 0) break;
    i += d.len;
  }
  return i;
}

}  // namespace

std::optional<ColorMode> parse_color_mode(std::string_view text) {
  if (text == "auto") return ColorMode::automatic;
  if (text == "always") return ColorMode::always;
  if (text == "never") return ColorMode::never;
  return std::nullopt;
}

bool use_color(ColorMode mode, int fd) {
  if (mode != ColorMode::automatic) return mode == ColorMode::always;
  if (const char* no = std::getenv("NO_COLOR"); no && *no) return false;
  if (const char* term = std::getenv("TERM"); term && std::strcmp(term, "dumb") == 0) {
    return false;
  }
  return isatty(fd) == 1;
}

std::size_t terminal_width(int fd) {
  winsize ws{};
  if (isatty(fd) == 1 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* cols = std::getenv("COLUMNS"); cols && *cols) {
    char* end = nullptr;
    const long n = std::strtol(cols, &end, 10);
    if (*end == '\0' && n > 0 && n < 100000) return static_cast<std::size_t>(n);
  }
  return 0;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const Decoded d = decode(text, i);
    width += d.valid ? code_point_width(d.cp) : 1;
    i += d.len;
  }
  return width;
}

std::string truncate_to_width(std::string_view text, std::size_t width) {
  if (display_width(text) <= width) return std::string(text);
  if (width == 0) return {};
  std::string out(text.substr(0, prefix_fitting(text, width - 1)));
  out += kEllipsis;
  return out;
}

std::string paint(std::string_view text, Style style, bool color) {
  if (!color || style == Style::plain || text.empty()) return std::string(text);
  std::string out = style_code(style);
  out += text;
  out += "\x1b[0m";
  return out;
}

std::string render_cell(const Cell& cell, std::size_t width, Align align, bool pad, bool color) {
  const std::size_t full = display_width(cell.text);
  std::size_t keep = cell.text.size();
  bool cut = false;
  if (full > width) {
    keep = width == 0 ? 0 : prefix_fitting(cell.text, width - 1);
    cut = width > 0;
  }
  // What is shown: the kept prefix, and the ellipsis painted like the text before it.
  std::string shown = cell.text.substr(0, keep);
  if (cut) shown += kEllipsis;
  const std::string_view text = shown;
  std::string body;
  std::size_t at = 0;
  for (const auto& [b, e] : cell.marks) {
    if (b < at || b > e || b >= keep) continue;
    const std::size_t end = std::min(e, keep);
    body += paint(text.substr(at, b - at), cell.style, color);
    body += paint(text.substr(b, end - b), Style::highlight, color);
    at = end;
  }
  body += paint(text.substr(at), cell.style, color);
  const std::size_t used = cut ? width : full;
  const std::string spaces(pad && used < width ? width - used : 0, ' ');
  return align == Align::right ? spaces + body : body + spaces;
}

TableOutput table_output(const CliArgs& args) {
  // parse_cli_args has checked the value of --color.
  const ColorMode mode =
      parse_color_mode(args.get("--color").value_or("auto")).value_or(ColorMode::automatic);
  return TableOutput{use_color(mode, STDOUT_FILENO), terminal_width(STDOUT_FILENO)};
}

Table::Table(std::vector<Column> columns) : m_columns(std::move(columns)) {}

void Table::add_row(std::vector<Cell> cells) {
  assert(cells.size() == m_columns.size());
  m_rows.push_back(std::move(cells));
}

std::string Table::render(const TableOutput& out) const {
  std::string text;
  for (const auto& l : render_lines(out)) {
    text += l;
    text += '\n';
  }
  return text;
}

std::vector<std::string> Table::render_lines(const TableOutput& out) const {
  constexpr std::size_t k_gap = 2;
  const std::size_t n = m_columns.size();
  const bool headers = std::any_of(m_columns.begin(), m_columns.end(),
                                   [](const Column& c) { return !c.header.empty(); });
  std::vector<std::size_t> widths(n, 0), minimum(n, 0);
  for (std::size_t c = 0; c < n; ++c) {
    widths[c] = display_width(m_columns[c].header);
    minimum[c] = std::max(widths[c], kMinFlexWidth);
  }
  for (const auto& row : m_rows) {
    for (std::size_t c = 0; c < n; ++c) widths[c] = std::max(widths[c], display_width(row[c].text));
  }
  if (out.width > 0 && n > 0) {
    std::size_t total = k_gap * (n - 1);
    for (auto w : widths) total += w;
    // Take one column at a time from the widest flexible column until the table fits.
    while (total > out.width) {
      std::size_t widest = n;
      for (std::size_t c = 0; c < n; ++c) {
        if (m_columns[c].flexible && widths[c] > minimum[c] &&
            (widest == n || widths[c] > widths[widest])) {
          widest = c;
        }
      }
      if (widest == n) break;
      const std::size_t give = std::min(total - out.width, widths[widest] - minimum[widest]);
      // Give back only down to the next widest flexible column, so that they shrink together.
      std::size_t next = minimum[widest];
      for (std::size_t c = 0; c < n; ++c) {
        if (c != widest && m_columns[c].flexible && widths[c] < widths[widest]) {
          next = std::max(next, widths[c]);
        }
      }
      const std::size_t step = std::max<std::size_t>(1, std::min(give, widths[widest] - next));
      widths[widest] -= step;
      total -= step;
    }
  }
  std::vector<std::string> lines;
  const auto line = [&](const std::vector<Cell>& cells) {
    std::string l;
    for (std::size_t c = 0; c < n; ++c) {
      if (c > 0) l.append(k_gap, ' ');
      l += render_cell(cells[c], widths[c], m_columns[c].align, c + 1 < n, out.color);
    }
    // A last column left empty must not leave trailing spaces behind.
    while (!l.empty() && l.back() == ' ') l.pop_back();
    lines.push_back(std::move(l));
  };
  if (headers) {
    std::vector<Cell> header_cells;
    for (const auto& c : m_columns) header_cells.push_back(Cell{c.header, Style::bold});
    line(header_cells);
  }
  for (const auto& row : m_rows) line(row);
  return lines;
}

}  // namespace newswatch::daemon
