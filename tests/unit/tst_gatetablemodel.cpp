// The analysis panel's table: what each cell says of a GateResult, and that sorting orders
// numbers as numbers and verdicts by severity, through the proxy the panel uses.
#include "analysispanel.h"
#include "gatetablemodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>

#include <cmath>
#include <limits>

using namespace canary;
using analysis::Verdict;

namespace {

analysis::GateResult gate(std::string name, Verdict verdict, double production, double canary,
                          std::int64_t canarySamples, double evidence)
{
    analysis::GateResult g;
    g.spec.name = std::move(name);
    g.verdict = verdict;
    g.productionValue = production;
    g.canaryValue = canary;
    g.delta = production > 0 ? canary / production - 1 : std::nan("");
    g.ratioLow = 0.5;
    g.ratioHigh = 2.0;
    g.productionSamples = canarySamples * 10;
    g.canarySamples = canarySamples;
    g.evidence = evidence;
    g.threshold = 20;
    g.sentence = "sentence of " + g.spec.name;
    return g;
}

// Four gates whose order differs by every column sorted on below.
analysis::Judgement fourGates()
{
    analysis::Judgement j;
    j.gates = {gate("errors", Verdict::Fail, 0.005, 0.03, 900, 41.3),
               gate("latency_tail", Verdict::Pass, 0.01, 0.009, 12000, 0.4),
               gate("latency_body", Verdict::Better, 0.5, 0.2, 80, 0.1),
               gate("accuracy", Verdict::Inconclusive, 0.92, 0.95, 150, 2)};
    j.overall = Verdict::Fail;
    j.sentence = "errors fails";
    return j;
}

QStringList names(std::initializer_list<const char *> list)
{
    QStringList out;
    for (const char *name : list)
        out << QString::fromUtf8(name);
    return out;
}

QStringList columnTexts(const QAbstractItemModel &model, int column)
{
    QStringList texts;
    for (int row = 0; row < model.rowCount(); ++row)
        texts << model.index(row, column).data().toString();
    return texts;
}

} // namespace

class TestGateTableModel final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void displayTexts_data();
    void displayTexts();
    void unknownsAreDashes();
    void sorts_data();
    void sorts();
    void verdictsSayItWithoutColour();
    void liveUpdateKeepsRows();
    void panelShowsOverallAndNoJudge();
};

void TestGateTableModel::displayTexts_data()
{
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("expected");
    QTest::newRow("gate") << int(GateTableModel::Gate) << "errors";
    QTest::newRow("verdict") << int(GateTableModel::VerdictColumn) << "✖ fail";
    QTest::newRow("production") << int(GateTableModel::Production) << "0.50 %";
    QTest::newRow("canary") << int(GateTableModel::Canary) << "3.00 %";
    QTest::newRow("delta") << int(GateTableModel::Delta) << "+500 %";
    QTest::newRow("interval") << int(GateTableModel::Interval) << "0.50–2.00×";
    QTest::newRow("samples") << int(GateTableModel::Samples) << "9,000 / 900";
    QTest::newRow("evidence") << int(GateTableModel::Evidence) << "1:41 (rollback at 1:20)";
    QTest::newRow("sentence") << int(GateTableModel::Sentence) << "sentence of errors";
}

void TestGateTableModel::displayTexts()
{
    QFETCH(int, column);
    QFETCH(QString, expected);
    GateTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setJudgement(fourGates());
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.index(0, column).data().toString(), expected);
    // The sentence is whole in every cell's tooltip.
    QCOMPARE(model.index(0, column).data(Qt::ToolTipRole).toString(),
             QStringLiteral("sentence of errors"));
}

void TestGateTableModel::unknownsAreDashes()
{
    analysis::Judgement j;
    const double nan = std::nan("");
    analysis::GateResult g = gate("accuracy", Verdict::NoData, nan, nan, 0, 1);
    g.ratioLow = nan;
    g.ratioHigh = nan;
    j.gates = {g, gate("open", Verdict::Inconclusive, 0.01, 0.01, 5, 1)};
    j.gates[1].ratioLow = 0;
    j.gates[1].ratioHigh = std::numeric_limits<double>::infinity();
    GateTableModel model;
    model.setJudgement(j);
    for (int c : {GateTableModel::Production, GateTableModel::Canary, GateTableModel::Delta,
                  GateTableModel::Interval})
        QCOMPARE(model.index(0, c).data().toString(), QStringLiteral("—"));
    QCOMPARE(model.index(0, GateTableModel::VerdictColumn).data().toString(),
             QStringLiteral("○ no data"));
    QCOMPARE(model.index(1, GateTableModel::Interval).data().toString(), QStringLiteral("0–∞×"));
    QCOMPARE(model.index(1, GateTableModel::Delta).data().toString(), QStringLiteral("±0 %"));
}

void TestGateTableModel::sorts_data()
{
    QTest::addColumn<int>("column");
    QTest::addColumn<int>("order");
    QTest::addColumn<QStringList>("gates"); // in the sorted order
    QTest::newRow("verdict, worst first")
        << int(GateTableModel::VerdictColumn) << int(Qt::DescendingOrder)
        << names({"errors", "accuracy", "latency_tail", "latency_body"});
    QTest::newRow("verdict, best first")
        << int(GateTableModel::VerdictColumn) << int(Qt::AscendingOrder)
        << names({"latency_body", "latency_tail", "accuracy", "errors"});
    // As text "12,000" would sort before "150" and "80"; as numbers it comes last.
    QTest::newRow("samples as numbers")
        << int(GateTableModel::Samples) << int(Qt::AscendingOrder)
        << names({"latency_body", "accuracy", "errors", "latency_tail"});
    // Text would put "+500 %" before "−10 %"; numbers put the worsening last.
    QTest::newRow("delta as numbers")
        << int(GateTableModel::Delta) << int(Qt::AscendingOrder)
        << names({"latency_body", "latency_tail", "accuracy", "errors"});
    QTest::newRow("evidence against its threshold")
        << int(GateTableModel::Evidence) << int(Qt::DescendingOrder)
        << names({"errors", "accuracy", "latency_tail", "latency_body"});
    QTest::newRow("canary figure") << int(GateTableModel::Canary) << int(Qt::AscendingOrder)
                                   << names({"latency_tail", "errors", "latency_body", "accuracy"});
}

void TestGateTableModel::sorts()
{
    QFETCH(int, column);
    QFETCH(int, order);
    QFETCH(QStringList, gates);
    AnalysisPanel panel; // the proxy as the panel sets it up
    panel.setJudgement(fourGates());
    panel.proxy()->sort(column, Qt::SortOrder(order));
    QCOMPARE(columnTexts(*panel.proxy(), GateTableModel::Gate), gates);
}

void TestGateTableModel::verdictsSayItWithoutColour()
{
    // Each verdict has its own mark and word: nothing rests on colour alone.
    QSet<QString> marks;
    QSet<QString> texts;
    const std::array verdicts = {Verdict::NoData, Verdict::Inconclusive, Verdict::Pass,
                                 Verdict::Better, Verdict::Fail};
    for (Verdict v : verdicts) {
        marks.insert(GateTableModel::verdictMark(v));
        texts.insert(GateTableModel::verdictText(v));
        QVERIFY(GateTableModel::verdictText(v).startsWith(GateTableModel::verdictMark(v)));
    }
    QCOMPARE(marks.size(), int(verdicts.size()));
    QCOMPARE(texts.size(), int(verdicts.size()));
    QCOMPARE(GateTableModel::verdictText(Verdict::Inconclusive), QStringLiteral("◔ inconclusive"));
    // Severity orders all five.
    QVERIFY(GateTableModel::severity(Verdict::Fail) > GateTableModel::severity(Verdict::NoData));
    QVERIFY(GateTableModel::severity(Verdict::NoData) >
            GateTableModel::severity(Verdict::Inconclusive));
    QVERIFY(GateTableModel::severity(Verdict::Inconclusive) >
            GateTableModel::severity(Verdict::Pass));
    QVERIFY(GateTableModel::severity(Verdict::Pass) > GateTableModel::severity(Verdict::Better));
}

void TestGateTableModel::liveUpdateKeepsRows()
{
    GateTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setJudgement(fourGates());
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    analysis::Judgement next = fourGates();
    next.gates[1].verdict = Verdict::Fail;
    model.setJudgement(next);
    // The same gates: cells change, rows stay (a selection and the sort survive each second).
    QCOMPARE(resets.count(), 0);
    QCOMPARE(changes.count(), 1);
    QCOMPARE(model.index(1, GateTableModel::VerdictColumn).data().toString(),
             QStringLiteral("✖ fail"));
    next.gates.pop_back();
    model.setJudgement(next);
    QCOMPARE(resets.count(), 1);
    QCOMPARE(model.rowCount(), 3);
}

void TestGateTableModel::panelShowsOverallAndNoJudge()
{
    AnalysisPanel panel;
    QCOMPARE(panel.overallText(), AnalysisPanel::noPlanText());
    QCOMPARE(panel.model()->rowCount(), 0);
    panel.setJudgement(fourGates(), QStringLiteral("step 1 of 3"));
    QCOMPARE(panel.overallText(), QStringLiteral("✖ fail: errors fails"));
    QCOMPARE(panel.captionText(), QStringLiteral("step 1 of 3"));
    QCOMPARE(panel.proxy()->rowCount(), 4);
    // Worst first by default.
    QCOMPARE(panel.proxy()->index(0, GateTableModel::Gate).data().toString(),
             QStringLiteral("errors"));
    panel.showNoJudge(QStringLiteral("gone"));
    QCOMPARE(panel.overallText(), QStringLiteral("gone"));
    QCOMPARE(panel.model()->rowCount(), 0);
}

QTEST_MAIN(TestGateTableModel)
#include "tst_gatetablemodel.moc"
