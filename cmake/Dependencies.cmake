# Every third-party library, at the versions Debian 12 ships. scripts/bootstrap.sh installs them.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(CURL 7.88 REQUIRED)
find_package(Boost 1.74 REQUIRED)  # Asio and Beast are header-only
find_package(RocksDB 7.8 CONFIG QUIET)
if(NOT RocksDB_FOUND)
  # Debian's librocksdb-dev ships no CMake config.
  find_library(ROCKSDB_LIBRARY rocksdb REQUIRED)
  find_path(ROCKSDB_INCLUDE_DIR rocksdb/db.h REQUIRED)
  add_library(RocksDB::rocksdb UNKNOWN IMPORTED)
  set_target_properties(RocksDB::rocksdb PROPERTIES IMPORTED_LOCATION ${ROCKSDB_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${ROCKSDB_INCLUDE_DIR})
endif()
pkg_check_modules(GUMBO REQUIRED IMPORTED_TARGET gumbo)
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)
# jemalloc as the executables' allocator (not under the sanitizers, which bring their own). An
# interface target that links it even though nothing calls it by name (--as-needed would drop
# it: malloc is resolved at run time).
if(NOT NEWSWATCH_SANITIZE AND NOT NEWSWATCH_TSAN)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()
add_library(newswatch_allocator INTERFACE)
if(TARGET PkgConfig::JEMALLOC)
  target_link_libraries(newswatch_allocator INTERFACE
    "-Wl,--push-state,--no-as-needed" PkgConfig::JEMALLOC "-Wl,--pop-state")
endif()
find_package(spdlog 1.10 REQUIRED)
find_package(fmt REQUIRED)
find_package(tomlplusplus 3.3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_library(STEMMER_LIBRARY stemmer REQUIRED)
find_path(STEMMER_INCLUDE_DIR libstemmer.h REQUIRED)
add_library(Stemmer::stemmer UNKNOWN IMPORTED)
set_target_properties(Stemmer::stemmer PROPERTIES IMPORTED_LOCATION ${STEMMER_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${STEMMER_INCLUDE_DIR})
if(NEWSWATCH_BUILD_TESTS)
  find_package(GTest 1.12 REQUIRED)
endif()
if(NEWSWATCH_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
