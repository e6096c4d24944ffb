// terminalSafe(): what backend text may and may not do to the operator's terminal.
#include "terminaltext.h"

#include <QTest>

using namespace canary::ctl;

class TestTerminalText final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void neutralises_data();
    void neutralises();
    void jsonWhitespaceIsAllowed_data();
    void jsonWhitespaceIsAllowed();
};

void TestTerminalText::neutralises_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("shown");

    QTest::newRow("plain") << QByteArray("fraud-model 2.4.0") << QByteArray("fraud-model 2.4.0");
    QTest::newRow("empty") << QByteArray() << QByteArray();
    QTest::newRow("utf8-kept") << QByteArray("modèle ✓ 模型 😀") << QByteArray("modèle ✓ 模型 😀");
    QTest::newRow("clear-screen-and-title")
        << QByteArray("m\x1b[2J\x1b]0;owned\x07") << QByteArray("m\\x1b[2J\\x1b]0;owned\\x07");
    QTest::newRow("newline-tab-cr")
        << QByteArray("a\nb\tc\rd") << QByteArray("a\\x0ab\\x09c\\x0dd");
    QTest::newRow("nul") << QByteArray("a\0b", 3) << QByteArray("a\\x00b");
    QTest::newRow("del") << QByteArray("a\x7f") << QByteArray("a\\x7f");
    // U+009B is CSI as a single C1 character: "\xc2\x9b" in UTF-8.
    QTest::newRow("c1-csi") << QByteArray("a\xc2\x9b"
                                          "2J")
                            << QByteArray("a\\u009b2J");
    QTest::newRow("c1-next-line") << QByteArray("\xc2\x85") << QByteArray("\\u0085");
    QTest::newRow("right-to-left-override")
        << QByteArray("evil\xe2\x80\xaegpj.exe") << QByteArray("evil\\u202egpj.exe");
    QTest::newRow("isolates") << QByteArray("\xe2\x81\xa6x\xe2\x81\xa9")
                              << QByteArray("\\u2066x\\u2069");
    QTest::newRow("marks") << QByteArray("\xe2\x80\x8f\xd8\x9c") << QByteArray("\\u200f\\u061c");
    QTest::newRow("lone-c1-byte") << QByteArray("a\x9b"
                                                "b")
                                  << QByteArray("a\\x9bb");
    QTest::newRow("truncated-sequence") << QByteArray("a\xe2\x80") << QByteArray("a\\xe2\\x80");
    QTest::newRow("overlong-esc") << QByteArray("\xc0\x9b") << QByteArray("\\xc0\\x9b");
    QTest::newRow("surrogate") << QByteArray("\xed\xa0\x80") << QByteArray("\\xed\\xa0\\x80");
    QTest::newRow("latin1-not-utf8") << QByteArray("caf\xe9") << QByteArray("caf\\xe9");
}

void TestTerminalText::neutralises()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, shown);
    const std::string out = terminalSafe(std::string_view(input.constData(), input.size()));
    QCOMPARE(QByteArray::fromStdString(out), shown);
    QCOMPARE(isTerminalSafe(std::string_view(input.constData(), input.size())), input == shown);
    // What comes out is itself safe, and stays as it is.
    QVERIFY(isTerminalSafe(out));
    QCOMPARE(terminalSafe(out), out);
}

void TestTerminalText::jsonWhitespaceIsAllowed_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("safe");

    QTest::newRow("compact") << QByteArray(R"({"a":"b"})") << true;
    QTest::newRow("pretty") << QByteArray("{\n\t\"a\": \"b\"\r\n}\n") << true;
    QTest::newRow("escaped-esc") << QByteArray(R"({"a":"\u001b[2J"})") << true;
    QTest::newRow("utf8") << QByteArray("{\"a\":\"modèle\"}") << true;
    QTest::newRow("raw-c1") << QByteArray("{\"a\":\"\xc2\x9b\"}") << false;
    QTest::newRow("raw-bidi") << QByteArray("{\"a\":\"\xe2\x80\xae\"}") << false;
    QTest::newRow("raw-esc") << QByteArray("{\"a\":\"\x1b\"}") << false;
    QTest::newRow("form-feed") << QByteArray("{}\f") << false;
}

void TestTerminalText::jsonWhitespaceIsAllowed()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, safe);
    QCOMPARE(isTerminalSafeJson(std::string_view(json.constData(), json.size())), safe);
}

QTEST_APPLESS_MAIN(TestTerminalText)
#include "tst_terminaltext.moc"
