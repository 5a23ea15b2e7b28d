#include "alerts/query.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace newswatch::alerts {
namespace {

// The canonical form of `text`, or "error: <message>".
std::string parsed(std::string_view text) {
  Result<Query> q = parse_query(text);
  if (!q) {
    EXPECT_EQ(q.error().code, ErrorCode::invalid_argument);
    return "error: " + q.error().message;
  }
  return q->canonical();
}

TEST(ParseQuery, SingleTermIsNormalised) {
  EXPECT_EQ(parsed("Sanktionen"), "sanktionen");
  EXPECT_EQ(parsed("Pjöngjang"), "pjongjang");
  EXPECT_EQ(parsed("САНКЦИИ"), "санкции");
}

TEST(ParseQuery, DefaultIsAnd) {
  EXPECT_EQ(parsed("Putin Kim"), "AND(putin, kim)");
  EXPECT_EQ(parsed("Putin AND Kim AND Xi"), "AND(putin, kim, xi)");
}

TEST(ParseQuery, PrecedenceNotOverAndOverOr) {
  EXPECT_EQ(parsed("a OR b c"), "OR(a, AND(b, c))");
  EXPECT_EQ(parsed("a b OR c"), "OR(AND(a, b), c)");
  EXPECT_EQ(parsed("NOT a b"), "AND(NOT(a), b)");
  EXPECT_EQ(parsed("a OR NOT b AND c"), "OR(a, AND(NOT(b), c))");
  EXPECT_EQ(parsed("NOT NOT a"), "NOT(NOT(a))");
}

TEST(ParseQuery, ParenthesesGroup) {
  EXPECT_EQ(parsed("(a OR b) c"), "AND(OR(a, b), c)");
  EXPECT_EQ(parsed("a (b OR (c d))"), "AND(a, OR(b, AND(c, d)))");
  EXPECT_EQ(parsed("((a))"), "a");
}

TEST(ParseQuery, LeadingMinusNegates) {
  EXPECT_EQ(parsed("Sanktionen -Sport"), "AND(sanktionen, NOT(sport))");
  EXPECT_EQ(parsed("-\"Formel 1\" Rennen"), "AND(NOT(\"formel 1\"), rennen)");
  EXPECT_EQ(parsed("a -(b OR c)"), "AND(a, NOT(OR(b, c)))");
  EXPECT_EQ(parsed("-a"), "NOT(a)");
}

TEST(ParseQuery, HyphenatedWordBecomesPhrase) {
  EXPECT_EQ(parsed("Kim-Jong-un"), "\"kim jong un\"");
}

TEST(ParseQuery, PhrasesAndProximity) {
  EXPECT_EQ(parsed("\"Kim Jong Un\""), "\"kim jong un\"");
  EXPECT_EQ(parsed("\"Putin Kim\"~5"), "\"putin kim\"~5");
  EXPECT_EQ(parsed("\"Putin\""), "putin");
  EXPECT_EQ(parsed("Putin NEAR/5 Kim"), "NEAR/5(putin, kim)");
  EXPECT_EQ(parsed("Putin NEAR Kim"), "NEAR/10(putin, kim)");
  EXPECT_EQ(parsed("a NEAR/2 \"b c\" NEAR/3 d"), "NEAR/3(NEAR/2(a, \"b c\"), d)");
  EXPECT_EQ(parsed("x NEAR/1 y z"), "AND(NEAR/1(x, y), z)");
}

TEST(ParseQuery, Prefix) {
  EXPECT_EQ(parsed("sanktion*"), "sanktion*");
  EXPECT_EQ(parsed("Ölpreis* OR Gas"), "OR(olpreis*, gas)");
}

TEST(ParseQuery, FieldScopes) {
  EXPECT_EQ(parsed("title:Putin"), "title:putin");
  EXPECT_EQ(parsed("title:(Putin OR Kim) source:Tagesschau lang:DE-at"),
            "AND(title:OR(putin, kim), source:tagesschau, lang:de)");
  EXPECT_EQ(parsed("source:\"Deutsche Welle\""), "source:\"deutsche welle\"");
  EXPECT_EQ(parsed("Title:\"Kim Jong\"~2"), "title:\"kim jong\"~2");
  EXPECT_EQ(parsed("Putin title:-Sport"), "AND(putin, title:NOT(sport))");
}

TEST(ParseQuery, LowercaseKeywordsAreWords) {
  EXPECT_EQ(parsed("war and peace"), "AND(war, and, peace)");
}

TEST(ParseQuery, NodesCarryColumns) {
  Result<Query> q = parse_query("Putin  -Kim");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->root().kind, QueryNode::Kind::all);
  EXPECT_EQ(q->nodes()[q->root().children[0]].column, 1u);
  EXPECT_EQ(q->nodes()[q->root().children[1]].column, 8u);
}

TEST(ParseQuery, ErrorsCarryTheColumn) {
  EXPECT_EQ(parsed(""), "error: column 1: empty query");
  EXPECT_EQ(parsed("   "), "error: column 4: empty query");
  EXPECT_EQ(parsed("a AND"), "error: column 6: unexpected end of query, expected a term");
  EXPECT_EQ(parsed("a OR OR b"), "error: column 6: expected a term before this operator");
  EXPECT_EQ(parsed("(a OR b"), "error: column 8: missing ')' for '(' at column 1");
  EXPECT_EQ(parsed("a b)"), "error: column 4: unbalanced ')'");
  EXPECT_EQ(parsed("a \"b c"), "error: column 3: unterminated phrase");
  EXPECT_EQ(parsed("\"a b\"~"), "error: column 6: expected a distance (a number) here");
  EXPECT_EQ(parsed("\"a b\"~1000"), "error: column 7: distance must be at most 100");
  EXPECT_EQ(parsed("a NEAR/x b"), "error: column 3: expected a distance (a number) here");
  EXPECT_EQ(parsed("(a OR b) NEAR/3 c"),
            "error: column 1: NEAR needs a term or phrase on its left");
  EXPECT_EQ(parsed("a NEAR/3 (b c)"), "error: column 10: NEAR needs a term or phrase on its right");
  EXPECT_EQ(parsed("autor:Meier"),
            "error: column 1: unknown field 'autor' (fields are title:, "
            "source:, lang:)");
  EXPECT_EQ(parsed("sank*tion"), "error: column 5: '*' is only allowed at the end of a term");
  EXPECT_EQ(parsed("a - b"), "error: column 3: '-' must be followed by a term");
  EXPECT_EQ(parsed("a --b"), "error: column 3: '-' must be followed by a term");
  EXPECT_EQ(parsed("a ()"), "error: column 4: empty parentheses");
  EXPECT_EQ(parsed("a \"...\""), "error: column 3: phrase has no words");
  EXPECT_EQ(parsed("a !!!"), "error: column 3: '!!!' has no letters or digits");
  EXPECT_EQ(parsed("source:(a OR b)"), "error: column 8: 'source:' takes a name");
  EXPECT_EQ(parsed("title: a"), "error: column 7: expected a value after 'title:'");
}

TEST(ParseQuery, DeepNestingIsAnErrorNotACrash) {
  EXPECT_EQ(parsed(std::string(50, '(') + "a" + std::string(50, ')')), "a");
  EXPECT_EQ(parsed(std::string(100000, '(') + "a"),
            "error: column 101: query nested deeper than 100 levels");
  std::string titles;
  for (int i = 0; i < 5000; ++i) titles += "title:";
  EXPECT_EQ(parsed(titles + "a").rfind("error: column ", 0), 0u);
  std::string flat;
  for (int i = 0; i < 20000; ++i) flat += "wort ";
  EXPECT_EQ(parsed(flat + "\"").rfind("error: column 100001: unterminated phrase", 0), 0u);
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "NOT ";
  EXPECT_EQ(parsed(nots + "a").rfind("error: column ", 0), 0u);
}

TEST(ParseQuery, ColumnsCountCodePoints) {
  // "Öl" is three bytes but two columns.
  EXPECT_EQ(parsed("Öl AND"), "error: column 7: unexpected end of query, expected a term");
}

TEST(ParseQuery, ColonInsideOtherWordsIsText) { EXPECT_EQ(parsed("10:30"), "\"10 30\""); }

TEST(ParseQuery, RandomInputEitherParsesOrNamesAColumnInside) {
  const std::string alphabet[] = {"a",   "Ö",    " ",      "(",     ")", "\"",  "-",
                                  "*",   ":",    "~",      "5",     "/", "OR",  "AND",
                                  "NOT", "NEAR", "title:", "lang:", "й", "\xff"};
  std::mt19937 rng(99);
  int parsed_ok = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    for (int n = std::uniform_int_distribution<int>(0, 12)(rng); n > 0; --n) {
      text += alphabet[std::uniform_int_distribution<std::size_t>(0, std::size(alphabet) - 1)(rng)];
      if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) text += ' ';
    }
    Result<Query> q = parse_query(text);
    if (q) {
      ++parsed_ok;
      EXPECT_FALSE(q->canonical().empty()) << text;
      continue;
    }
    const std::string& message = q.error().message;
    ASSERT_EQ(message.rfind("column ", 0), 0u) << text << " -> " << message;
    const int column = std::stoi(message.substr(7));
    std::size_t code_points = 0;
    for (unsigned char c : text) code_points += (c & 0xC0) != 0x80;
    EXPECT_GE(column, 1) << text;
    EXPECT_LE(static_cast<std::size_t>(column), code_points + 1) << text << " -> " << message;
  }
  EXPECT_GT(parsed_ok, 100);
}

}  // namespace
}  // namespace newswatch::alerts
