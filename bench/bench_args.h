// Command-line options of the plain-main benchmarks: --name=value and bare --name flags, looked up
// by name. Header-only, bench/ only.
#pragma once

#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>

namespace newswatch::bench {

// --name=value as a number (atol: 0 when not a number), else `fallback`. The first match wins.
inline long arg_long(int argc, char** argv, const std::string& name, long fallback) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind(name + "=", 0) == 0) return std::atol(a.c_str() + name.size() + 1);
  }
  return fallback;
}

inline int arg_int(int argc, char** argv, const std::string& name, int fallback) {
  return static_cast<int>(arg_long(argc, argv, name, fallback));
}

// --name=value, "1" for a bare --name, else `fallback`.
inline std::string arg_str(int argc, char** argv, const std::string& name,
                           std::string fallback = {}) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind(name + "=", 0) == 0) return a.substr(name.size() + 1);
    if (a == name) return "1";
  }
  return fallback;
}

// Whether --name or --name=value was given.
inline bool arg_flag(int argc, char** argv, const std::string& name) {
  return !arg_str(argc, argv, name).empty();
}

// The first argument that is none of `known` (bare or with =value), or nullptr.
inline const char* unknown_arg(int argc, char** argv,
                               std::initializer_list<std::string_view> known) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    bool ok = false;
    for (const auto k : known) {
      if (a == k || (a.size() > k.size() && a.substr(0, k.size()) == k && a[k.size()] == '=')) {
        ok = true;
      }
    }
    if (!ok) return argv[i];
  }
  return nullptr;
}

}  // namespace newswatch::bench
