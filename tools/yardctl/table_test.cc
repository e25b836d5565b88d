#include "tools/yardctl/table.h"

#include "gtest/gtest.h"

namespace switchyard::yardctl {
namespace {

TEST(TableTest, AlignsColumnsWithoutTrailingSpaces) {
  Table table({"NAME", "ENDPOINTS"});
  table.AddRow({"blue", "127.0.0.1:9001"});
  table.AddRow({"green-canary", "127.0.0.1:9002"});
  EXPECT_EQ(table.Render(),
            "NAME          ENDPOINTS\n"
            "blue          127.0.0.1:9001\n"
            "green-canary  127.0.0.1:9002\n");
  EXPECT_EQ(table.rows(), 2u);
}

TEST(TableTest, ShortRowsAndEmptyLastCells) {
  Table table({"A", "B", "C"});
  table.AddRow({"x"});
  table.AddRow({"longer", "", ""});
  table.AddRow({"y", "z", "w", "extra"});
  EXPECT_EQ(table.Render(),
            "A       B  C\n"
            "x\n"
            "longer\n"
            "y       z  w  extra\n");
}

TEST(TableTest, HeaderlessWithIndent) {
  Table table;
  table.AddRow({"+", "cluster", "shop"});
  table.AddRow({"~", "virtual_host", "api"});
  EXPECT_EQ(table.Render("  "),
            "  +  cluster       shop\n"
            "  ~  virtual_host  api\n");
}

TEST(TableTest, EmptyTableIsJustTheHeader) {
  EXPECT_EQ(Table({"X", "Y"}).Render(), "X  Y\n");
  EXPECT_EQ(Table().Render(), "");
}

TEST(TableTest, WidthCountsCodePointsNotBytes) {
  Table table({"AUTHOR", "MESSAGE"});
  table.AddRow({"zoë", "ok"});
  table.AddRow({"bob", "ok"});
  EXPECT_EQ(table.Render(),
            "AUTHOR  MESSAGE\n"
            "zoë     ok\n"
            "bob     ok\n");
  EXPECT_EQ(DisplayWidth("zoë"), 3u);
  EXPECT_EQ(DisplayWidth("日本"), 2u);
}

TEST(TableTest, ControlCharactersCannotBreakARow) {
  Table table({"VERSION", "MESSAGE"});
  table.AddRow({"3", "line one\nline two\t\x01"});
  EXPECT_EQ(table.Render(),
            "VERSION  MESSAGE\n"
            "3        line one\\nline two\\t\\x01\n");
  EXPECT_EQ(EscapeControl("a\rb\x7f"), "a\\rb\\x7f");
}

}  // namespace
}  // namespace switchyard::yardctl
