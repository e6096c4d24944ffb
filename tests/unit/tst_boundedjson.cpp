#include "util/boundedjson.h"

#include <QTest>

#include <string>

using namespace canary;
using nlohmann::json;

namespace {

std::string nested(std::size_t depth, char open, char close, const std::string &inner = "1")
{
    std::string text;
    for (std::size_t i = 0; i < depth; ++i)
        text += open == '{' ? std::string("{\"a\":") : std::string(1, open);
    text += inner;
    text.append(depth, close);
    return text;
}

} // namespace

class TestBoundedJson final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void accepts_data();
    void accepts();
    void refuses_data();
    void refuses();
    void hugeNestingIsRefusedQuickly();
    void errorPlaceIsReported_data();
    void errorPlaceIsReported();
    void duplicateKeysOnlyWhenAsked();
    void customDepth();
};

void TestBoundedJson::accepts_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("expected"); // the same document, as nlohmann dumps it
    QTest::newRow("scalar") << QByteArray("42") << QByteArray("42");
    QTest::newRow("string") << QByteArray(R"("x")") << QByteArray(R"("x")");
    QTest::newRow("null") << QByteArray("null") << QByteArray("null");
    QTest::newRow("object") << QByteArray(R"({"a": [1, 2.5, true, null], "b": {"c": "d"}})")
                            << QByteArray(R"({"a":[1,2.5,true,null],"b":{"c":"d"}})");
    QTest::newRow("arrays-at-limit") << QByteArray::fromStdString(nested(64, '[', ']'))
                                     << QByteArray::fromStdString(nested(64, '[', ']'));
    QTest::newRow("objects-at-limit") << QByteArray::fromStdString(nested(64, '{', '}'))
                                      << QByteArray::fromStdString(nested(64, '{', '}'));
    // Brackets inside strings are text, not nesting.
    const std::string brackets(10'000, '[');
    QTest::newRow("brackets-in-string") << QByteArray::fromStdString("[\"" + brackets + "\"]")
                                        << QByteArray::fromStdString("[\"" + brackets + "\"]");
    QTest::newRow("brackets-in-key") << QByteArray::fromStdString("{\"" + brackets + "\": 1}")
                                     << QByteArray::fromStdString("{\"" + brackets + "\":1}");
    QTest::newRow("escaped-quote-then-brackets")
        << QByteArray(R"(["\"[[[[", {"k\"{": "}}"}])") << QByteArray(R"(["\"[[[[",{"k\"{":"}}"}])");
    QTest::newRow("empty-containers") << QByteArray("[[], {}, [{}]]") << QByteArray("[[],{},[{}]]");
    QTest::newRow("duplicate-key-last-wins")
        << QByteArray(R"({"a": 1, "a": 2})") << QByteArray(R"({"a":2})");
    QTest::newRow("big-unsigned") << QByteArray("18446744073709551615")
                                  << QByteArray("18446744073709551615");
}

void TestBoundedJson::accepts()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, expected);
    JsonParseError error;
    const auto value = parseBoundedJson(text.toStdString(), &error);
    QVERIFY2(value, error.message.c_str());
    QCOMPARE(QByteArray::fromStdString(value->dump()), expected);
}

void TestBoundedJson::refuses_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("messageStart");
    QTest::newRow("arrays-over-limit") << QByteArray::fromStdString(nested(65, '[', ']'))
                                       << QByteArray("JSON nested deeper than 64 levels");
    QTest::newRow("objects-over-limit") << QByteArray::fromStdString(nested(65, '{', '}'))
                                        << QByteArray("JSON nested deeper than 64 levels");
    QTest::newRow("mixed-over-limit")
        << QByteArray::fromStdString(nested(33, '[', ']', nested(32, '{', '}')))
        << QByteArray("JSON nested deeper than 64 levels");
    // Unclosed: refused for depth before the parser ever sees the missing end.
    QTest::newRow("unclosed-deep")
        << QByteArray(100, '[') << QByteArray("JSON nested deeper than 64 levels");
    QTest::newRow("unclosed-shallow") << QByteArray("[[1]") << QByteArray("JSON syntax error");
    QTest::newRow("empty") << QByteArray("") << QByteArray("JSON syntax error");
    QTest::newRow("garbage") << QByteArray("{x") << QByteArray("JSON syntax error");
    QTest::newRow("trailing") << QByteArray("{} {}") << QByteArray("JSON syntax error");
    QTest::newRow("bad-utf8") << QByteArray("\"\xff\"") << QByteArray("JSON syntax error");
    QTest::newRow("huge-number") << QByteArray(R"({"a": 1e999})")
                                 << QByteArray("JSON number 1e999 is too large to represent");
    QTest::newRow("huge-negative")
        << QByteArray("[-1e400]") << QByteArray("JSON number -1e400 is too large to represent");
}

void TestBoundedJson::refuses()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, messageStart);
    JsonParseError error;
    const auto value = parseBoundedJson(text.toStdString(), &error);
    QVERIFY(!value);
    QVERIFY2(QByteArray::fromStdString(error.message).startsWith(messageStart),
             error.message.c_str());
    QVERIFY2(error.message.find(" at byte ") != std::string::npos, error.message.c_str());
    QVERIFY(error.byte >= 1);
    QVERIFY(error.byte <= std::size_t(std::max<qsizetype>(text.size(), 1)));
    // Without an error pointer it just says no.
    QVERIFY(!parseBoundedJson(text.toStdString()));
}

void TestBoundedJson::hugeNestingIsRefusedQuickly()
{
    // The upstream attack: 100,000 nested arrays, 200 KB. Building this with nlohmann::json::parse
    // and copying it overflows the stack; here parsing stops at the 65th bracket.
    const auto text = nested(100'000, '[', ']');
    JsonParseError error;
    QVERIFY(!parseBoundedJson(text, &error));
    QCOMPARE(error.byte, std::size_t(65));
    QCOMPARE(
        error.message,
        std::string("JSON nested deeper than 64 levels at byte 65 (line 1, column 65) in ") + [] {
            std::string path;
            for (int i = 0; i < 64; ++i)
                path += "[0]";
            return path;
        }());
}

void TestBoundedJson::errorPlaceIsReported_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::newRow("number-in-object")
        << QByteArray("{\n  \"production\": {\n    \"simulate\": {\"latency_p50_ms\": 1e999}}}")
        << QByteArray("production.simulate.latency_p50_ms") << 3 << 36;
    QTest::newRow("number-in-array")
        << QByteArray(R"({"a": [1, 2, 1e999]})") << QByteArray("a[2]") << 1 << 14;
    QTest::newRow("syntax-in-array") << QByteArray(R"({"scenario": [{}, {"at_s": x}]})")
                                     << QByteArray("scenario[1].at_s") << 1 << 28;
    QTest::newRow("top-level") << QByteArray("nul") << QByteArray("") << 1 << 3;
}

void TestBoundedJson::errorPlaceIsReported()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, path);
    QFETCH(int, line);
    QFETCH(int, column);
    JsonParseError error;
    QVERIFY(!parseBoundedJson(text.toStdString(), &error));
    QCOMPARE(QByteArray::fromStdString(error.path), path);
    QCOMPARE(int(error.line), line);
    QCOMPARE(int(error.column), column);
    const auto where = "(line " + std::to_string(line) + ", column " + std::to_string(column) + ")";
    QVERIFY2(error.message.find(where) != std::string::npos, error.message.c_str());
    QVERIFY2(QByteArray::fromStdString(error.message).startsWith(error.reason.c_str()),
             error.message.c_str());
    QVERIFY(error.reason.find("byte") == std::string::npos);
}

void TestBoundedJson::duplicateKeysOnlyWhenAsked()
{
    const std::string text = "{\"production\": {\"model\": \"a\",\n \"model\": \"b\"}}";
    QVERIFY(parseBoundedJson(text));
    JsonParseOptions strict;
    strict.refuseDuplicateKeys = true;
    JsonParseError error;
    QVERIFY(!parseBoundedJson(text, &error, strict));
    QCOMPARE(error.path, std::string("production.model"));
    QCOMPARE(int(error.line), 2);
    QVERIFY2(error.message.find("JSON key \"model\" appears twice") == 0, error.message.c_str());
    // The same key in different objects is fine.
    QVERIFY(parseBoundedJson(R"({"a": {"k": 1}, "b": {"k": 2}, "k": 3})", nullptr, strict));
}

void TestBoundedJson::customDepth()
{
    JsonParseOptions options;
    options.maxDepth = 2;
    QVERIFY(parseBoundedJson("[[1]]", nullptr, options));
    QVERIFY(!parseBoundedJson("[[[1]]]", nullptr, options));
    options.maxDepth = 0;
    QVERIFY(parseBoundedJson("1", nullptr, options));
    QVERIFY(!parseBoundedJson("[]", nullptr, options));
}

QTEST_APPLESS_MAIN(TestBoundedJson)
#include "tst_boundedjson.moc"
