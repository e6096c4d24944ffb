#include "metrics/expositionparser.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

#include <cmath>
#include <string>

using namespace canary::metrics;

Q_DECLARE_METATYPE(canary::metrics::ExpositionFormat)

namespace {

const QString kOpenMetricsSuite = QStringLiteral(CANARY_TEST_DATA "/openmetrics/parsers");
const QString kPrometheusText = QStringLiteral(CANARY_TEST_DATA "/prometheus-text");
constexpr int kMinOpenMetricsCases = 200;

std::string readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray bytes = file.readAll();
    return std::string(bytes.constData(), std::size_t(bytes.size()));
}

QString firstError(const Exposition &e)
{
    if (e.errors.empty())
        return QStringLiteral("(no error)");
    const ParseError &err = e.errors.front();
    return QStringLiteral("%1:%2 %3")
        .arg(err.line)
        .arg(err.column)
        .arg(QString::fromStdString(err.message));
}

QString describe(const std::vector<ParseError> &errors)
{
    QStringList lines;
    for (const ParseError &err : errors)
        lines << QStringLiteral("%1:%2 %3")
                     .arg(err.line)
                     .arg(err.column)
                     .arg(QString::fromStdString(err.message));
    return lines.isEmpty() ? QStringLiteral("(no error)") : lines.join(QLatin1Char('\n'));
}

QStringList suiteCases()
{
    return QDir(kOpenMetricsSuite).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
}

} // namespace

class TestExpositionParser final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void openMetricsSuitePresent();
    void openMetricsSuite_data();
    void openMetricsSuite();
    void prometheusCorpus_data();
    void prometheusCorpus();
    void realisticValues();
    void formatForContentType_data();
    void formatForContentType();
    void labelEscapes();
    void specialValues_data();
    void specialValues();
    void timestamps();
    void histogramFamily();
    void summaryFamily();
    void openMetricsFamilies();
    void errorPositions_data();
    void errorPositions();
    void errorsAreCapped();
    void recoversAtNextLine();
    void truncatedAndMutated();
    void hostileInput_data();
    void hostileInput();
    void streamingMatchesWholeText_data();
    void streamingMatchesWholeText();
    void sampleLimit();
    void keepsOnlyChosenFamilies();
    void refusesOversizedText();
};

void TestExpositionParser::openMetricsSuitePresent()
{
    QVERIFY2(QDir(kOpenMetricsSuite).exists(), qPrintable(kOpenMetricsSuite));
    QVERIFY2(
        suiteCases().size() >= kMinOpenMetricsCases,
        qPrintable(
            QStringLiteral("only %1 cases in %2").arg(suiteCases().size()).arg(kOpenMetricsSuite)));
}

void TestExpositionParser::openMetricsSuite_data()
{
    QTest::addColumn<QString>("dir");
    QTest::addColumn<bool>("shouldParse");
    QTest::addColumn<bool>("complete");

    const QStringList cases = suiteCases();
    if (cases.size() < kMinOpenMetricsCases) {
        // Keeps the data-driven test from passing with nothing to check.
        QTest::newRow("suite-missing") << kOpenMetricsSuite << false << false;
        return;
    }
    for (const QString &name : cases) {
        const QString dir = kOpenMetricsSuite + QLatin1Char('/') + name;
        QFile json(dir + QStringLiteral("/test.json"));
        bool shouldParse = false;
        bool complete = json.open(QIODevice::ReadOnly);
        if (complete) {
            const QJsonObject o = QJsonDocument::fromJson(json.readAll()).object();
            complete = o.value(QStringLiteral("shouldParse")).isBool();
            shouldParse = o.value(QStringLiteral("shouldParse")).toBool();
        }
        QTest::newRow(qPrintable(name)) << dir << shouldParse << complete;
    }
}

void TestExpositionParser::openMetricsSuite()
{
    QFETCH(QString, dir);
    QFETCH(bool, shouldParse);
    QFETCH(bool, complete);
    QVERIFY2(complete, qPrintable(QStringLiteral("unreadable case ") + dir));
    QVERIFY2(QFile::exists(dir + QStringLiteral("/metrics")), qPrintable(dir));

    const Exposition e =
        parseExposition(readFile(dir + QStringLiteral("/metrics")), ExpositionFormat::OpenMetrics);
    if (e.ok() != shouldParse) {
        QFAIL(qPrintable(QStringLiteral("%1: expected %2, parser says: %3")
                             .arg(QDir(dir).dirName(),
                                  shouldParse ? QStringLiteral("valid") : QStringLiteral("invalid"),
                                  firstError(e))));
    }
    for (const ParseError &err : e.errors) {
        QVERIFY(err.line >= 1);
        QVERIFY(err.column >= 1);
        QVERIFY(!err.message.empty());
    }
}

void TestExpositionParser::prometheusCorpus_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("shouldParse");

    const QDir corpus(kPrometheusText + QStringLiteral("/corpus"));
    const QStringList files = corpus.entryList(QDir::Files, QDir::Name);
    if (files.size() < 26) {
        QTest::newRow("corpus-missing") << corpus.path() << false;
        return;
    }
    for (const QString &name : files) {
        const bool bad = name.startsWith(QStringLiteral("from_test_parse_error_"));
        QTest::newRow(qPrintable(name)) << corpus.filePath(name) << !bad;
    }
    QTest::newRow("realistic.txt") << kPrometheusText + QStringLiteral("/realistic.txt") << true;
}

void TestExpositionParser::prometheusCorpus()
{
    QFETCH(QString, path);
    QFETCH(bool, shouldParse);
    QVERIFY2(QFileInfo(path).isFile(), qPrintable(path));
    const Exposition e = parseExposition(readFile(path), ExpositionFormat::PrometheusText);
    QVERIFY2(e.ok() == shouldParse,
             qPrintable(QStringLiteral("%1: expected %2, parser says: %3")
                            .arg(QFileInfo(path).fileName(),
                                 shouldParse ? QStringLiteral("valid") : QStringLiteral("invalid"),
                                 firstError(e))));
}

void TestExpositionParser::realisticValues()
{
    const std::string text = readFile(kPrometheusText + QStringLiteral("/realistic.txt"));
    QVERIFY(!text.empty());
    const Exposition e = parseExposition(text, ExpositionFormat::PrometheusText);
    QVERIFY2(e.ok(), qPrintable(firstError(e)));

    // Every non-comment line is one sample: nothing lost, nothing invented.
    std::size_t lines = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t nl = text.find('\n', pos);
        if (text[pos] != '#' && nl != pos)
            ++lines;
        pos = nl == std::string::npos ? text.size() : nl + 1;
    }
    std::size_t samples = 0;
    for (const MetricFamily &f : e.families)
        samples += f.samples.size();
    QCOMPARE(samples, lines);

    const MetricFamily *duration = e.family("http_request_duration_microseconds");
    QVERIFY(duration);
    QCOMPARE(duration->type, MetricType::Summary);
    QCOMPARE(duration->help, std::string("The HTTP request latencies in microseconds."));
    QCOMPARE(duration->samples.front().name, std::string("http_request_duration_microseconds"));
    QVERIFY(duration->samples.front().label("quantile"));
    QCOMPARE(*duration->samples.front().label("handler"), std::string("/"));
    QVERIFY(!e.family("http_request_duration_microseconds_sum"));
}

void TestExpositionParser::formatForContentType_data()
{
    QTest::addColumn<QString>("contentType");
    QTest::addColumn<ExpositionFormat>("format");

    QTest::newRow("openmetrics") << "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                 << ExpositionFormat::OpenMetrics;
    QTest::newRow("openmetrics-bare")
        << "application/openmetrics-text" << ExpositionFormat::OpenMetrics;
    QTest::newRow("openmetrics-case")
        << " Application/OpenMetrics-Text ;version=0.0.1" << ExpositionFormat::OpenMetrics;
    QTest::newRow("text") << "text/plain; version=0.0.4; charset=utf-8"
                          << ExpositionFormat::PrometheusText;
    QTest::newRow("empty") << "" << ExpositionFormat::PrometheusText;
    QTest::newRow("prefix-only") << "application/openmetrics-textual"
                                 << ExpositionFormat::PrometheusText;
    QTest::newRow("in-parameter") << "text/plain; x=application/openmetrics-text"
                                  << ExpositionFormat::PrometheusText;
}

void TestExpositionParser::formatForContentType()
{
    QFETCH(QString, contentType);
    QFETCH(ExpositionFormat, format);
    QCOMPARE(canary::metrics::formatForContentType(contentType.toStdString()), format);
}

void TestExpositionParser::labelEscapes()
{
    const std::string text =
        "# HELP m Two\\nlines \\\\ and a \\\"quote\\\".\n"
        "m{a=\"x\\\\y\",b=\"q\\\"t\",c=\"l1\\nl2\",d=\"caf\xc3\xa9\",e=\"\"} 1\n";
    for (ExpositionFormat format :
         {ExpositionFormat::PrometheusText, ExpositionFormat::OpenMetrics}) {
        const Exposition e = parseExposition(
            format == ExpositionFormat::OpenMetrics ? text + "# EOF\n" : text, format);
        QVERIFY2(e.ok(), qPrintable(firstError(e)));
        const MetricFamily *m = e.family("m");
        QVERIFY(m);
        QCOMPARE(m->help, std::string("Two\nlines \\ and a \"quote\"."));
        QCOMPARE(m->samples.size(), std::size_t(1));
        const Sample &s = m->samples.front();
        QCOMPARE(s.labels.size(), std::size_t(5));
        QCOMPARE(*s.label("a"), std::string("x\\y"));
        QCOMPARE(*s.label("b"), std::string("q\"t"));
        QCOMPARE(*s.label("c"), std::string("l1\nl2"));
        QCOMPARE(*s.label("d"), std::string("caf\xc3\xa9"));
        QCOMPARE(*s.label("e"), std::string());
        QVERIFY(!s.label("f"));
        QCOMPARE(s.labels.front().name, std::string("a")); // order as written
    }
    // OpenMetrics keeps unknown escapes as written; 0.0.4 rejects them.
    const std::string unknownEscape = "m{a=\"b\\\\a\\z\"} 1\n";
    const Exposition om = parseExposition(unknownEscape + "# EOF\n", ExpositionFormat::OpenMetrics);
    QVERIFY2(om.ok(), qPrintable(firstError(om)));
    QCOMPARE(*om.families.at(0).samples.at(0).label("a"), std::string("b\\a\\z"));
    QVERIFY(!parseExposition(unknownEscape, ExpositionFormat::PrometheusText).ok());
}

void TestExpositionParser::specialValues_data()
{
    QTest::addColumn<QString>("token");
    QTest::addColumn<double>("value");

    QTest::newRow("nan") << "NaN" << std::nan("");
    QTest::newRow("plus-inf") << "+Inf" << HUGE_VAL;
    QTest::newRow("minus-inf") << "-Inf" << -HUGE_VAL;
    QTest::newRow("inf") << "Inf" << HUGE_VAL;
    QTest::newRow("infinity") << "-infinity" << -HUGE_VAL;
    QTest::newRow("integer") << "42" << 42.0;
    QTest::newRow("negative") << "-3e3" << -3000.0;
    QTest::newRow("fraction") << ".5" << 0.5;
    QTest::newRow("trailing-point") << "5." << 5.0;
    QTest::newRow("exponent") << "1.7560473e+06" << 1756047.3;
    QTest::newRow("big-integer") << "9223372036854775808" << 9223372036854775808.0;
    QTest::newRow("leading-zeros") << "0000000000000000000000001.2e-1" << 0.12;
    QTest::newRow("overflow") << "1e999" << HUGE_VAL;
    QTest::newRow("underflow") << "-1e-999" << -0.0;
}

void TestExpositionParser::specialValues()
{
    QFETCH(QString, token);
    QFETCH(double, value);
    for (ExpositionFormat format :
         {ExpositionFormat::PrometheusText, ExpositionFormat::OpenMetrics}) {
        std::string text = "g " + token.toStdString() + "\n";
        if (format == ExpositionFormat::OpenMetrics)
            text += "# EOF\n";
        const Exposition e = parseExposition(text, format);
        QVERIFY2(e.ok(), qPrintable(firstError(e)));
        const double parsed = e.families.at(0).samples.at(0).value;
        if (std::isnan(value))
            QVERIFY(std::isnan(parsed));
        else
            QCOMPARE(parsed, value);
    }
    // Neither grammar knows hex, underscores or a sign on NaN.
    for (const char *bad : {"0x1p-3", "1_000", "+NaN", "1,5", "--1", "1e", ".", "Infinit"}) {
        const Exposition e =
            parseExposition(std::string("g ") + bad + "\n", ExpositionFormat::PrometheusText);
        QVERIFY2(!e.ok(), bad);
    }
}

void TestExpositionParser::timestamps()
{
    const Exposition text =
        parseExposition("a 1 1700000000123\nb 2 -5\nc 3\n", ExpositionFormat::PrometheusText);
    QVERIFY2(text.ok(), qPrintable(firstError(text)));
    QCOMPARE(*text.family("a")->samples[0].timestampSeconds, 1700000000.123);
    QCOMPARE(*text.family("b")->samples[0].timestampSeconds, -0.005);
    QVERIFY(!text.family("c")->samples[0].timestampSeconds);
    // 0.0.4 timestamps are integer milliseconds.
    QVERIFY(!parseExposition("a 1 1.5\n", ExpositionFormat::PrometheusText).ok());
    QVERIFY(!parseExposition("a 1 99999999999999999999\n", ExpositionFormat::PrometheusText).ok());

    const Exposition om =
        parseExposition("a 1 1700000000.25\nb 1 1.5e3\n# EOF\n", ExpositionFormat::OpenMetrics);
    QVERIFY2(om.ok(), qPrintable(firstError(om)));
    QCOMPARE(*om.family("a")->samples[0].timestampSeconds, 1700000000.25);
    QCOMPARE(*om.family("b")->samples[0].timestampSeconds, 1500.0);
}

void TestExpositionParser::histogramFamily()
{
    const std::string text = "# HELP lat Latency.\n"
                             "# TYPE lat histogram\n"
                             "lat_bucket{variant=\"canary\",le=\"0.1\"} 3\n"
                             "lat_bucket{variant=\"canary\",le=\"+Inf\"} 5\n"
                             "lat_sum{variant=\"canary\"} 0.75\n"
                             "lat_count{variant=\"canary\"} 5\n"
                             "other 1\n"
                             "lat_sum_total 2\n";
    const Exposition e = parseExposition(text, ExpositionFormat::PrometheusText);
    QVERIFY2(e.ok(), qPrintable(firstError(e)));
    QCOMPARE(e.families.size(), std::size_t(3));
    const MetricFamily *lat = e.family("lat");
    QVERIFY(lat);
    QCOMPARE(lat->type, MetricType::Histogram);
    QCOMPARE(lat->help, std::string("Latency."));
    QCOMPARE(lat->samples.size(), std::size_t(4));
    QCOMPARE(lat->samples[1].name, std::string("lat_bucket"));
    QCOMPARE(*lat->samples[1].label("le"), std::string("+Inf"));
    QCOMPARE(lat->samples[1].value, 5.0);
    QCOMPARE(lat->samples[2].name, std::string("lat_sum"));
    QCOMPARE(lat->samples[3].name, std::string("lat_count"));
    QCOMPARE(e.family("other")->type, MetricType::Unknown);
    QVERIFY(e.family("lat_sum_total")); // not a suffix of lat

    // The same histogram in OpenMetrics, with an exemplar on a bucket.
    const std::string om = "# TYPE lat histogram\n"
                           "# UNIT lat seconds\n"
                           "lat_bucket{le=\"0.1\"} 3 # {trace_id=\"abc\"} 0.05 1700000000.5\n"
                           "lat_bucket{le=\"+Inf\"} 5\n"
                           "lat_sum 0.75\n"
                           "lat_count 5\n"
                           "# EOF\n";
    const Exposition o = parseExposition(om, ExpositionFormat::OpenMetrics);
    // "lat" does not end in _seconds: the unit is refused, everything else is fine.
    QCOMPARE(o.errors.size(), std::size_t(1));
    QVERIFY(o.errors[0].message.find("unit") != std::string::npos);
    QCOMPARE(o.errors[0].line, 2);

    std::string fixed = om;
    fixed.replace(fixed.find("# UNIT lat seconds\n"), 19, "");
    const Exposition ok = parseExposition(fixed, ExpositionFormat::OpenMetrics);
    QVERIFY2(ok.ok(), qPrintable(firstError(ok)));
    const Sample &bucket = ok.family("lat")->samples.at(0);
    QVERIFY(bucket.exemplar);
    QCOMPARE(bucket.exemplar->labels.size(), std::size_t(1));
    QCOMPARE(bucket.exemplar->labels[0].value, std::string("abc"));
    QCOMPARE(bucket.exemplar->value, 0.05);
    QCOMPARE(*bucket.exemplar->timestampSeconds, 1700000000.5);
    QVERIFY(!ok.family("lat")->samples.at(1).exemplar);
}

void TestExpositionParser::summaryFamily()
{
    const std::string text = "# TYPE rpc summary\n"
                             "rpc{quantile=\"0.5\"} 0.01\n"
                             "rpc{quantile=\"0.99\"} NaN\n"
                             "rpc_sum 12.5\n"
                             "rpc_count 1000\n";
    const Exposition e = parseExposition(text, ExpositionFormat::PrometheusText);
    QVERIFY2(e.ok(), qPrintable(firstError(e)));
    QCOMPARE(e.families.size(), std::size_t(1));
    const MetricFamily &rpc = e.families[0];
    QCOMPARE(rpc.type, MetricType::Summary);
    QCOMPARE(rpc.samples.size(), std::size_t(4));
    QCOMPARE(*rpc.samples[0].label("quantile"), std::string("0.5"));
    QVERIFY(std::isnan(rpc.samples[1].value));
    QCOMPARE(rpc.samples[3].value, 1000.0);

    QVERIFY(!parseExposition("# TYPE rpc summary\nrpc{quantile=\"high\"} 1\n",
                             ExpositionFormat::PrometheusText)
                 .ok());
    // In OpenMetrics a quantile must lie in [0, 1].
    QVERIFY(!parseExposition("# TYPE rpc summary\nrpc{quantile=\"1.5\"} 1\n# EOF\n",
                             ExpositionFormat::OpenMetrics)
                 .ok());
}

void TestExpositionParser::openMetricsFamilies()
{
    const std::string text = "# TYPE requests counter\n"
                             "# HELP requests Requests.\n"
                             "requests_total{variant=\"production\"} 10 # {id=\"1\"} 1\n"
                             "requests_created{variant=\"production\"} 1700000000\n"
                             "# TYPE up stateset\n"
                             "up{up=\"yes\"} 1\n"
                             "up{up=\"no\"} 0\n"
                             "# TYPE build info\n"
                             "build_info{version=\"1.2\"} 1\n"
                             "# EOF";
    const Exposition e = parseExposition(text, ExpositionFormat::OpenMetrics);
    QVERIFY2(e.ok(), qPrintable(firstError(e)));
    QCOMPARE(e.families.size(), std::size_t(3));
    QCOMPARE(e.families[0].type, MetricType::Counter);
    QCOMPARE(e.families[0].samples.size(), std::size_t(2));
    QCOMPARE(e.families[0].samples[0].exemplar->labels[0].name, std::string("id"));
    QCOMPARE(e.families[1].type, MetricType::StateSet);
    QCOMPARE(e.families[2].type, MetricType::Info);
    QCOMPARE(e.families[2].samples[0].name, std::string("build_info"));

    // Interleaving the counter with another family is refused.
    const Exposition split = parseExposition("# TYPE a counter\na_total 1\nb 2\na_total 3\n# EOF\n",
                                             ExpositionFormat::OpenMetrics);
    QVERIFY(!split.ok());
    QCOMPARE(split.errors[0].line, 4);
}

void TestExpositionParser::errorPositions_data()
{
    QTest::addColumn<ExpositionFormat>("format");
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("message");

    const auto text = ExpositionFormat::PrometheusText;
    const auto om = ExpositionFormat::OpenMetrics;
    QTest::newRow("timestamp-not-integer")
        << text << QByteArray("metric{label=\"bla\"} 3.14 2.72\n") << 1 << 26
        << "expected an integer timestamp in milliseconds, got \"2.72\"";
    QTest::newRow("missing-equals") << text << QByteArray("# TYPE a counter\na{job} 1\n") << 2 << 6
                                    << "expected '=' after label name \"job\"";
    QTest::newRow("bad-escape") << text << QByteArray("ok 1\nbad{x=\"\\q\"} 1\n") << 2 << 8
                                << "invalid escape sequence '\\q'";
    QTest::newRow("no-final-newline")
        << text << QByteArray("a 1\nb 2") << 2 << 4 << "must end with a newline";
    QTest::newRow("second-type") << text << QByteArray("# TYPE a gauge\n# TYPE a counter\n") << 2
                                 << 3 << "second TYPE line";
    QTest::newRow("reserved-label")
        << text << QByteArray("m{__name__=\"x\"} 1\n") << 1 << 3 << "reserved";
    QTest::newRow("negative-counter") << om << QByteArray("# TYPE a counter\na_total -1\n# EOF\n")
                                      << 2 << 9 << "counter value \"a_total\" must not be negative";
    QTest::newRow("blank-line") << om << QByteArray("a 1\n\n# EOF\n") << 2 << 1 << "blank line";
    QTest::newRow("missing-eof") << om << QByteArray("a 1\n") << 2 << 1 << "# EOF";
    QTest::newRow("bad-utf8") << om << QByteArray("a{b=\"\xff\"} 1\n# EOF\n") << 1 << 6
                              << "not valid UTF-8";
    QTest::newRow("om-missing-equals") << om << QByteArray("x 1\na{job\"v\"} 1\n# EOF\n") << 2 << 6
                                       << "expected '=' after label name \"job\"";
    QTest::newRow("after-eof") << om << QByteArray("# EOF\nx 1\n") << 2 << 1 << "after \"# EOF\"";
}

void TestExpositionParser::errorPositions()
{
    QFETCH(ExpositionFormat, format);
    QFETCH(QByteArray, text);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, message);

    const Exposition e =
        parseExposition(std::string_view(text.constData(), std::size_t(text.size())), format);
    QVERIFY(!e.ok());
    const ParseError &err = e.errors.front();
    QVERIFY2(QString::fromStdString(err.message).contains(message), err.message.c_str());
    QCOMPARE(err.line, line);
    QCOMPARE(err.column, column);
}

void TestExpositionParser::errorsAreCapped()
{
    std::string text;
    for (int i = 0; i < 1000; ++i)
        text += "bad{ 1\n";
    const Exposition e = parseExposition(text, ExpositionFormat::PrometheusText);
    QCOMPARE(e.errors.size(), kMaxParseErrors);
    QCOMPARE(e.errors.back().line, int(kMaxParseErrors));
}

void TestExpositionParser::recoversAtNextLine()
{
    const Exposition e =
        parseExposition("good 1\nbad{ 1\nalso_good 2\nbad2 x\n", ExpositionFormat::PrometheusText);
    QCOMPARE(e.errors.size(), std::size_t(2));
    QCOMPARE(e.errors[0].line, 2);
    QCOMPARE(e.errors[1].line, 4);
    QVERIFY(e.family("good"));
    QCOMPARE(e.family("also_good")->samples.at(0).value, 2.0);
    QVERIFY(!e.family("bad2") || e.family("bad2")->samples.empty());
}

void TestExpositionParser::truncatedAndMutated()
{
    const std::string text = readFile(kPrometheusText + QStringLiteral("/realistic.txt"));
    QVERIFY(text.size() > 10000);

    // A 0.0.4 text cut anywhere is valid exactly when the cut falls after a newline.
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        // Every line boundary (both sides of each newline) plus a spread of mid-line cuts.
        const bool nearNewline =
            (cut > 0 && text[cut - 1] == '\n') || (cut < text.size() && text[cut] == '\n');
        if (!nearNewline && cut % 29 != 0)
            continue;
        const Exposition e = parseExposition(std::string_view(text).substr(0, cut),
                                             ExpositionFormat::PrometheusText);
        const bool atLineEnd = cut == 0 || text[cut - 1] == '\n';
        QVERIFY2(e.ok() == atLineEnd,
                 qPrintable(QStringLiteral("cut at %1: %2").arg(cut).arg(firstError(e))));
        const Exposition om =
            parseExposition(std::string_view(text).substr(0, cut), ExpositionFormat::OpenMetrics);
        QVERIFY(!om.ok()); // no # EOF
    }

    QRandomGenerator random(20261126);
    for (int round = 0; round < 600; ++round) {
        std::string mutated = text;
        const int edits = 1 + int(random.bounded(8));
        for (int i = 0; i < edits; ++i) {
            const auto at = std::size_t(random.bounded(quint32(mutated.size())));
            switch (random.bounded(4)) {
            case 0:
                mutated[at] = char(random.bounded(256));
                break;
            case 1:
                mutated.erase(at, std::size_t(random.bounded(64)));
                break;
            case 2:
                mutated.insert(at, mutated.substr(at / 2, std::size_t(random.bounded(200))));
                break;
            default:
                mutated[at] = "{}\"\\=, #\n\t"[random.bounded(10)];
                break;
            }
            if (mutated.empty())
                mutated = "x";
        }
        for (ExpositionFormat format :
             {ExpositionFormat::PrometheusText, ExpositionFormat::OpenMetrics}) {
            const Exposition e = parseExposition(mutated, format);
            QVERIFY(e.errors.size() <= kMaxParseErrors);
            for (const ParseError &err : e.errors) {
                QVERIFY(err.line >= 1 && err.column >= 1);
                QVERIFY(!err.message.empty());
            }
        }
    }
}

void TestExpositionParser::hostileInput_data()
{
    QTest::addColumn<QByteArray>("text");

    const int big = 1024 * 1024;
    QTest::newRow("huge-name") << QByteArray(big, 'a');
    QTest::newRow("huge-label-value")
        << (QByteArray("m{a=\"") + QByteArray(big, 'x') + QByteArray("\"} 1\n"));
    QTest::newRow("unterminated-label-value") << (QByteArray("m{a=\"") + QByteArray(big, '\\'));
    QByteArray manyLabels("m{");
    for (int i = 0; i < 50000; ++i)
        manyLabels += "l" + QByteArray::number(i) + "=\"\",";
    manyLabels += "} 1\n";
    QTest::newRow("50k-labels") << manyLabels;
    QByteArray sameLabel("m{");
    for (int i = 0; i < 50000; ++i)
        sameLabel += "a=\"\",";
    QTest::newRow("50k-duplicate-labels") << sameLabel;
    QTest::newRow("braces") << QByteArray(big, '{');
    QTest::newRow("newlines") << QByteArray(big, '\n');
    QTest::newRow("hashes") << QByteArray(big, '#');
    QByteArray manyFamilies;
    for (int i = 0; i < 20000; ++i)
        manyFamilies += "# TYPE f" + QByteArray::number(i) + " counter\nf" + QByteArray::number(i) +
                        "_total{a=\"" + QByteArray::number(i) + "\"} 1\n";
    QTest::newRow("20k-families") << manyFamilies;
    QByteArray manyGroups("# TYPE h histogram\n");
    for (int i = 0; i < 20000; ++i)
        manyGroups += "h_bucket{g=\"" + QByteArray::number(i) + "\",le=\"+Inf\"} 1\n";
    QTest::newRow("20k-groups") << manyGroups;
    QByteArray noise(big, '\0');
    QRandomGenerator random(7);
    for (char &c : noise)
        c = char(random.bounded(256));
    QTest::newRow("noise") << noise;
}

void TestExpositionParser::hostileInput()
{
    QFETCH(QByteArray, text);
    const std::string_view view(text.constData(), std::size_t(text.size()));
    QElapsedTimer timer;
    timer.start();
    for (ExpositionFormat format :
         {ExpositionFormat::PrometheusText, ExpositionFormat::OpenMetrics}) {
        const Exposition e = parseExposition(view, format);
        QVERIFY(e.errors.size() <= kMaxParseErrors);
    }
    // Linear time: a few MB take well under a second even in a debug build; quadratic would not.
    QVERIFY2(timer.elapsed() < 10000, qPrintable(QString::number(timer.elapsed())));
}

void TestExpositionParser::streamingMatchesWholeText_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<ExpositionFormat>("format");

    const QStringList cases = suiteCases();
    const QDir corpus(kPrometheusText + QStringLiteral("/corpus"));
    const QStringList files = corpus.entryList(QDir::Files, QDir::Name);
    if (cases.size() < kMinOpenMetricsCases || files.size() < 26) {
        QTest::newRow("data-missing") << QString() << ExpositionFormat::OpenMetrics;
        return;
    }
    // Every input in its own grammar and, for more error paths, in the other one.
    const auto both = [](const QString &name, const QString &file, ExpositionFormat own) {
        const ExpositionFormat other = own == ExpositionFormat::OpenMetrics
                                           ? ExpositionFormat::PrometheusText
                                           : ExpositionFormat::OpenMetrics;
        QTest::newRow(qPrintable(name)) << file << own;
        QTest::newRow(qPrintable(name + QStringLiteral(" (other grammar)"))) << file << other;
    };
    for (const QString &name : cases)
        both(name, kOpenMetricsSuite + QLatin1Char('/') + name + QStringLiteral("/metrics"),
             ExpositionFormat::OpenMetrics);
    for (const QString &name : files)
        both(name, corpus.filePath(name), ExpositionFormat::PrometheusText);
    both(QStringLiteral("realistic.txt"), kPrometheusText + QStringLiteral("/realistic.txt"),
         ExpositionFormat::PrometheusText);
}

void TestExpositionParser::streamingMatchesWholeText()
{
    QFETCH(QString, path);
    QFETCH(ExpositionFormat, format);
    QVERIFY2(QFileInfo(path).isFile(), qPrintable(path));
    const std::string text = readFile(path);
    const Exposition whole = parseExposition(text, format);
    const QString expected = describe(whole.errors);

    // Pieces of one byte split every line and every token; 7 and 100 fall anywhere.
    for (const std::size_t piece :
         {std::size_t(1), std::size_t(7), std::size_t(100), text.size()}) {
        ExpositionChecker checker(format);
        for (std::size_t at = 0; at < text.size() && !checker.stopped(); at += piece)
            checker.feed(std::string_view(text).substr(at, piece));
        const QString streamed = describe(checker.finish());
        QVERIFY2(streamed == expected,
                 qPrintable(QStringLiteral("pieces of %1 bytes:\n%2\nwhole text:\n%3")
                                .arg(piece)
                                .arg(streamed, expected)));
    }
}

void TestExpositionParser::sampleLimit()
{
    const std::string text = "a 1\nb 2\nc 3\n";
    const Exposition within =
        parseExposition(text, ExpositionFormat::PrometheusText, ParseOptions{3, {}});
    QVERIFY2(within.ok(), qPrintable(firstError(within)));
    QVERIFY(!within.tooManySamples);

    const Exposition over =
        parseExposition(text, ExpositionFormat::PrometheusText, ParseOptions{2, {}});
    QVERIFY(over.tooManySamples);
    QCOMPARE(over.errors.size(), std::size_t(1));
    QCOMPARE(over.errors.front().line, 3);
    QCOMPARE(firstError(over), QStringLiteral("3:1 more than 2 samples; at most 2 are read"));
    std::size_t kept = 0;
    for (const auto &family : over.families)
        kept += family.samples.size();
    QCOMPARE(kept, std::size_t(2));

    const Exposition om = parseExposition("# TYPE a counter\na_total 1\na_created 5\n# EOF\n",
                                          ExpositionFormat::OpenMetrics, ParseOptions{1, {}});
    QVERIFY(om.tooManySamples);
    QCOMPARE(om.errors.size(), std::size_t(1)); // stopped: no complaint about the missing rest
}

void TestExpositionParser::keepsOnlyChosenFamilies()
{
    const std::string text = readFile(kPrometheusText + QStringLiteral("/realistic.txt"));
    const Exposition all = parseExposition(text, ExpositionFormat::PrometheusText);
    QVERIFY(all.ok());
    QVERIFY(all.families.size() > 2);
    const std::string chosen = all.families[1].name;
    ParseOptions options;
    options.keepSamplesOf = [&](std::string_view name) {
        return name == chosen;
    };
    const Exposition some = parseExposition(text, ExpositionFormat::PrometheusText, options);
    QVERIFY(some.ok());
    QCOMPARE(some.families.size(), all.families.size());
    for (std::size_t i = 0; i < all.families.size(); ++i) {
        QCOMPARE(some.families[i].name, all.families[i].name);
        QCOMPARE(some.families[i].type, all.families[i].type);
        QCOMPARE(some.families[i].samples.size(),
                 some.families[i].name == chosen ? all.families[i].samples.size() : 0);
    }
    // Unkept samples are still checked.
    options.keepSamplesOf = [](std::string_view) {
        return false;
    };
    QCOMPARE(firstError(parseExposition("a 1\nb x\n", ExpositionFormat::PrometheusText, options)),
             firstError(parseExposition("a 1\nb x\n", ExpositionFormat::PrometheusText)));
}

void TestExpositionParser::refusesOversizedText()
{
    const std::string big(kMaxExpositionBytes + 1, '\n');
    const Exposition e = parseExposition(big, ExpositionFormat::PrometheusText);
    QVERIFY(!e.ok());
    QVERIFY(firstError(e).contains(QString::number(kMaxExpositionBytes)));
    // A stream has no such limit.
    ExpositionChecker checker(ExpositionFormat::PrometheusText);
    checker.feed(big);
    checker.feed("a 1\n");
    QVERIFY(checker.finish().empty());
}

QTEST_APPLESS_MAIN(TestExpositionParser)
#include "tst_expositionparser.moc"
