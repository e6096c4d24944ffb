// The History dock's table: what each column says of an AuditEntry, that text from the trail
// stays plain text (in cells and in tooltips, which would render markup), that entries without
// a snapshot or with odd parameters show, and that times and outcomes sort as what they are.
#include "audittablemodel.h"

#include <QAbstractItemModelTester>
#include <QSortFilterProxyModel>
#include <QTest>

#include <cstdlib>
#include <ctime>

using namespace canary;

namespace {

SystemTime at(const char *rfc3339)
{
    return *parseRfc3339(rfc3339);
}

// A plan's automatic rollback and an operator's weight change, as the console records them.
audit::AuditEntry planRollback()
{
    audit::AuditEntry e;
    e.id = 7;
    e.time = at("2026-12-01T09:41:07.120Z");
    e.actor = "auto";
    e.automatic = true;
    e.plan = "fraud-model 2.4.0";
    e.backendKind = "Control API";
    e.backendAddress = "http://127.0.0.1:8080";
    e.action = "plan_rollback";
    e.parameters = {{"plan", "fraud-model 2.4.0"},
                    {"automatic", true},
                    {"verdict", "fail"},
                    {"step", 2},
                    {"canary", 25},
                    {"judgement", "errors fails"}};
    e.reason = "A critical gate failed at step 2 of 3";
    e.outcome = "succeeded";
    e.message = "Plan: A critical gate failed at step 2 of 3";
    e.finishedAt = at("2026-12-01T09:41:07.480Z");
    return e;
}

audit::AuditEntry weightChange()
{
    audit::AuditEntry e;
    e.id = 3;
    e.time = at("2026-12-01T08:15:00.000Z");
    e.actor = "ana";
    e.backendKind = "HAProxy";
    e.backendAddress = "unix:///run/haproxy.sock";
    e.action = "set_weight";
    e.parameters = {{"canary", 12.4}};
    e.outcome = "conflict";
    return e;
}

audit::AuditEntry withOutcome(std::int64_t id, const char *outcome, const char *time)
{
    audit::AuditEntry e = weightChange();
    e.id = id;
    e.outcome = outcome;
    e.time = at(time);
    return e;
}

} // namespace

class TestAuditTableModel final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void columns_data();
    void columns();
    void timeTooltipIsUtc();
    void parameters_data();
    void parameters();
    void outcomesSayItWithoutColour();
    void hostileTextStaysPlain();
    void entryWithoutSnapshot();
    void sorts_data();
    void sorts();
};

void TestAuditTableModel::initTestCase()
{
    // Local time one hour east of UTC all year, so "local" is seen to differ from UTC.
    qputenv("TZ", "CET-1");
    tzset();
}

void TestAuditTableModel::columns_data()
{
    QTest::addColumn<int>("entry"); // 0: the plan's rollback, 1: the operator's weight change
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("expected");
    using M = AuditTableModel;
    QTest::newRow("time, local") << 0 << int(M::Time) << "2026-12-01 10:41:07";
    QTest::newRow("actor with plan") << 0 << int(M::Actor) << "auto (fraud-model 2.4.0)";
    QTest::newRow("actor") << 1 << int(M::Actor) << "ana";
    QTest::newRow("action") << 0 << int(M::Action) << "plan_rollback";
    QTest::newRow("parameters of a plan")
        << 0 << int(M::Parameters) << "step 2 · canary 25 % · verdict fail";
    QTest::newRow("parameters of a weight") << 1 << int(M::Parameters) << "canary 12.4 %";
    QTest::newRow("succeeded") << 0 << int(M::Outcome) << "✔ succeeded";
    QTest::newRow("conflict") << 1 << int(M::Outcome) << "⚠ conflict";
    QTest::newRow("backend") << 0 << int(M::Backend) << "Control API http://127.0.0.1:8080";
    QTest::newRow("haproxy") << 1 << int(M::Backend) << "HAProxy unix:///run/haproxy.sock";
    QTest::newRow("message") << 0 << int(M::Message)
                             << "Plan: A critical gate failed at step 2 of 3";
    QTest::newRow("no message") << 1 << int(M::Message) << "";
}

void TestAuditTableModel::columns()
{
    QFETCH(int, entry);
    QFETCH(int, column);
    QFETCH(QString, expected);
    AuditTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setEntries({planRollback(), weightChange()});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.columnCount(), int(AuditTableModel::ColumnCount));
    QCOMPARE(model.index(entry, column).data().toString(), expected);
    QCOMPARE(model.index(entry, column).data(AuditTableModel::kIdRole).toLongLong(),
             entry == 0 ? 7LL : 3LL);
    QVERIFY(!model.headerData(column, Qt::Horizontal).toString().isEmpty());
}

void TestAuditTableModel::timeTooltipIsUtc()
{
    AuditTableModel model;
    model.setEntries({planRollback()});
    const QString tip = model.index(0, AuditTableModel::Time).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QStringLiteral("2026-12-01T09:41:07.120Z (UTC)")), qPrintable(tip));
    QVERIFY2(tip.contains(QStringLiteral("finished 2026-12-01T09:41:07.480Z")), qPrintable(tip));
    // The reason is whole in the message's tooltip.
    const QString why = model.index(0, AuditTableModel::Message).data(Qt::ToolTipRole).toString();
    QVERIFY2(why.contains(QStringLiteral("Why: A critical gate failed")), qPrintable(why));
}

void TestAuditTableModel::parameters_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("expected");
    QTest::newRow("none") << "{}"
                          << "";
    QTest::newRow("weight") << "{\"weight\": 5}"
                            << "weight 5 %";
    QTest::newRow("stage") << "{\"version\": \"2.4.0\", \"model\": \"fraud\", \"image\": \"x:1\"}"
                           << "model fraud · version 2.4.0 · image x:1";
    QTest::newRow("null value") << "{\"canary\": null}"
                                << "canary —";
    QTest::newRow("nested") << "{\"labels\": {\"a\": 1}}"
                            << "labels {\"a\":1}";
    QTest::newRow("not an object") << "[1, 2]"
                                   << "[1,2]";
    QTest::newRow("null") << "null"
                          << "";
    QTest::newRow("only what other columns tell")
        << "{\"plan\": \"p\", \"automatic\": false, \"judgement\": \"long sentence\"}"
        << "";
}

void TestAuditTableModel::parameters()
{
    QFETCH(QString, json);
    QFETCH(QString, expected);
    QCOMPARE(AuditTableModel::parametersText(nlohmann::json::parse(json.toStdString())), expected);
}

void TestAuditTableModel::outcomesSayItWithoutColour()
{
    QSet<QString> marks;
    const std::array<std::string_view, 5> outcomes = {"pending", "succeeded", "failed", "conflict",
                                                      "decided"};
    for (const std::string_view outcome : outcomes) {
        const QString text = AuditTableModel::outcomeText(outcome);
        marks.insert(AuditTableModel::outcomeMark(outcome));
        QVERIFY(text.startsWith(AuditTableModel::outcomeMark(outcome)));
        QVERIFY2(text.endsWith(QString::fromUtf8(outcome.data(), qsizetype(outcome.size()))),
                 qPrintable(text));
    }
    QCOMPARE(marks.size(), int(outcomes.size()));
    // A word the console does not know is shown as it is, with a mark of its own.
    QCOMPARE(AuditTableModel::outcomeText("exploded"), QStringLiteral("? exploded"));
    QCOMPARE(AuditTableModel::outcomeText(""), QStringLiteral("? unknown"));
    // The colour is a cue for what went wrong and what is settled, not the message.
    QVERIFY(AuditTableModel::outcomeColor("failed").isValid());
    QVERIFY(AuditTableModel::outcomeColor("failed") != AuditTableModel::outcomeColor("succeeded"));
    QVERIFY(!AuditTableModel::outcomeColor("exploded").isValid());
}

void TestAuditTableModel::hostileTextStaysPlain()
{
    audit::AuditEntry e = planRollback();
    e.actor = "<b>root</b>\nadmin";
    e.automatic = false;
    e.action = "rollback<script>alert(1)</script>";
    e.backendAddress = "http://x/<img src=file:///etc/passwd>";
    e.message = "line one\r\nline two\tand\x1b[31m red\xe2\x80\xae reversed";
    e.reason = "<a href='http://evil'>click</a>";
    e.parameters = {{"version", "<i>2</i>"}};
    e.outcome = "<u>ok</u>";
    AuditTableModel model;
    model.setEntries({e});
    const auto cell = [&](int c, int role = Qt::DisplayRole) {
        return model.index(0, c).data(role).toString();
    };
    QCOMPARE(cell(AuditTableModel::Actor), QStringLiteral("<b>root</b> admin"));
    QCOMPARE(cell(AuditTableModel::Action), QStringLiteral("rollback<script>alert(1)</script>"));
    QCOMPARE(cell(AuditTableModel::Parameters), QStringLiteral("version <i>2</i>"));
    QCOMPARE(cell(AuditTableModel::Outcome), QStringLiteral("? <u>ok</u>"));
    // One line: breaks and tabs are spaces; the escape character and the right-to-left override
    // (which would reverse what follows on screen) are replaced.
    QCOMPARE(cell(AuditTableModel::Message),
             QStringLiteral("line one  line two and\uFFFD[31m red\uFFFD reversed"));
    for (int c = 0; c < AuditTableModel::ColumnCount; ++c) {
        // Tooltips are rendered as rich text: the trail's markup arrives escaped.
        const QString tip = cell(c, Qt::ToolTipRole);
        QVERIFY2(!tip.contains(QStringLiteral("<b>")) && !tip.contains(QStringLiteral("<img")) &&
                     !tip.contains(QStringLiteral("<a ")) &&
                     !tip.contains(QStringLiteral("<script")) &&
                     !tip.contains(QStringLiteral("<i>")),
                 qPrintable(tip));
    }
    const QString why = cell(AuditTableModel::Message, Qt::ToolTipRole);
    QVERIFY2(why.contains(QStringLiteral("&lt;a href='http://evil'&gt;click&lt;/a&gt;")),
             qPrintable(why));
    // A long text is cut, not a megabyte in a cell.
    QCOMPARE(AuditTableModel::oneLine(std::string(5000, 'x'), 300).size(), 301);
}

void TestAuditTableModel::entryWithoutSnapshot()
{
    // An entry imported from the earlier log: no snapshot, no backend kind, parameters null.
    audit::AuditEntry e;
    e.id = 1;
    e.time = at("2026-11-30T23:59:59.000Z");
    e.actor = "ana";
    e.backendAddress = "http://127.0.0.1:8080";
    e.action = "promote";
    e.parameters = nullptr;
    e.snapshot = nullptr;
    e.outcome = "pending";
    AuditTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setEntries({e});
    QCOMPARE(model.index(0, AuditTableModel::Time).data().toString(),
             QStringLiteral("2026-12-01 00:59:59"));
    QCOMPARE(model.index(0, AuditTableModel::Parameters).data().toString(), QString());
    QCOMPARE(model.index(0, AuditTableModel::Backend).data().toString(),
             QStringLiteral("http://127.0.0.1:8080"));
    QCOMPARE(model.index(0, AuditTableModel::Outcome).data().toString(),
             QStringLiteral("◌ pending"));
    QCOMPARE(model.rowOf(1), 0);
    QCOMPARE(model.rowOf(2), -1);
    QVERIFY(!model.entry(1));
}

void TestAuditTableModel::sorts_data()
{
    QTest::addColumn<int>("column");
    QTest::addColumn<int>("order");
    QTest::addColumn<QList<qlonglong>>("ids"); // in the sorted order
    // As text, "2026-12-01 09:05" and "2026-12-01 10:00" sort right too; the id order below is
    // not the time order, so the sort is seen to follow the time.
    QTest::newRow("time, newest first")
        << int(AuditTableModel::Time) << int(Qt::DescendingOrder) << QList<qlonglong>{2, 4, 1, 3};
    QTest::newRow("time, oldest first")
        << int(AuditTableModel::Time) << int(Qt::AscendingOrder) << QList<qlonglong>{3, 1, 4, 2};
    // Outcomes by severity, not alphabetically ("conflict" < "failed" < "pending" < "succeeded").
    QTest::newRow("outcome, worst first")
        << int(AuditTableModel::Outcome) << int(Qt::DescendingOrder)
        << QList<qlonglong>{4, 3, 1, 2};
}

void TestAuditTableModel::sorts()
{
    QFETCH(int, column);
    QFETCH(int, order);
    QFETCH(QList<qlonglong>, ids);
    AuditTableModel model;
    model.setEntries({withOutcome(1, "pending", "2026-12-01T09:05:00Z"),
                      withOutcome(2, "succeeded", "2026-12-01T11:00:00Z"),
                      withOutcome(3, "conflict", "2026-11-30T22:00:00Z"),
                      withOutcome(4, "failed", "2026-12-01T10:00:00Z")});
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(AuditTableModel::kSortRole);
    proxy.sort(column, Qt::SortOrder(order));
    QList<qlonglong> sorted;
    for (int row = 0; row < proxy.rowCount(); ++row)
        sorted << proxy.index(row, 0).data(AuditTableModel::kIdRole).toLongLong();
    QCOMPARE(sorted, ids);
}

QTEST_MAIN(TestAuditTableModel)
#include "tst_audittablemodel.moc"
