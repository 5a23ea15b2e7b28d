// Inputs found by fuzz/email_fuzz.cc (docs/reliability.md).
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "alerts/email.h"

namespace newswatch::alerts {
namespace {

// 45+ continuation bytes in a row (invalid UTF-8 in a topic or title): the encoded-word splitter
// backed up to the start of the chunk and never advanced, growing its output without end.
// Runs in a child with an alarm so that a regression fails fast instead of hanging the suite.
TEST(EmailRegression, HeaderWordsOfContinuationBytesTerminate) {
  EXPECT_EXIT(
      {
        ::alarm(5);
        const std::string text = "Sanktionen " + std::string(120, '\x82') + " ionen";
        const std::string encoded = encode_header_words(text);
        // Every folded line is one encoded word of at most 75 characters, and 137 bytes need
        // at most five of them.
        std::size_t words = 0;
        std::size_t longest = 0;
        for (std::size_t at = 0; at < encoded.size();) {
          std::size_t end = encoded.find("\r\n ", at);
          if (end == std::string::npos) end = encoded.size();
          ++words;
          longest = std::max(longest, end - at);
          at = end == encoded.size() ? end : end + 3;
        }
        std::_Exit(words <= 5 && longest <= 75 && encoded.rfind("=?UTF-8?B?", 0) == 0 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace newswatch::alerts
