#include "fetchers/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

#include "tests/support/http_server.h"

namespace newswatch::fetchers {
namespace {

using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;

// Runs `requests` through one HttpClient on a fresh io_context and returns the results in order.
std::vector<Result<HttpResponse>> fetch_all(std::vector<HttpRequest> requests,
                                            HttpClientOptions options = {}) {
  boost::asio::io_context io;
  HttpClient client(io, options);
  std::vector<Result<HttpResponse>> results(requests.size(),
                                            make_error(ErrorCode::internal, "not run"));
  for (size_t i = 0; i < requests.size(); ++i) {
    requests[i].allow_private_networks = requests[i].allow_private_networks;
    client.fetch(requests[i], [&results, i](Result<HttpResponse> r) { results[i] = std::move(r); });
  }
  io.run_for(std::chrono::seconds(30));
  return results;
}

HttpRequest local(const std::string& url) {
  HttpRequest r;
  r.url = url;
  r.allow_private_networks = true;
  r.timeout = std::chrono::seconds(10);
  return r;
}

TEST(HttpClient, FetchesBodyAndHeaders) {
  TestHttpServer server([](const TestRequest&) {
    return TestResponse{200,
                        {{"Content-Type", "application/rss+xml; charset=utf-8"},
                         {"ETag", "\"v1\""},
                         {"Last-Modified", "Mon, 17 Jun 2024 09:00:00 GMT"}},
                        "<rss/>"};
  });
  auto results = fetch_all({local(server.url("/feed"))});
  ASSERT_TRUE(results[0].has_value()) << results[0].error().to_string();
  EXPECT_EQ(results[0]->status, 200);
  EXPECT_EQ(results[0]->body, "<rss/>");
  EXPECT_EQ(results[0]->etag, "\"v1\"");
  EXPECT_EQ(results[0]->last_modified, "Mon, 17 Jun 2024 09:00:00 GMT");
  EXPECT_EQ(results[0]->content_type, "application/rss+xml; charset=utf-8");
  EXPECT_EQ(results[0]->primary_ip, "127.0.0.1");
}

TEST(HttpClient, SendsConditionalHeadersAndUserAgent) {
  TestHttpServer server([](const TestRequest& r) {
    if (r.header("if-none-match") == "\"v1\"") return TestResponse{304, {}, ""};
    return TestResponse{200, {{"ETag", "\"v1\""}}, "body"};
  });
  auto req = local(server.url("/feed"));
  req.etag = "\"v1\"";
  req.last_modified = "Mon, 17 Jun 2024 09:00:00 GMT";
  HttpClientOptions options;
  options.user_agent = "newswatch-test/1 (+http://example.org/contact)";
  auto results = fetch_all({req}, options);
  ASSERT_TRUE(results[0].has_value());
  EXPECT_EQ(results[0]->status, 304);
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].header("user-agent"), options.user_agent);
  EXPECT_EQ(seen[0].header("if-modified-since"), "Mon, 17 Jun 2024 09:00:00 GMT");
}

TEST(HttpClient, ManyConcurrentRequestsAllComplete) {
  TestHttpServer server([](const TestRequest& r) { return TestResponse{200, {}, r.target}; });
  std::vector<HttpRequest> reqs;
  for (int i = 0; i < 40; ++i) reqs.push_back(local(server.url("/item/" + std::to_string(i))));
  auto results = fetch_all(reqs);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(results[i].has_value()) << i << ": " << results[i].error().to_string();
    EXPECT_EQ(results[i]->body, "/item/" + std::to_string(i));
  }
}

// Counts the requests a server is answering at once.
struct Concurrency {
  std::atomic<int> now{0};
  std::atomic<int> most{0};
  TestResponse serve(std::atomic<int>* shared_now, std::atomic<int>* shared_most) {
    const int n = ++now;
    const int all = ++*shared_now;
    for (int m = most.load(); n > m && !most.compare_exchange_weak(m, n);) {
    }
    for (int m = shared_most->load(); all > m && !shared_most->compare_exchange_weak(m, all);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    --now;
    --*shared_now;
    return TestResponse{200, {}, "ok"};
  }
};

TEST(HttpClient, PerHostLimitHoldsUnderLoadAndHostsDoNotWaitForEachOther) {
  std::atomic<int> all_now{0}, all_most{0};
  Concurrency a, b;
  TestHttpServer host_a([&](const TestRequest&) { return a.serve(&all_now, &all_most); },
                        "127.0.0.1");
  TestHttpServer host_b([&](const TestRequest&) { return b.serve(&all_now, &all_most); },
                        "127.0.0.2");
  std::vector<HttpRequest> reqs;
  for (int i = 0; i < 12; ++i) {
    reqs.push_back(local(host_a.url("/a" + std::to_string(i))));
    reqs.push_back(local(host_b.url("/b" + std::to_string(i))));
  }
  HttpClientOptions options;
  options.per_host_connections = 2;
  auto results = fetch_all(reqs, options);
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value()) << r.error().to_string();
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(a.most.load(), 2);
  EXPECT_EQ(b.most.load(), 2);
  EXPECT_GE(all_most.load(), 3);  // the two hosts were served at the same time
}

TEST(HttpClient, TotalLimitHoldsAcrossHosts) {
  std::atomic<int> all_now{0}, all_most{0};
  std::vector<std::unique_ptr<Concurrency>> counts;
  std::vector<std::unique_ptr<TestHttpServer>> servers;
  std::vector<HttpRequest> reqs;
  for (int h = 0; h < 4; ++h) {
    counts.push_back(std::make_unique<Concurrency>());
    Concurrency* c = counts.back().get();
    servers.push_back(std::make_unique<TestHttpServer>(
        [&, c](const TestRequest&) { return c->serve(&all_now, &all_most); },
        "127.0.0." + std::to_string(h + 1)));
    for (int i = 0; i < 4; ++i) reqs.push_back(local(servers.back()->url("/" + std::to_string(i))));
  }
  HttpClientOptions options;
  options.per_host_connections = 2;
  options.max_total_connections = 3;
  auto results = fetch_all(reqs, options);
  for (const auto& r : results) ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_EQ(all_most.load(), 3);
}

// The transfer timeout counts from the request's start, not from when it was queued behind
// other requests to the same host.
TEST(HttpClient, TimeWaitingForAConnectionSlotIsNotATimeout) {
  TestHttpServer server([](const TestRequest&) {
    return TestResponse{200, {}, "ok", std::chrono::milliseconds(150)};
  });
  std::vector<HttpRequest> reqs;
  for (int i = 0; i < 6; ++i) {
    auto r = local(server.url("/" + std::to_string(i)));
    r.timeout = std::chrono::milliseconds(600);
    reqs.push_back(r);
  }
  HttpClientOptions options;
  options.per_host_connections = 1;
  auto results = fetch_all(reqs, options);
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value()) << r.error().to_string();
    EXPECT_LT(r->elapsed, std::chrono::milliseconds(600));
  }
}

TEST(HttpClient, CancelAllFailsQueuedAndRunningTransfers) {
  TestHttpServer server([](const TestRequest&) {
    return TestResponse{200, {}, "late", std::chrono::milliseconds(2000)};
  });
  boost::asio::io_context io;
  HttpClientOptions options;
  options.per_host_connections = 1;
  HttpClient client(io, options);
  int cancelled = 0;
  for (int i = 0; i < 5; ++i) {
    client.fetch(local(server.url("/" + std::to_string(i))), [&](Result<HttpResponse> r) {
      cancelled += !r.has_value() && r.error().message == "cancelled";
    });
  }
  EXPECT_EQ(client.in_flight(), 5u);
  boost::asio::steady_timer later(io, std::chrono::milliseconds(200));
  later.async_wait([&](const boost::system::error_code&) { client.cancel_all(); });
  io.run_for(std::chrono::seconds(5));
  EXPECT_EQ(cancelled, 5);
  EXPECT_EQ(client.in_flight(), 0u);
}

TEST(HttpClient, CutsOffBodiesOverTheLimit) {
  TestHttpServer server([](const TestRequest&) {
    return TestResponse{200, {}, std::string(200'000, 'x')};
  });
  auto req = local(server.url("/huge"));
  req.max_body_size = 50'000;
  auto results = fetch_all({req});
  ASSERT_FALSE(results[0].has_value());
  EXPECT_EQ(results[0].error().code, ErrorCode::too_large);
}

TEST(HttpClient, StopsRedirectLoops) {
  TestHttpServer server([&](const TestRequest& r) {
    const std::string next = r.target == "/a" ? "/b" : "/a";
    return TestResponse{302, {{"Location", next}}, ""};
  });
  auto req = local(server.url("/a"));
  req.max_redirects = 3;
  auto results = fetch_all({req});
  ASSERT_FALSE(results[0].has_value());
  EXPECT_EQ(results[0].error().code, ErrorCode::refused);
  EXPECT_LE(server.request_count(), 4u);
}

TEST(HttpClient, FollowsRedirectsAndReportsFinalUrl) {
  TestHttpServer server([](const TestRequest& r) {
    if (r.target == "/old") return TestResponse{301, {{"Location", "/new"}}, ""};
    return TestResponse{200, {}, "moved here"};
  });
  auto results = fetch_all({local(server.url("/old"))});
  ASSERT_TRUE(results[0].has_value());
  EXPECT_EQ(results[0]->body, "moved here");
  EXPECT_EQ(results[0]->effective_url, server.url("/new"));
  EXPECT_EQ(results[0]->redirects, 1);
}

TEST(HttpClient, RefusesPrivateAddressesUnlessAllowed) {
  TestHttpServer server([](const TestRequest&) { return TestResponse{200, {}, "secret"}; });
  auto req = local(server.url("/internal"));
  req.allow_private_networks = false;
  auto results = fetch_all({req});
  ASSERT_FALSE(results[0].has_value());
  EXPECT_EQ(results[0].error().code, ErrorCode::refused);
  EXPECT_EQ(server.request_count(), 0u);
}

TEST(HttpClient, TimesOutSlowServers) {
  TestHttpServer server([](const TestRequest&) {
    return TestResponse{200, {}, "late", std::chrono::milliseconds(3000)};
  });
  auto req = local(server.url("/slow"));
  req.timeout = std::chrono::milliseconds(500);
  auto results = fetch_all({req});
  ASSERT_FALSE(results[0].has_value());
  EXPECT_EQ(results[0].error().code, ErrorCode::timeout);
}

TEST(HttpClient, ReportsRetryAfter) {
  TestHttpServer server([](const TestRequest&) {
    return TestResponse{429, {{"Retry-After", "120"}}, "slow down"};
  });
  auto results = fetch_all({local(server.url("/"))});
  ASSERT_TRUE(results[0].has_value());
  EXPECT_EQ(results[0]->status, 429);
  ASSERT_TRUE(results[0]->retry_after);
  EXPECT_EQ(results[0]->retry_after->count(), 120);
}

TEST(HttpClient, RejectsNonHttpSchemes) {
  auto results = fetch_all({local("file:///etc/passwd"), local("gopher://127.0.0.1/")});
  for (const auto& r : results) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  }
}

TEST(HttpClient, ConnectionRefusedIsANetworkError) {
  int port = 0;
  {
    TestHttpServer server([](const TestRequest&) { return TestResponse{}; });
    port = server.port();
  }
  auto results = fetch_all({local("http://127.0.0.1:" + std::to_string(port) + "/")});
  ASSERT_FALSE(results[0].has_value());
  EXPECT_EQ(results[0].error().code, ErrorCode::network);
}

TEST(PrivateAddress, ClassifiesRanges) {
  for (const char* ip :
       {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
        "0.0.0.0", "224.0.0.1", "100.64.0.1", "::1", "::", "fe80::1", "fd00::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "not-an-ip"}) {
    EXPECT_TRUE(is_private_address(ip)) << ip;
  }
  for (const char* ip : {"8.8.8.8", "172.32.0.1", "192.169.0.1", "2a00:1450::1", "::ffff:8.8.8.8",
                         "93.184.216.34"}) {
    EXPECT_FALSE(is_private_address(ip)) << ip;
  }
}

}  // namespace
}  // namespace newswatch::fetchers
