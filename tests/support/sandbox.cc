#include "tests/support/sandbox.h"

#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

namespace newswatch::testing {

void SandboxTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::random_device rd;
  m_dir = std::filesystem::temp_directory_path() /
          ("newswatch-" + std::string(info->name()) + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(rd()));
  std::filesystem::create_directories(m_dir);
}

void SandboxTest::TearDown() {
  std::error_code ec;
  if (!HasFailure()) std::filesystem::remove_all(m_dir, ec);
}

std::filesystem::path SandboxTest::write_file(const std::string& name,
                                              const std::string& content) const {
  const auto path = m_dir / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  return path;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::filesystem::path test_data(const std::string& relative) {
  return std::filesystem::path(NEWSWATCH_TEST_DATA_DIR) / relative;
}

}  // namespace newswatch::testing
