// Config loading from TOML text: never crashes, and errors or a config, never both.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto result = newswatch::daemon::parse_config(text, "/nonexistent/fuzz/newswatch.toml");
  if (result.config.has_value() == !result.errors.empty()) std::abort();
  for (const auto& error : result.errors) (void)error.to_string();
  return 0;
}
