// Comparison reports: what the builder gathers, and each format read back by a reader that is not
// ours (pdftotext/pdftoppm, an XML parser, Python's csv module, a JSON Schema validator).
#include "report/reportbuilder.h"
#include "report/reportcsv.h"
#include "report/reporthtml.h"
#include "report/reportjson.h"
#include "report/reportwriter.h"
#include "reportcharts.h"
#include "reportexport.h"

#include <QBuffer>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QXmlStreamReader>

#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>

using namespace canary;
using namespace std::chrono_literals;
using metrics::Kpi;

namespace {

const char *const kHostileVersion = "<script>alert(1)</script>";
const SystemTime kStart = SystemTime(std::chrono::milliseconds(1'795'000'000'000));

audit::AuditEntry entry(std::chrono::seconds at, std::string action, bool automatic,
                        std::string outcome = "succeeded")
{
    audit::AuditEntry e;
    e.time = kStart + at;
    e.action = std::move(action);
    e.automatic = automatic;
    e.actor = automatic ? "auto" : "ana";
    e.plan = automatic ? "default" : "";
    e.backendKind = "Control API";
    e.backendAddress = "http://127.0.0.1:8080";
    e.outcome = std::move(outcome);
    return e;
}

nlohmann::json snapshotJson(double canaryErrors, std::chrono::seconds at)
{
    const auto variant = [](double errors, double p99) {
        return nlohmann::json{{"error_percent", errors}, {"p99_ms", p99},
                              {"p95_ms", 80.0},          {"p50_ms", 30.0},
                              {"mean_ms", 35.5},         {"accuracy_percent", 93.1},
                              {"labels", 512},           {"request_rate", 90.0},
                              {"requests", 5400},        {"errors", 54},
                              {"weight_percent", 90.0}};
    };
    return {
        {"from", formatRfc3339(kStart + at - 30s)},
        {"time", formatRfc3339(kStart + at)},
        {"live", true},
        {"production", variant(1.0, 120.0)},
        {"canary", variant(canaryErrors, 140.0)},
        {"variants",
         {{"production", {{"model", "fraud-scorer"}, {"version", "v2.0"}, {"weight_percent", 90}}},
          {"canary",
           {{"model", "fraud-scorer"}, {"version", kHostileVersion}, {"weight_percent", 10}}}}},
        {"verdict", "fail"},
        {"judgement", "errors fail: canary errors 2.1 % vs 1.0 %"},
        {"gates", nlohmann::json::array({{{"name", "errors"},
                                          {"metric", "error_rate"},
                                          {"critical", true},
                                          {"verdict", "fail"},
                                          {"sentence", "canary errors 2.1 % vs 1.0 % (+110 %)"},
                                          {"production", 1.0},
                                          {"canary", 2.1},
                                          {"delta", 1.1},
                                          {"ratio_low", 1.4},
                                          {"ratio_high", nullptr},
                                          {"production_samples", 34090},
                                          {"canary_samples", 3812},
                                          {"evidence", 2057.0},
                                          {"threshold", 20.0}}})}};
}

// A rollout rolled back by its plan after 9 minutes: the live console's view of it.
report::ReportData rolledBackReport(std::chrono::seconds span = 600s)
{
    report::ReportData data;
    data.from = kStart;
    data.to = kStart + span;
    data.exportedAt = data.to;
    data.exportedBy = "ana";
    data.backendKind = "Control API";
    data.backendAddress = "http://127.0.0.1:8080";
    data.source = "test";

    metrics::TimeSeriesStore store(48h);
    for (std::int64_t s = 0; s <= span.count(); ++s) {
        const SystemTime t = kStart + std::chrono::seconds(s);
        for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
            const bool canary = role == VariantRole::Canary;
            store.append(role, Kpi::RequestRate, t, canary ? 10.0 : 90.0);
            store.append(role, Kpi::ErrorRate, t, canary && s > 300 ? 0.021 : 0.01);
            store.append(role, Kpi::Accuracy, t, 0.93);
            store.append(role, Kpi::LatencyP50, t, 0.030);
            store.append(role, Kpi::LatencyP95, t, 0.080);
            store.append(role, Kpi::LatencyP99, t, s == 200 ? std::nan("") : 0.120);
            store.append(role, Kpi::Weight, t, canary ? 10.0 : 90.0);
        }
    }
    report::setSeries(data, store);

    RolloutState state;
    state.revision = 7;
    state.phase = RolloutPhase::Canary;
    state.production = {VariantRole::Production, "fraud-scorer", "v2.0", *Weight::fromPercent(90)};
    state.canary =
        VariantInfo{VariantRole::Canary, "fraud-scorer", kHostileVersion, *Weight::fromPercent(10)};
    report::setState(data, state);

    rollout::Plan plan = rollout::defaultPlan();
    report::setPlan(data, plan, 1, "rolled-back");

    std::vector<audit::AuditEntry> trail;
    trail.push_back(entry(10s, "plan_start", true, "decided"));
    auto advance = entry(300s, "plan_advance", true);
    advance.parameters = {{"step", 2}, {"canary", 10.0}};
    advance.snapshot = snapshotJson(1.0, 300s);
    trail.push_back(advance);
    auto rollback = entry(540s, "plan_rollback", true);
    rollback.parameters = {{"step", 2}};
    rollback.reason = "errors failed: canary errors 2.1 % vs 1.0 %, evidence 1:2,057";
    rollback.message = "Plan: errors failed.";
    rollback.snapshot = snapshotJson(2.1, 540s);
    trail.push_back(rollback);
    trail.push_back(entry(-100s, "set_weight", false)); // before the window: left out
    report::addAuditTrail(data, trail);
    report::finishReport(data);
    return data;
}

QString run(const QString &program, const QStringList &arguments, int *exitCode = nullptr)
{
    QProcess process;
    process.start(program, arguments);
    if (!process.waitForFinished(60000))
        return QStringLiteral("timeout");
    if (exitCode)
        *exitCode = process.exitCode();
    return QString::fromUtf8(process.readAllStandardOutput() + process.readAllStandardError());
}

// The share of pixels that are not (near) white.
double inkShare(const QImage &image)
{
    std::int64_t ink = 0;
    for (int y = 0; y < image.height(); y += 2) {
        for (int x = 0; x < image.width(); x += 2) {
            if (qGray(image.pixel(x, y)) < 230)
                ++ink;
        }
    }
    return double(ink) / (double(image.width() / 2) * double(image.height() / 2));
}

} // namespace

class TestReport final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void builderGathersTheRollout();
    void headline_data();
    void headline();
    void trailOnlyReportDrawsFromSnapshots();
    void escapesHtml_data();
    void escapesHtml();
    void csvCells_data();
    void csvCells();
    void csvRoundTrips();
    void jsonValidatesAgainstItsSchema();
    void htmlParsesEmbedsItsImagesAndRunsNoScript();
    void pdfHoldsTheVerdictVersionsAndFigures();
    void chartsAreDrawn();
    void exportRunsOffTheGuiThread();
    void cancelledExportLeavesNoFile();
};

void TestReport::builderGathersTheRollout()
{
    const report::ReportData data = rolledBackReport();
    QCOMPARE(data.series.size(), std::size_t(14));
    QCOMPARE(data.series.front().points.size(), std::size_t(601));
    QCOMPARE(data.timeline.size(), std::size_t(3)); // the set_weight before the window is out
    QCOMPARE(data.canary.version, std::string(kHostileVersion));
    // The figures come from the newest snapshot where no live window set them.
    QCOMPARE(data.canary.errorPercent, 2.1);
    QCOMPARE(data.canary.meanMs, 35.5);
    QCOMPARE(data.canary.labels, 512.0);
    QCOMPARE(data.verdict, std::string("fail"));
    QCOMPARE(data.gates.size(), std::size_t(1));
    QVERIFY(std::isnan(data.gates[0].ratioHigh)); // open end
    QVERIFY(data.plan);
    QCOMPARE(data.plan->reachedStep, 1);
    QVERIFY2(data.plan->summary.find("step 2 of 3") != std::string::npos,
             data.plan->summary.c_str());
    QVERIFY(data.title.find("fraud-scorer") != std::string::npos);
}

void TestReport::headline_data()
{
    QTest::addColumn<QString>("action");
    QTest::addColumn<bool>("automatic");
    QTest::addColumn<QString>("outcome");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<QString>("words");
    QTest::newRow("plan rollback") << "plan_rollback" << true << "succeeded"
                                   << "rolled-back"
                                   << "rolled back automatically by plan \"default\"";
    QTest::newRow("manual promote") << "promote" << false << "succeeded"
                                    << "promoted"
                                    << "promoted by ana";
    QTest::newRow("failed rollback") << "rollback" << false << "failed"
                                     << "in-progress"
                                     << "neither promoted nor rolled back";
    QTest::newRow("weight only") << "set_weight" << false << "succeeded"
                                 << "in-progress"
                                 << "10.0 % of the traffic";
}

void TestReport::headline()
{
    QFETCH(QString, action);
    QFETCH(bool, automatic);
    QFETCH(QString, outcome);
    QFETCH(QString, expected);
    QFETCH(QString, words);
    report::ReportData data;
    data.from = kStart;
    data.to = kStart + 600s;
    data.canary.model = "m";
    data.canary.version = "v2";
    data.canary.weightPercent = 10;
    auto e = entry(60s, action.toStdString(), automatic, outcome.toStdString());
    e.reason = "the gates passed";
    report::addAuditTrail(data, {e});
    report::finishReport(data);
    QCOMPARE(QString::fromStdString(data.headline.outcome), expected);
    QVERIFY2(data.headline.sentence.find(words.toStdString()) != std::string::npos,
             data.headline.sentence.c_str());
}

void TestReport::trailOnlyReportDrawsFromSnapshots()
{
    report::ReportData data;
    data.from = kStart;
    data.to = kStart + 600s;
    auto a = entry(100s, "plan_advance", true);
    a.snapshot = snapshotJson(1.0, 100s);
    auto b = entry(200s, "plan_rollback", true);
    b.snapshot = snapshotJson(2.1, 200s);
    report::addAuditTrail(data, {b, a}); // out of order: sorted by time
    QCOMPARE(data.timeline.front().action, std::string("plan_advance"));
    QVERIFY(data.pointCount() > 0);
    bool found = false;
    for (const report::ReportSeries &line : data.series) {
        if (line.role == VariantRole::Canary && line.kpi == Kpi::ErrorRate) {
            QCOMPARE(line.points.size(), std::size_t(2));
            QCOMPARE(line.points[1].second, 0.021);
            found = true;
        }
    }
    QVERIFY(found);
    QVERIFY(!data.notes.empty()); // says the lines join recorded moments
}

void TestReport::escapesHtml_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("script") << QByteArray(kHostileVersion)
                            << QByteArray("&lt;script&gt;alert(1)&lt;/script&gt;");
    QTest::newRow("attribute") << QByteArray("\" onload='x'")
                               << QByteArray("&quot; onload=&#39;x&#39;");
    QTest::newRow("ampersand") << QByteArray("a&b") << QByteArray("a&amp;b");
    QTest::newRow("utf-8 kept") << QByteArray("mod\xc3\xa8le \xe2\x9c\x93")
                                << QByteArray("mod\xc3\xa8le \xe2\x9c\x93");
    QTest::newRow("invalid utf-8") << QByteArray("a\xff"
                                                 "b")
                                   << QByteArray("a\xef\xbf\xbd"
                                                 "b");
    QTest::newRow("overlong") << QByteArray("\xc0\xbc") << QByteArray("\xef\xbf\xbd\xef\xbf\xbd");
    QTest::newRow("control") << QByteArray("a\x1b[31mb") << QByteArray("a[31mb");
}

void TestReport::escapesHtml()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);
    QCOMPARE(QByteArray::fromStdString(report::escapeHtml(input.toStdString())), expected);
}

void TestReport::csvCells_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected");
    QTest::newRow("plain") << "v2.1"
                           << "v2.1";
    QTest::newRow("formula") << "=HYPERLINK(\"x\")"
                             << "\"'=HYPERLINK(\"\"x\"\")\"";
    QTest::newRow("plus") << "+1"
                          << "'+1";
    QTest::newRow("minus") << "-1+2"
                           << "'-1+2";
    QTest::newRow("at") << "@SUM(A1)"
                        << "'@SUM(A1)";
    QTest::newRow("tab") << "\tx"
                         << "'\tx";
    QTest::newRow("carriage return") << "\rx"
                                     << "\"'\rx\"";
    QTest::newRow("comma") << "a,b"
                           << "\"a,b\"";
    QTest::newRow("newline") << "a\nb"
                             << "\"a\nb\"";
    QTest::newRow("space kept") << " a "
                                << "\" a \"";
}

void TestReport::csvCells()
{
    QFETCH(QString, input);
    QFETCH(QString, expected);
    QCOMPARE(QString::fromStdString(report::csvTextCell(input.toStdString())), expected);
}

void TestReport::csvRoundTrips()
{
    report::ReportData data = rolledBackReport(120s);
    data.production.version = "=cmd|' /C calc'!A0";
    data.canary.model = "model, \"quoted\"\nnext line";
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("report.csv"));
    std::string error;
    QVERIFY2(report::writeReport(data, {}, report::Format::Csv, path.toStdString(), {}, &error),
             error.c_str());
    int code = -1;
    const QString rowsText =
        run(QStringLiteral("python3"),
            {QStringLiteral(CANARY_TEST_FIXTURES "/report/read_csv.py"), path}, &code);
    QVERIFY2(code == 0, qPrintable(rowsText));
    const nlohmann::json rows = nlohmann::json::parse(rowsText.toStdString());
    QCOMPARE(rows.size(), 1 + 14 * 121);
    QCOMPARE(
        rows[0].dump(),
        std::string("[\"time\",\"variant\",\"model\",\"version\",\"kpi\",\"unit\",\"value\"]"));
    std::size_t gaps = 0;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const nlohmann::json &row = rows[i];
        QCOMPARE(row.size(), std::size_t(7));
        if (row[1] == "production") {
            QCOMPARE(row[3].get<std::string>(), std::string("'=cmd|' /C calc'!A0"));
        } else {
            QCOMPARE(row[2].get<std::string>(), std::string("model, \"quoted\"\nnext line"));
        }
        if (row[4] == "error_rate" && row[1] == "canary")
            QCOMPARE(std::stod(row[6].get<std::string>()), 1.0); // 0.01 as %
        if (row[6] == "")
            ++gaps;
    }
    QCOMPARE(gaps, std::size_t(0)); // the p99 gap is at 200 s, past this window
}

void TestReport::jsonValidatesAgainstItsSchema()
{
    const report::ReportData data = rolledBackReport();
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("report.json"));
    std::string error;
    QVERIFY2(report::writeReport(data, {}, report::Format::Json, path.toStdString(), {}, &error),
             error.c_str());
    int code = -1;
    const QString output = run(QStringLiteral("python3"),
                               {QStringLiteral(CANARY_TEST_FIXTURES "/report/validate_schema.py"),
                                QStringLiteral(CANARY_REPORT_SCHEMA), path},
                               &code);
    QVERIFY2(code == 0, qPrintable(output));

    // The validator is not lenient: a document with a wrong type fails.
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    nlohmann::json document = nlohmann::json::parse(file.readAll().toStdString());
    file.close();
    QCOMPARE(document["schema_version"].get<int>(), 1);
    QCOMPARE(document["variants"]["canary"]["version"].get<std::string>(),
             std::string(kHostileVersion));
    document["variants"]["canary"]["requests"] = "many";
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(QByteArray::fromStdString(document.dump()));
    file.close();
    run(QStringLiteral("python3"),
        {QStringLiteral(CANARY_TEST_FIXTURES "/report/validate_schema.py"),
         QStringLiteral(CANARY_REPORT_SCHEMA), path},
        &code);
    QCOMPARE(code, 1);
}

void TestReport::htmlParsesEmbedsItsImagesAndRunsNoScript()
{
    const report::ReportData data = rolledBackReport();
    const auto charts = renderReportCharts(data);
    QCOMPARE(charts.size(), std::size_t(1));
    const std::string html = report::renderHtml(data, charts);

    QXmlStreamReader xml(QByteArray::fromStdString(html));
    int images = 0;
    bool hostileTextSeen = false;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement()) {
            QVERIFY2(xml.name() != QLatin1String("script"), "a script element");
            QVERIFY2(xml.name() != QLatin1String("link"), "an external resource");
            for (const QXmlStreamAttribute &attribute : xml.attributes())
                QVERIFY2(!attribute.name().startsWith(QLatin1String("on")), "an event handler");
            if (xml.name() == QLatin1String("img")) {
                const QString src = xml.attributes().value(QLatin1String("src")).toString();
                QVERIFY2(src.startsWith(QLatin1String("data:image/png;base64,")),
                         qPrintable(src.left(40)));
                QImage image;
                QVERIFY(image.loadFromData(QByteArray::fromBase64(src.mid(22).toLatin1()), "PNG"));
                QVERIFY(image.width() > 800);
                ++images;
            }
        }
        if (xml.isCharacters() && xml.text().contains(QLatin1String(kHostileVersion)))
            hostileTextSeen = true; // as text, after the parser decoded it
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QCOMPARE(images, 1);
    QVERIFY(hostileTextSeen);
    QVERIFY(html.find("<script") == std::string::npos);
    QVERIFY(html.find("http://") == std::string::npos ||
            html.find("src=\"http") == std::string::npos);
    QVERIFY(html.find("Rolled back") != std::string::npos);
}

void TestReport::pdfHoldsTheVerdictVersionsAndFigures()
{
    const report::ReportData data = rolledBackReport();
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("report.pdf"));
    std::string error;
    QVERIFY2(report::writeReport(data, renderReportCharts(data), report::Format::Pdf,
                                 path.toStdString(), {}, &error),
             error.c_str());
    QFile::remove(QStringLiteral("report-rolled-back.pdf"));
    QFile::copy(path, QStringLiteral("report-rolled-back.pdf")); // to look at, in the build tree
    int code = -1;
    const QString text = run(QStringLiteral("pdftotext"),
                             {QStringLiteral("-layout"), path, QStringLiteral("-")}, &code);
    QCOMPARE(code, 0);
    const QString flat = text.simplified();
    for (const char *expected :
         {"Rolled back", "rolled back automatically by plan", "Fail", "v2.0", kHostileVersion,
          "2.10 %", "1.00 %", "35.5 ms", "5,400", "512", "1:2,057", "plan rollback",
          "errors failed: canary errors 2.1 % vs 1.0 %", "http://127.0.0.1:8080"}) {
        QVERIFY2(
            flat.contains(QString::fromUtf8(expected)),
            qPrintable(
                QStringLiteral("missing \"%1\" in:\n%2").arg(QString::fromUtf8(expected), text)));
    }
    const QString prefix = dir.filePath(QStringLiteral("page"));
    run(QStringLiteral("pdftoppm"),
        {QStringLiteral("-r"), QStringLiteral("40"), QStringLiteral("-png"), QStringLiteral("-f"),
         QStringLiteral("1"), QStringLiteral("-l"), QStringLiteral("1"), path, prefix},
        &code);
    QCOMPARE(code, 0);
    QImage page(prefix + QStringLiteral("-1.png"));
    QVERIFY(!page.isNull());
    QVERIFY2(inkShare(page) > 0.02, qPrintable(QString::number(inkShare(page))));
}

void TestReport::chartsAreDrawn()
{
    const auto charts = renderReportCharts(rolledBackReport());
    QCOMPARE(charts.size(), std::size_t(1));
    QImage image;
    QVERIFY(image.loadFromData(QByteArray::fromStdString(charts[0].png), "PNG"));
    QCOMPARE(image.width(), charts[0].width);
    // Both columns hold lines: ink on the left and on the right half.
    QVERIFY(inkShare(image.copy(0, 0, image.width() / 2, image.height())) > 0.01);
    QVERIFY(inkShare(image.copy(image.width() / 2, 0, image.width() / 2, image.height())) > 0.01);
    image.save(QStringLiteral("report-charts.png"));
    // No data: no chart rather than empty axes.
    QVERIFY(renderReportCharts(report::ReportData{}).empty());
}

void TestReport::exportRunsOffTheGuiThread()
{
    // A day of one-second points in every series: the long export the progress dialog is for.
    report::ReportData data = rolledBackReport(24h);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("day.csv"));
    ReportExporter exporter;
    int ticks = 0;
    int lastProgress = -1;
    QTimer timer;
    connect(&timer, &QTimer::timeout, this, [&] { ++ticks; });
    timer.start(5);
    connect(&exporter, &ReportExporter::progressed, this,
            [&](int permille) { lastProgress = permille; });
    bool written = false;
    bool done = false;
    connect(&exporter, &ReportExporter::finished, this, [&](bool ok, const QString &) {
        written = ok;
        done = true;
    });
    QVERIFY(exporter.start(std::move(data), {}, report::Format::Csv, path));
    QVERIFY(exporter.busy());
    QVERIFY(!exporter.start({}, {}, report::Format::Csv, path)); // one at a time
    QTRY_VERIFY_WITH_TIMEOUT(done, 120000);
    QVERIFY(written);
    QCOMPARE(lastProgress, 1000);
    QVERIFY2(ticks > 0, "the GUI thread's timer never ran during the export");
    QVERIFY(QFileInfo(path).size() > 50'000'000);
}

void TestReport::cancelledExportLeavesNoFile()
{
    report::ReportData data = rolledBackReport(24h);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("day.csv"));
    ReportExporter exporter;
    bool done = false;
    bool written = true;
    QString message;
    connect(&exporter, &ReportExporter::progressed, &exporter, &ReportExporter::cancel);
    connect(&exporter, &ReportExporter::finished, this, [&](bool ok, const QString &why) {
        written = ok;
        message = why;
        done = true;
    });
    QVERIFY(exporter.start(std::move(data), {}, report::Format::Csv, path));
    QTRY_VERIFY_WITH_TIMEOUT(done, 120000);
    QVERIFY(!written);
    QVERIFY(message.contains(QLatin1String("cancelled")));
    QVERIFY(!QFileInfo::exists(path));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 0); // no temporary left either
}

QTEST_MAIN(TestReport)
#include "tst_report.moc"
