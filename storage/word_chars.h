// Which code points make up words, for the search analyzer and the text fingerprints alike: one
// definition, so that both split a text into the same words. Internal to storage/.
#pragma once

#include <utf8proc.h>

namespace newswatch::storage {

// Letters, marks and numbers: Unicode general categories L*, M* and N*.
inline bool is_word_category(utf8proc_category_t c) {
  switch (c) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return true;
    default: return false;
  }
}

}  // namespace newswatch::storage
