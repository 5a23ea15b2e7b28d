// Stored-record decoders on arbitrary bytes; a decoded record re-encodes to a value that decodes
// to the same encoding (round trip). Postings blocks (both encodings): entries read from a block
// written again read back the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "storage/postings_block.h"
#include "storage/records.h"
#include "storage/search.h"

namespace s = newswatch::storage;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      if (auto article = s::decode_article(bytes)) {
        const std::string encoded = s::encode_article(*article);
        auto again = s::decode_article(encoded);
        if (!again || s::encode_article(*again) != encoded) std::abort();
        // Setting the id of a record (one with a 16-byte id) changes that field only.
        std::string patched(bytes);
        if (s::set_article_id(patched, "00000000000000a7")) {
          if (article->id.size() != 16) std::abort();
          auto renamed = s::decode_article(patched);
          if (!renamed || renamed->id != "00000000000000a7" || renamed->text != article->text) {
            std::abort();
          }
        }
      }
      break;
    case 1:
      if (auto state = s::decode_source_state(bytes)) {
        const std::string encoded = s::encode_source_state(*state);
        auto again = s::decode_source_state(encoded);
        if (!again || s::encode_source_state(*again) != encoded) std::abort();
      }
      break;
    case 3:
    case 4: {
      const bool delta = data[0] % 5 == 3;
      s::BlockReader reader(bytes, delta);
      std::string again;
      s::DeltaBlockWriter writer(again);
      std::uint64_t doc = 0;
      s::Posting p;
      while (!reader.done() && reader.next(doc, p)) {
        if (delta) {
          if (!writer.add(doc, p)) std::abort();  // the reader only yields increasing numbers
        } else {
          s::append_block_entry(again, doc, p);
        }
      }
      s::BlockReader back(again, delta);
      while (!back.done()) {
        if (!back.next(doc, p)) std::abort();
      }
      break;
    }
    default:
      if (auto record = s::decode_outbox(bytes)) {
        const std::string encoded = s::encode_outbox(*record);
        auto again = s::decode_outbox(encoded);
        if (!again || s::encode_outbox(*again) != encoded) std::abort();
        (void)record->idempotency_key();
      }
      break;
  }
  return 0;
}
