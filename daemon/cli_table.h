// Human output of the CLI: tables whose columns fit their contents (UTF-8 aware) and the
// terminal, and colour only where a person reads it. --json output never comes through here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace newswatch::daemon {

struct CliArgs;

// --color=auto|always|never. auto: colour when the stream is a terminal, $NO_COLOR is unset or
// empty (no-color.org) and $TERM is not "dumb"; always/never ignore both.
enum class ColorMode { automatic, always, never };

// "auto", "always", "never"; nullopt for anything else.
std::optional<ColorMode> parse_color_mode(std::string_view text);

// Whether output written to `fd` gets escape codes under `mode`. Reads the environment.
bool use_color(ColorMode mode, int fd);

// Columns of the terminal on `fd` (TIOCGWINSZ), else $COLUMNS when it is a number, else 0
// (unknown: nothing is cut).
std::size_t terminal_width(int fd);

// Columns `text` takes on a terminal: one per code point, two for East Asian wide and
// fullwidth characters, none for combining marks and zero-width characters; a byte that is not
// valid UTF-8 counts as one (it shows as a replacement character).
std::size_t display_width(std::string_view text);

// The longest prefix of `text` (whole code points) that fits `width` columns, ending in "…" when
// something was cut.
std::string truncate_to_width(std::string_view text, std::size_t width);

enum class Style { plain, bold, dim, good, warn, bad, highlight };

// `text` wrapped in the escape codes of `style` when `color`, else `text` unchanged.
std::string paint(std::string_view text, Style style, bool color);

// Byte ranges [begin, end) of a cell's text to highlight (search and match terms).
using Marks = std::vector<std::pair<std::size_t, std::size_t>>;

struct Cell {
  std::string text;
  Style style = Style::plain;
  Marks marks = {};
};

enum class Align { left, right };

struct Column {
  std::string header;
  Align align = Align::left;
  // May be cut (with "…") when the table is wider than the terminal; flexible columns give up
  // room widest first, never below kMinFlexWidth (or their header).
  bool flexible = false;
};

// How a table is written: colour or not, and the width to fit (0 = no limit).
struct TableOutput {
  bool color = false;
  std::size_t width = 0;
};

// The output settings of a command writing to standard output: --color (default auto) and the
// terminal's width.
TableOutput table_output(const CliArgs& args);

// Rows of cells under headers. Widths are computed from all rows when rendered; columns are
// separated by two spaces and the last column is not padded.
class Table {
 public:
  static constexpr std::size_t kMinFlexWidth = 10;

  explicit Table(std::vector<Column> columns);

  // REQUIRES: cells.size() == number of columns.
  void add_row(std::vector<Cell> cells);
  bool empty() const { return m_rows.empty(); }

  // The table as text, one line per row, with a header line when any column has a header.
  std::string render(const TableOutput& out) const;
  // The same lines without their newlines: the header line (if any), then one per row, for
  // output that puts more lines under each row (search, match).
  std::vector<std::string> render_lines(const TableOutput& out) const;

 private:
  std::vector<Column> m_columns;
  std::vector<std::vector<Cell>> m_rows;
};

// The cell text cut to `width` columns and padded to it, with its style and marks painted.
std::string render_cell(const Cell& cell, std::size_t width, Align align, bool pad, bool color);

}  // namespace newswatch::daemon
