#include "daemon/retry_requests.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace newswatch::daemon {

namespace fs = std::filesystem;

bool RetryRequest::selects(const storage::OutboxRecord& r) const {
  if (all_dead) return true;
  return std::any_of(ids.begin(), ids.end(), [&](const std::string& id) {
    return id == r.idempotency_key() || id == r.article_id || (!r.bundle.empty() && id == r.bundle);
  });
}

std::string RetryRequest::text() const {
  if (all_dead) return "all-dead";
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : " ") + id;
  return out;
}

RetryRequest RetryRequest::parse(const std::string& text) {
  RetryRequest r;
  std::istringstream in(text);
  for (std::string word; in >> word;) {
    if (word == "all-dead") {
      r.all_dead = true;
    } else {
      r.ids.push_back(word);
    }
  }
  return r;
}

std::string requests_dir(const std::string& db_path) {
  std::string p = db_path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p + ".requests";
}

Status write_retry_request(const std::string& db_path, const RetryRequest& request) {
  const fs::path dir = requests_dir(db_path);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::io_error, dir.string() + ": " + ec.message());
  const auto stamp = std::chrono::system_clock::now().time_since_epoch().count();
  const std::string name = "retry-" + std::to_string(stamp) + "-" + std::to_string(::getpid());
  const fs::path tmp = dir / ("." + name);
  {
    std::ofstream out(tmp, std::ios::binary);
    out << request.text() << "\n";
    if (!out.flush()) return make_error(ErrorCode::io_error, tmp.string() + ": write failed");
  }
  fs::rename(tmp, dir / (name + ".req"), ec);
  if (ec) return make_error(ErrorCode::io_error, tmp.string() + ": " + ec.message());
  return Status();
}

std::vector<RetryRequest> take_retry_requests(const std::string& db_path) {
  std::vector<RetryRequest> out;
  std::error_code ec;
  const fs::path dir = requests_dir(db_path);
  if (!fs::exists(dir, ec)) return out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".req") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    fs::remove(f, ec);
    auto request = RetryRequest::parse(ss.str());
    if (request.all_dead || !request.ids.empty()) out.push_back(std::move(request));
  }
  return out;
}

}  // namespace newswatch::daemon
