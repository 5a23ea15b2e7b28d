// A temporary directory per test, removed afterwards: the base fixture of every test that touches
// the filesystem (STYLE.md 13: SandboxTest -> StoreTest -> DaemonTest).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace newswatch::testing {

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  const std::filesystem::path& sandbox() const { return m_dir; }
  // Writes `content` to sandbox()/name and returns the full path.
  std::filesystem::path write_file(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path m_dir;
};

// Reads a whole file; empty string when missing.
std::string read_file(const std::filesystem::path& path);

// The path of a file under tests/data.
std::filesystem::path test_data(const std::string& relative);

}  // namespace newswatch::testing
