// `canaryctl run --plan`, the real binary, against the real gateway on loopback with its own
// load generator: a healthy canary is promoted, one whose errors jump is rolled back, a step
// that cannot decide waits for a person, and Ctrl-C leaves the rollout where it is.
#include "audit/sqliteauditstore.h"
#include "gatewayprocess.h"
#include "httpclient.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <csignal>
#include <memory>

#include <sys/types.h>

namespace {

// Production and canary alike (0.5 % errors), 1000 requests/s of the gateway's own load.
QByteArray gatewayConfig(const QByteArray &scenario = "[]")
{
    return R"({"production": {"model": "m", "version": "1.0", "simulate": {"error_rate": 0.005}},
 "canary": {"model": "m", "version": "2.0", "weight": 0, "simulate": {"error_rate": 0.005}},
 "scenario": )" +
           scenario + R"(,
 "load": {"rps": 1000, "labelled_share": 0.3, "feedback_delay_ms": 200}})";
}

// Two steps of 3 s judged every half second on errors and the latency tail. An alpha of 1 %
// keeps a false rollback of the healthy canary (rarer still: the variants are alike) out of CI.
QByteArray planText(int firstMinimum = 100, const QByteArray &onInconclusive = "extend")
{
    return R"({"name": "quick test", "alpha": 0.01, "interval_seconds": 0.5,
 "steps": [{"weight": 20, "bake_seconds": 3, "min_requests": )" +
           QByteArray::number(firstMinimum) + R"(},
           {"weight": 50, "bake_seconds": 3, "min_requests": 100}],
 "gates": [{"name": "errors", "metric": "error_rate", "tolerance": 0.2, "floor": 0.002},
           {"name": "latency-tail", "metric": "latency_tail", "tolerance": 0.2,
            "tail_quantiles": [0.9, 0.99]}],
 "calibration_requests": 300, "on_inconclusive": ")" +
           onInconclusive + R"(", "extend_seconds": 2, "max_extensions": 2})";
}

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

} // namespace

class TestCanaryctlRun final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QVERIFY(m_dir.isValid()); }
    void cleanup()
    {
        m_http.reset();
        m_gateway.reset();
    }

    void aHealthyCanaryIsPromoted()
    {
        startGateway(gatewayConfig());
        const Run run = runPlan(writePlan(planText()));
        QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
        QVERIFY2(run.out.contains(QLatin1String("advance: step 1 of 2 at 20.0 % passed its bake")),
                 qPrintable(run.out));
        QVERIFY2(run.out.contains(QLatin1String("gate errors: pass")), qPrintable(run.out));
        QVERIFY2(run.out.contains(QLatin1String("canaryctl: promoted")), qPrintable(run.out));
        QCOMPARE(phase(), QStringLiteral("promoted"));

        // The report a reviewer gets from the trail alone says what happened and on what numbers.
        const QString pdf = report({QStringLiteral("--from-db"), trailPath()},
                                   QStringLiteral("pdf"), QStringLiteral("report-promoted.pdf"));
        for (const char *expected :
             {"Promoted", "promoted automatically by plan \"quick test\"", "m 2.0 vs m 1.0", "Pass",
              "plan promote", "Rollout plan", "passed"})
            QVERIFY2(
                pdf.contains(QLatin1String(expected)),
                qPrintable(
                    QStringLiteral("missing \"%1\" in:\n%2").arg(QLatin1String(expected), pdf)));
    }

    void aCanaryWhoseErrorsJumpIsRolledBack()
    {
        startGateway(gatewayConfig(
            R"([{"at_s": 2, "variant": "canary", "simulate": {"error_rate": 0.5}}])"));
        const Run run = runPlan(writePlan(planText()));
        QVERIFY2(run.exitCode == 2, qPrintable(run.out + run.err));
        QVERIFY2(run.out.contains(QLatin1String("rollback: a critical gate failed")),
                 qPrintable(run.out));
        QVERIFY2(run.out.contains(QLatin1String("gate errors: fail: canary errors")),
                 qPrintable(run.out));
        QVERIFY2(!run.out.contains(QLatin1String("promote:")), qPrintable(run.out));
        QCOMPARE(phase(), QStringLiteral("rolled_back"));
        // The audit trail holds the automatic rollback with its reason and outcome.
        std::string error;
        const auto store = canary::audit::SqliteAuditStore::open(trailPath().toStdString(), &error);
        QVERIFY2(store, error.c_str());
        const auto entries = store->query({}, &error);
        QVERIFY2(entries, error.c_str());
        const auto rollback =
            std::find_if(entries->begin(), entries->end(), [](const canary::audit::AuditEntry &e) {
                return e.action == "plan_rollback";
            });
        QVERIFY(rollback != entries->end());
        QVERIFY(rollback->automatic);
        QCOMPARE(rollback->actor, std::string("auto"));
        QCOMPARE(rollback->outcome, std::string("succeeded"));
        QCOMPARE(rollback->stateAfter, std::string("rolled_back"));
        QVERIFY2(rollback->reason.find("a critical gate failed") != std::string::npos,
                 rollback->reason.c_str());

        const QString pdf = report({QStringLiteral("--from-db"), trailPath()},
                                   QStringLiteral("pdf"), QStringLiteral("report-rolled-back.pdf"));
        for (const char *expected : {"Rolled back", "rolled back automatically by plan",
                                     "a critical gate failed", "Fail", "plan rollback", "errors"})
            QVERIFY2(
                pdf.contains(QLatin1String(expected)),
                qPrintable(
                    QStringLiteral("missing \"%1\" in:\n%2").arg(QLatin1String(expected), pdf)));
        // The same from the live backend: its state now, with the trail's entries for it.
        const QString html =
            report({QStringLiteral("--url"), m_gateway->url().toString(), QStringLiteral("--db"),
                    trailPath(), QStringLiteral("--since"), QStringLiteral("10m")},
                   QStringLiteral("html"), QStringLiteral("report-rolled-back.html"));
        QVERIFY2(html.contains(QLatin1String("Rolled back")), qPrintable(html.left(2000)));
        QVERIFY2(html.contains(QLatin1String("plan rollback")), qPrintable(html.left(2000)));
        QVERIFY(!html.contains(QLatin1String("<script")));
    }

    void aReportNeedsAFormatAndAFile()
    {
        QProcess process;
        process.start(QStringLiteral(CANARYCTL_BIN),
                      {QStringLiteral("report"), QStringLiteral("--from-db"),
                       m_dir.filePath(QStringLiteral("none.sqlite3")), QStringLiteral("--format"),
                       QStringLiteral("docx"), QStringLiteral("-o"),
                       m_dir.filePath(QStringLiteral("r"))});
        QVERIFY(process.waitForFinished(30'000));
        QCOMPARE(process.exitCode(), 2);
        QVERIFY(process.readAllStandardError().contains("--format pdf, html, csv or json"));
        process.start(QStringLiteral(CANARYCTL_BIN),
                      {QStringLiteral("report"), QStringLiteral("--from-db"),
                       m_dir.filePath(QStringLiteral("none.sqlite3")), QStringLiteral("--format"),
                       QStringLiteral("pdf"), QStringLiteral("-o"),
                       m_dir.filePath(QStringLiteral("r.pdf"))});
        QVERIFY(process.waitForFinished(30'000));
        QCOMPARE(process.exitCode(), 1); // no trail there: nothing invented
        QVERIFY(process.readAllStandardError().contains("no audit trail"));
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("r.pdf"))));
    }

    void aStepThatCannotDecideWaitsForAPerson()
    {
        startGateway(gatewayConfig());
        const Run run = runPlan(writePlan(planText(100'000'000, "pause")));
        QVERIFY2(run.exitCode == 3, qPrintable(run.out + run.err));
        QVERIFY2(run.out.contains(QLatin1String("not enough requests")), qPrintable(run.out));
        QVERIFY2(run.out.contains(QLatin1String("paused, waiting for a person")),
                 qPrintable(run.out));
        QCOMPARE(canaryWeight(), 20.0);
    }

    void ctrlCStopsAndLeavesTheRolloutWhereItIs()
    {
        startGateway(gatewayConfig());
        QProcess process;
        process.setStandardInputFile(QProcess::nullDevice());
        process.start(QStringLiteral(CANARYCTL_BIN), arguments(writePlan(planText())));
        QVERIFY(process.waitForStarted());
        // Once the first step's weight is set, interrupt.
        QString out;
        QTRY_VERIFY_WITH_TIMEOUT((out += QString::fromUtf8(process.readAllStandardOutput()),
                                  out.contains(QLatin1String("set-weight: done"))),
                                 10'000);
        ::kill(pid_t(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(10'000));
        out += QString::fromUtf8(process.readAllStandardOutput());
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QVERIFY2(process.exitCode() == 3, qPrintable(out));
        QVERIFY2(
            out.contains(QLatin1String("stopped by the operator; the rollout stays at 20.0 %")),
            qPrintable(out));
        QCOMPARE(canaryWeight(), 20.0);
    }

    void aBadPlanIsRefusedWithTheFieldNamed()
    {
        startGateway(gatewayConfig());
        const QString path = writePlan(R"({"steps": [{"weight": 50, "bake_seconds": 3},
                                                    {"weight": 20, "bake_seconds": 3}]})");
        const Run run = runPlan(path);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(path + QStringLiteral(": steps[1].weight: must be above the "
                                                        "previous step's 50.0 %")),
                 qPrintable(run.err));
        QCOMPARE(canaryWeight(), 0.0); // nothing was sent
    }

    void withoutATokenNothingIsSent()
    {
        startGateway(gatewayConfig());
        QStringList args = arguments(writePlan(planText()));
        const qsizetype token = args.indexOf(QStringLiteral("--token-file"));
        QVERIFY(token >= 0);
        args.remove(token, 2); // --token-file and its file
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("CANARY_TOKEN"));
        process.setProcessEnvironment(environment);
        process.start(QStringLiteral(CANARYCTL_BIN), args);
        QVERIFY(process.waitForFinished(10'000));
        QCOMPARE(process.exitCode(), 1);
        QVERIFY(QString::fromUtf8(process.readAllStandardError())
                    .contains(QLatin1String("needs a token")));
        QCOMPARE(canaryWeight(), 0.0);
    }

private:
    void startGateway(const QByteArray &config)
    {
        m_gateway =
            GatewayProcess::withConfig(config, {QStringLiteral("--load"), QStringLiteral("1000")});
        QVERIFY2(m_gateway->start(), qPrintable(m_gateway->error()));
        m_http = std::make_unique<HttpClient>(m_gateway->url());
    }

    QString writePlan(const QByteArray &text)
    {
        const QString path = m_dir.filePath(QStringLiteral("plan-%1.json").arg(++m_plans));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size())
            qFatal("cannot write the plan file");
        return path;
    }

    QStringList arguments(const QString &planPath) const
    {
        return {QStringLiteral("run"),
                QStringLiteral("--plan"),
                planPath,
                QStringLiteral("--url"),
                m_gateway->url().toString(),
                QStringLiteral("--token-file"),
                m_gateway->tempPath(QStringLiteral("token")),
                QStringLiteral("--db"),
                trailPath()};
    }
    QString trailPath() const { return m_gateway->tempPath(QStringLiteral("audit.sqlite3")); }

    Run runPlan(const QString &planPath)
    {
        QProcess process;
        process.setStandardInputFile(QProcess::nullDevice());
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("CANARY_URL"));
        environment.remove(QStringLiteral("CANARY_TOKEN"));
        process.setProcessEnvironment(environment);
        process.start(QStringLiteral(CANARYCTL_BIN), arguments(planPath));
        Run run;
        if (!process.waitForFinished(30'000)) {
            process.kill();
            process.waitForFinished();
            run.err = QStringLiteral("timed out");
            return run;
        }
        run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        run.out = QString::fromUtf8(process.readAllStandardOutput());
        run.err = QString::fromUtf8(process.readAllStandardError());
        return run;
    }

    // Runs `canaryctl report` and answers the file's text (pdftotext for a PDF). A copy is left
    // in the working directory (the build tree) to look at.
    QString report(QStringList source, const QString &format, const QString &keepAs)
    {
        const QString path = m_dir.filePath(keepAs);
        QProcess process;
        process.start(
            QStringLiteral(CANARYCTL_BIN),
            QStringList{QStringLiteral("report")} + source +
                QStringList{QStringLiteral("--format"), format, QStringLiteral("-o"), path});
        if (!process.waitForFinished(60'000))
            return QStringLiteral("report timed out");
        if (process.exitCode() != 0)
            return QString::fromUtf8(process.readAllStandardError());
        QFile::remove(keepAs);
        QFile::copy(path, keepAs);
        if (format != QLatin1String("pdf")) {
            QFile file(path);
            return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
        }
        QProcess text;
        text.start(QStringLiteral("pdftotext"), {path, QStringLiteral("-")});
        text.waitForFinished(60'000);
        return QString::fromUtf8(text.readAllStandardOutput()).simplified();
    }

    nlohmann::json rollout() { return m_http->get(QStringLiteral("/v1/rollout")).json(); }
    QString phase() { return QString::fromStdString(rollout().value("state", std::string())); }
    double canaryWeight()
    {
        const nlohmann::json doc = rollout();
        for (const auto &variant : doc.value("variants", nlohmann::json::array()))
            if (variant.value("name", std::string()) == "canary")
                return variant.value("weight", -1.0);
        return -1;
    }

    QTemporaryDir m_dir;
    int m_plans = 0;
    std::unique_ptr<GatewayProcess> m_gateway;
    std::unique_ptr<HttpClient> m_http;
};

QTEST_GUILESS_MAIN(TestCanaryctlRun)
#include "tst_canaryctlrun.moc"
