// `canaryctl history`: the audit trail printed as text (terminal-safe) or JSON, time ranges as
// RFC 3339 or durations back from now, and plain errors for a missing file or a bad time.
#include "audit/sqliteauditstore.h"
#include "historycommand.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

using namespace canary;
using namespace std::chrono_literals;

namespace {

struct Captured
{
    int code = -1;
    std::string out;
    std::string err;
};

std::string slurp(std::FILE *f)
{
    std::rewind(f);
    std::string text;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
        text.append(buf, n);
    std::fclose(f);
    return text;
}

Captured run(const ctl::HistoryRequest &request, const Clock &clock)
{
    std::FILE *out = std::tmpfile();
    std::FILE *err = std::tmpfile();
    Captured c;
    c.code = ctl::runHistory(request, clock, out, err);
    c.out = slurp(out);
    c.err = slurp(err);
    return c;
}

} // namespace

class TestHistoryCommand final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(QStringLiteral("audit.sqlite3"));
        std::string error;
        auto store = audit::SqliteAuditStore::open(m_path.toStdString(), &error);
        QVERIFY2(store, error.c_str());
        for (int minutesAgo : {90, 45, 10}) {
            audit::AuditEntry e;
            e.time = m_clock.now() - std::chrono::minutes(minutesAgo);
            e.actor = minutesAgo == 10 ? "auto" : "ana";
            e.automatic = minutesAgo == 10;
            e.plan = e.automatic ? "fraud \x1b[31mred" : "";
            e.backendKind = "Control API";
            e.backendAddress = "http://127.0.0.1:8080";
            e.action = minutesAgo == 10 ? "rollback" : "set_weight";
            e.reason = e.automatic ? "the critical gate errors fails" : "";
            const auto id = store->begin(e, &error);
            QVERIFY2(id, error.c_str());
            QVERIFY(store->finish(*id, {"succeeded", "done", "canary", 3, e.time + 1s}, &error));
        }
    }

    void printsTextSafely()
    {
        const auto c = run({m_path, {}, {}, {}, {}, {}, false}, m_clock);
        QCOMPARE(c.code, 0);
        QVERIFY2(c.out.find("why: the critical gate errors fails") != std::string::npos,
                 c.out.c_str());
        QVERIFY2(c.out.find('\x1b') == std::string::npos, "an escape reached the terminal");
        QVERIFY2(c.out.find("fraud \\x1b[31mred") != std::string::npos, c.out.c_str());
    }

    void ranges_data()
    {
        QTest::addColumn<QString>("since");
        QTest::addColumn<QString>("until");
        QTest::addColumn<QString>("actor");
        QTest::addColumn<int>("entries");
        QTest::newRow("all") << QString() << QString() << QString() << 3;
        QTest::newRow("last hour") << QStringLiteral("1h") << QString() << QString() << 2;
        QTest::newRow("last 30 minutes") << QStringLiteral("30m") << QString() << QString() << 1;
        QTest::newRow("until 20 minutes ago")
            << QString() << QStringLiteral("20m") << QString() << 2;
        QTest::newRow("RFC 3339") << QStringLiteral("2023-11-14T21:00:00Z") << QString()
                                  << QString() << 2;
        QTest::newRow("automatic only") << QString() << QString() << QStringLiteral("auto") << 1;
    }
    void ranges()
    {
        QFETCH(QString, since);
        QFETCH(QString, until);
        QFETCH(QString, actor);
        QFETCH(int, entries);
        const auto c = run({m_path, since, until, {}, actor, {}, true}, m_clock);
        QCOMPARE(c.code, 0);
        const auto json = nlohmann::json::parse(c.out, nullptr, false);
        QVERIFY2(json.is_array(), c.out.c_str());
        QCOMPARE(int(json.size()), entries);
    }

    void errors()
    {
        auto c = run({m_dir.filePath(QStringLiteral("none.sqlite3")), {}, {}, {}, {}, {}, false},
                     m_clock);
        QCOMPARE(c.code, 1);
        QVERIFY2(c.err.find("there is no audit trail at") != std::string::npos, c.err.c_str());
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("none.sqlite3"))));
        c = run({m_path, QStringLiteral("yesterday"), {}, {}, {}, {}, false}, m_clock);
        QCOMPARE(c.code, 2);
        QVERIFY2(c.err.find("--since wants an RFC 3339 time") != std::string::npos, c.err.c_str());
    }

private:
    QTemporaryDir m_dir;
    QString m_path;
    ManualClock m_clock{SystemTime(std::chrono::milliseconds(1'700'000'000'000))};
};

QTEST_GUILESS_MAIN(TestHistoryCommand)
#include "tst_historycommand.moc"
