// The SQLite audit trail: entries written in two steps, filters, hostile text, migrations from
// an older schema, a newer schema left alone, the one-time import of the JSON-lines action log,
// and no acknowledged entry lost when the writing process is killed with SIGKILL.
#include "audit/sqliteauditstore.h"

#include <sqlite3.h>

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace canary;
using namespace canary::audit;
using std::chrono::milliseconds;

namespace {

SystemTime at(std::int64_t seconds)
{
    return SystemTime(milliseconds(1'700'000'000'000LL + seconds * 1000));
}

AuditEntry entry(std::int64_t seconds, std::string action, std::string actor = "ana",
                 std::string address = "http://127.0.0.1:8080")
{
    AuditEntry e;
    e.time = at(seconds);
    e.actor = std::move(actor);
    e.backendKind = "Control API";
    e.backendAddress = std::move(address);
    e.action = std::move(action);
    e.stateBefore = "canary";
    e.revisionBefore = 7;
    e.parameters = {{"weight", 25}};
    e.snapshot = {{"canary", {{"error_percent", 2.1}}}};
    return e;
}

std::string pathIn(const QTemporaryDir &dir, const char *name)
{
    return dir.filePath(QString::fromUtf8(name)).toStdString();
}

} // namespace

class TestAuditStore final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writesInTwoStepsAndReadsBack()
    {
        QTemporaryDir dir;
        std::string error;
        auto store = SqliteAuditStore::open(pathIn(dir, "a/b/audit.sqlite3"), &error);
        QVERIFY2(store, error.c_str());
        QCOMPARE(store->schemaVersion(), SqliteAuditStore::kSchemaVersion);
        AuditEntry e = entry(1, "rollback");
        e.automatic = true;
        e.actor = "auto";
        e.plan = "fraud-model 2.4.0";
        e.reason = "the critical gate errors fails: canary errors 2.1 % vs 1.0 %";
        const auto id = store->begin(e, &error);
        QVERIFY2(id, error.c_str());
        auto rows = store->query({}, &error);
        QVERIFY2(rows, error.c_str());
        QCOMPARE(rows->size(), std::size_t(1));
        QCOMPARE(rows->front().outcome, std::string("pending"));
        QVERIFY(store->finish(*id, {"succeeded", "Rolled back.", "rolled_back", 8, at(2)}, &error));
        rows = store->query({}, &error);
        const AuditEntry &r = rows->front();
        QCOMPARE(r.id, *id);
        QCOMPARE(r.time, at(1));
        QCOMPARE(r.actor, std::string("auto"));
        QVERIFY(r.automatic);
        QCOMPARE(r.plan, e.plan);
        QCOMPARE(r.reason, e.reason);
        QCOMPARE(r.revisionBefore, std::optional<std::int64_t>(7));
        QCOMPARE(r.revisionAfter, std::optional<std::int64_t>(8));
        QCOMPARE(r.stateAfter, std::string("rolled_back"));
        QCOMPARE(r.outcome, std::string("succeeded"));
        QCOMPARE(r.finishedAt, std::optional<SystemTime>(at(2)));
        QVERIFY(r.snapshot == e.snapshot);
        QVERIFY(r.parameters == e.parameters);
        QCOMPARE(toJson(r)["time"].get<std::string>(), std::string("2023-11-14T22:13:21.000Z"));
        // Completing an entry that does not exist says so.
        QVERIFY(!store->finish(999, {"succeeded", "", "", {}, at(3)}, &error));
        QVERIFY2(error.find("no entry 999") != std::string::npos, error.c_str());
    }

    void filters_data()
    {
        QTest::addColumn<int>("since");
        QTest::addColumn<int>("until");
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QString>("action");
        QTest::addColumn<QString>("actor");
        QTest::addColumn<int>("limit");
        QTest::addColumn<QList<int>>("seconds");
        QTest::newRow("everything")
            << -1 << -1 << QString() << QString() << QString() << 0 << QList<int>{10, 20, 30, 40};
        QTest::newRow("since") << 20 << -1 << QString() << QString() << QString() << 0
                               << QList<int>{20, 30, 40};
        QTest::newRow("until") << -1 << 20 << QString() << QString() << QString() << 0
                               << QList<int>{10, 20};
        QTest::newRow("backend") << -1 << -1 << QStringLiteral("haproxy") << QString() << QString()
                                 << 0 << QList<int>{30};
        QTest::newRow("action") << -1 << -1 << QString() << QStringLiteral("promote") << QString()
                                << 0 << QList<int>{20, 40};
        QTest::newRow("actor") << -1 << -1 << QString() << QString() << QStringLiteral("auto") << 0
                               << QList<int>{40};
        QTest::newRow("newest two")
            << -1 << -1 << QString() << QString() << QString() << 2 << QList<int>{30, 40};
        QTest::newRow("hostile text matches nothing")
            << -1 << -1 << QStringLiteral("' OR 1=1; DROP TABLE entries; --") << QString()
            << QString() << 0 << QList<int>{};
    }
    void filters()
    {
        QFETCH(int, since);
        QFETCH(int, until);
        QFETCH(QString, backend);
        QFETCH(QString, action);
        QFETCH(QString, actor);
        QFETCH(int, limit);
        QFETCH(QList<int>, seconds);
        QTemporaryDir dir;
        std::string error;
        auto store = SqliteAuditStore::open(pathIn(dir, "audit.sqlite3"), &error);
        QVERIFY2(store, error.c_str());
        QVERIFY(store->begin(entry(10, "set_weight"), &error));
        QVERIFY(store->begin(entry(20, "promote"), &error));
        QVERIFY(store->begin(entry(30, "rollback", "ana", "haproxy+unix:///run/h.sock"), &error));
        QVERIFY(store->begin(entry(40, "promote", "auto"), &error));
        AuditFilter f;
        if (since >= 0)
            f.since = at(since);
        if (until >= 0)
            f.until = at(until);
        f.backend = backend.toStdString();
        f.action = action.toStdString();
        f.actor = actor.toStdString();
        f.limit = std::size_t(limit);
        const auto rows = store->query(f, &error);
        QVERIFY2(rows, error.c_str());
        QList<int> got;
        for (const AuditEntry &e : *rows)
            got.append(int((e.time - at(0)) / std::chrono::seconds(1)));
        QCOMPARE(got, seconds);
        QCOMPARE(store->query({}, &error)->size(), std::size_t(4)); // nothing was dropped
    }

    void hostileTextIsStoredAsText()
    {
        QTemporaryDir dir;
        std::string error;
        auto store = SqliteAuditStore::open(pathIn(dir, "audit.sqlite3"), &error);
        AuditEntry e = entry(1, "stage_canary");
        e.parameters = {{"version", "<script>alert(1)</script>'); DROP TABLE entries; --"}};
        e.reason = std::string("nul\0byte and \xe2\x9c\x93", 17);
        QVERIFY(store->begin(e, &error));
        const auto rows = store->query({}, &error);
        QCOMPARE(rows->size(), std::size_t(1));
        QVERIFY(rows->front().parameters == e.parameters);
        QCOMPARE(rows->front().reason, e.reason);
    }

    void migratesAnOlderSchemaKeepingEveryRow()
    {
        QTemporaryDir dir;
        const std::string path = pathIn(dir, "audit.sqlite3");
        std::string error;
        {
            auto v1 = SqliteAuditStore::open(path, &error, 1);
            QVERIFY2(v1, error.c_str());
            QCOMPARE(v1->schemaVersion(), 1);
        }
        // Rows as version 1 wrote them (no automatic, plan or reason columns yet).
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(path.c_str(), &db), SQLITE_OK);
        for (int i = 0; i < 3; ++i) {
            const std::string sql =
                "INSERT INTO entries (time_ms, time, actor, backend_kind, backend_address, action, "
                "parameters, snapshot, outcome) VALUES (" +
                std::to_string(1'700'000'000'000LL + i) +
                ", '2023-11-14T22:13:20.000Z', 'ana', 'Control API', 'http://x', 'promote', '{}', "
                "'{}', 'succeeded');";
            QCOMPARE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        }
        sqlite3_close(db);
        auto store = SqliteAuditStore::open(path, &error);
        QVERIFY2(store, error.c_str());
        QCOMPARE(store->schemaVersion(), 2);
        const auto rows = store->query({}, &error);
        QVERIFY2(rows, error.c_str());
        QCOMPARE(rows->size(), std::size_t(3));
        for (const AuditEntry &e : *rows) {
            QCOMPARE(e.actor, std::string("ana"));
            QVERIFY(!e.automatic);
            QVERIFY(e.reason.empty());
        }
        QVERIFY(store->begin(entry(5, "rollback"), &error)); // and version 2 writes on
    }

    void leavesANewerSchemaAlone()
    {
        QTemporaryDir dir;
        const std::string path = pathIn(dir, "audit.sqlite3");
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(path.c_str(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "PRAGMA user_version = 99;", nullptr, nullptr, nullptr),
                 SQLITE_OK);
        sqlite3_close(db);
        std::string error;
        QVERIFY(!SqliteAuditStore::open(path, &error));
        QVERIFY2(error.find("schema version 99") != std::string::npos, error.c_str());
        QVERIFY2(error.find("left untouched") != std::string::npos, error.c_str());
    }

    void importsTheJsonLinesLogOnce()
    {
        QTemporaryDir dir;
        const std::string log = pathIn(dir, "actions.jsonl");
        // Three lines of two actions and a fourth cut off by a crash, as the console's action log
        // wrote them.
        QVERIFY(QFile::copy(QStringLiteral(CANARY_TEST_FIXTURES "/audit/actions.jsonl"),
                            QString::fromStdString(log)));
        std::string error;
        auto store = SqliteAuditStore::open(pathIn(dir, "audit.sqlite3"), &error);
        QVERIFY2(store, error.c_str());
        const auto first = store->importJsonLines(log, &error);
        QVERIFY2(first, error.c_str());
        QCOMPARE(first->added, std::size_t(2));
        QCOMPARE(first->skipped, std::size_t(1));
        const auto rows = store->query({}, &error);
        QCOMPARE(rows->size(), std::size_t(2));
        QCOMPARE(rows->at(0).outcome, std::string("succeeded"));
        QCOMPARE(rows->at(0).revisionAfter, std::optional<std::int64_t>(4));
        QCOMPARE(rows->at(0).message, std::string("Canary at 25 %."));
        QCOMPARE(rows->at(1).outcome, std::string("pending"));
        const auto second = store->importJsonLines(log, &error);
        QVERIFY2(second, error.c_str());
        QVERIFY(second->alreadyImported);
        QCOMPARE(store->query({}, &error)->size(), std::size_t(2));
        QVERIFY(!store->importJsonLines(pathIn(dir, "missing.jsonl"), &error));
        QVERIFY2(error.find("could not be read") != std::string::npos, error.c_str());
    }

    // A writer killed with SIGKILL right after an acknowledged entry loses none of them.
    void survivesSigkillWithEveryAcknowledgedEntry()
    {
        QTemporaryDir dir;
        const std::string path = pathIn(dir, "audit.sqlite3");
        QProcess writer;
        writer.start(QStringLiteral(CANARY_AUDIT_WRITER), {QString::fromStdString(path)});
        QVERIFY(writer.waitForStarted());
        long long lastAcked = 0;
        QByteArray pending;
        while (lastAcked < 40) {
            QVERIFY2(writer.waitForReadyRead(10'000), "the writer acknowledged nothing");
            pending += writer.readAllStandardOutput();
            qsizetype end = 0;
            while ((end = pending.indexOf('\n')) >= 0) {
                const QByteArray line = pending.left(end);
                pending.remove(0, end + 1);
                if (line.startsWith("acked "))
                    lastAcked = line.mid(6).toLongLong();
            }
        }
        writer.kill(); // SIGKILL: no destructor, no close, no checkpoint
        QVERIFY(writer.waitForFinished());
        // What it printed after the last line we read is acknowledged too; read it.
        pending += writer.readAllStandardOutput();
        for (const QByteArray &line : pending.split('\n'))
            if (line.startsWith("acked "))
                lastAcked = line.mid(6).toLongLong();
        std::string error;
        auto store = SqliteAuditStore::open(path, &error);
        QVERIFY2(store, error.c_str());
        const auto rows = store->query({}, &error);
        QVERIFY2(rows, error.c_str());
        QVERIFY(rows->size() >= std::size_t(lastAcked));
        for (long long id = 1; id <= lastAcked; ++id) {
            const AuditEntry &e = rows->at(std::size_t(id - 1));
            QCOMPARE(e.id, id);
            QCOMPARE(e.outcome, std::string("succeeded"));
        }
        qInfo("killed after %lld acknowledged entries; the file holds %zu", lastAcked,
              rows->size());
    }
};

QTEST_GUILESS_MAIN(TestAuditStore)
#include "tst_auditstore.moc"
