// The History dock on a real audit trail (a SQLite file in a temporary folder): each filter
// narrows the rows to the entries it names, a row opens the numbers it was decided on, an entry
// without numbers says so, and without a readable trail the dock says why.
#include "auditentrydialog.h"
#include "audittablemodel.h"
#include "historydock.h"

#include "audit/sqliteauditstore.h"
#include "console/actionlog.h"
#include "util/clock.h"
#include "util/join.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <memory>

using namespace canary;
using namespace std::chrono_literals;

namespace {

using Ids = QList<qlonglong>;

const std::string kPlan = "fraud-model 2.4.0";

ActionKpis kpis(double errorPercent, double p99Ms, double accuracyPercent, double rate,
                double requests, double errors)
{
    ActionKpis k;
    k.errorPercent = errorPercent;
    k.p99Ms = p99Ms;
    k.accuracyPercent = accuracyPercent;
    k.requestRate = rate;
    k.requestsInWindow = requests;
    k.errorsInWindow = errors;
    return k;
}

// The entry as the console writes it (ActionLog's snapshot of both variants), `ago` before now.
audit::AuditEntry entry(SystemTime now, std::chrono::minutes ago, std::string actor,
                        std::string action, std::string kind, std::string address,
                        nlohmann::json parameters, bool withKpis)
{
    ActionRecord record;
    record.time = now - ago;
    record.actor = std::move(actor);
    record.action = std::move(action);
    record.parameters = std::move(parameters);
    record.stateBefore = "canary";
    record.revision = 41;
    if (withKpis) {
        record.kpisFrom = record.time - 60s;
        record.kpisTime = record.time;
        record.kpisLive = true;
        record.production = kpis(0.5, 84, std::nan(""), 1000, 60000, 300);
        record.canary = kpis(20, 412, 91.3, 100, 6000, 1200);
    }
    return ActionLog::toAuditEntry(record, kind, address);
}

// Six entries over ten days, three backends, several actions and actors; ids 1 to 6 in time order.
std::unique_ptr<audit::SqliteAuditStore> makeTrail(const QString &folder, SystemTime now)
{
    std::string error;
    auto store = audit::SqliteAuditStore::open(
        QDir(folder).filePath(QStringLiteral("audit.sqlite3")).toStdString(), &error);
    if (!store)
        qFatal("%s", error.c_str());
    const std::string control = "Control API";
    const std::string local = "http://127.0.0.1:8080";
    const std::string other = "http://127.0.0.2:9000";
    const std::string haproxy = "unix:///run/haproxy.sock";

    std::vector<std::pair<audit::AuditEntry, std::string>> entries;
    entries.emplace_back(entry(now, 10 * 24 * 60min, "ana", "stage_canary", control, local,
                               {{"model", "fraud"}, {"version", "2.4.0"}}, false),
                         "succeeded");
    entries.emplace_back(entry(now, 2 * 24 * 60min, "bob", "rollback", "HAProxy", haproxy,
                               nlohmann::json::object(), true),
                         "conflict");
    entries.emplace_back(
        entry(now, 180min, "ana", "promote", control, local, nlohmann::json::object(), true),
        "failed");
    audit::AuditEntry rollback =
        entry(now, 30min, "auto", "plan_rollback", control, other,
              {{"plan", kPlan}, {"automatic", true}, {"verdict", "fail"}, {"step", 2}}, true);
    rollback.automatic = true;
    rollback.plan = kPlan;
    rollback.reason = "A critical gate failed at step 2 of 3";
    rollback.snapshot["judgement"] = "errors fails: canary errors 20.0 % vs 0.50 %";
    rollback.snapshot["verdict"] = "fail";
    rollback.snapshot["gates"] =
        nlohmann::json::array({nlohmann::json{{"metric", "errors"},
                                              {"verdict", "fail"},
                                              {"sentence", "canary errors 20.0 % vs 0.50 %"}},
                               nlohmann::json{{"metric", "latency_tail"},
                                              {"verdict", "pass"},
                                              {"sentence", "p99 within tolerance"}}});
    entries.emplace_back(rollback, "succeeded");
    entries.emplace_back(
        entry(now, 10min, "ana", "set_weight", control, local, {{"canary", 25}}, true),
        "succeeded");
    audit::AuditEntry step = entry(now, 5min, "auto", "plan_set_weight", "HAProxy", haproxy,
                                   {{"plan", kPlan}, {"canary", 50}}, true);
    step.automatic = true;
    step.plan = kPlan;
    entries.emplace_back(step, "pending");

    for (auto &[e, outcome] : entries) {
        const auto id = store->begin(e, &error);
        if (!id)
            qFatal("%s", error.c_str());
        if (outcome != "pending" &&
            !store->finish(*id, {outcome, join({"done: ", e.action}), "canary", 42, e.time + 400ms},
                           &error))
            qFatal("%s", error.c_str());
    }
    return store;
}

Ids shownIds(const HistoryDock &dock)
{
    Ids ids;
    for (int row = 0; row < dock.proxy()->rowCount(); ++row)
        ids << dock.proxy()->index(row, 0).data(AuditTableModel::kIdRole).toLongLong();
    std::sort(ids.begin(), ids.end());
    return ids;
}

QModelIndex rowOfId(const HistoryDock &dock, qlonglong id)
{
    for (int row = 0; row < dock.proxy()->rowCount(); ++row) {
        const QModelIndex index = dock.proxy()->index(row, 0);
        if (index.data(AuditTableModel::kIdRole).toLongLong() == id)
            return index;
    }
    return {};
}

void choose(QComboBox *combo, const QVariant &value)
{
    const int index = combo->findData(value);
    QVERIFY2(index >= 0, qPrintable(value.toString()));
    combo->setCurrentIndex(index);
}

// A trail that cannot be read (a store whose disk went away).
class UnreadableSink final : public audit::AuditSink
{
public:
    std::optional<std::int64_t> begin(const audit::AuditEntry &, std::string *) override
    {
        return std::nullopt;
    }
    bool finish(std::int64_t, const audit::AuditOutcome &, std::string *) override { return false; }
    std::optional<std::vector<audit::AuditEntry>> query(const audit::AuditFilter &,
                                                        std::string *error) const override
    {
        *error = "The audit trail /mnt/gone/audit.sqlite3 could not be read: disk I/O error.";
        return std::nullopt;
    }
    std::string location() const override { return "/mnt/gone/audit.sqlite3"; }
};

} // namespace

class TestHistoryDock final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void filtersNarrow_data();
    void filtersNarrow();
    void newestFirstWithStatus();
    void rowOpensItsNumbers();
    void entryWithoutNumbers();
    void hostileTextInTheDetailsIsPlain();
    void newEntriesAppear();
    void saysWhyWithoutATrail();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<audit::SqliteAuditStore> m_store;
    std::unique_ptr<HistoryDock> m_dock;
};

void TestHistoryDock::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_clock = std::make_unique<ManualClock>(SystemClock::instance().now());
    m_store = makeTrail(m_dir->path(), m_clock->now());
    m_dock = std::make_unique<HistoryDock>();
    m_dock->setClock(*m_clock);
    m_dock->setSink(m_store.get());
    m_dock->resize(1200, 400);
    m_dock->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_dock.get()));
}

void TestHistoryDock::cleanup()
{
    m_dock.reset();
    m_store.reset();
    m_clock.reset();
    m_dir.reset();
}

void TestHistoryDock::filtersNarrow_data()
{
    QTest::addColumn<QString>("backend");
    QTest::addColumn<bool>("allBackends");
    QTest::addColumn<QString>("action");
    QTest::addColumn<QString>("actor");
    QTest::addColumn<int>("period");
    QTest::addColumn<Ids>("ids");
    const int all = int(HistoryDock::Period::All);
    QTest::newRow("nothing narrowed") << "" << false << ""
                                      << "" << all << Ids{1, 2, 3, 4, 5, 6};
    QTest::newRow("one backend") << "127.0.0.1" << false << ""
                                 << "" << all << Ids{1, 3, 5};
    QTest::newRow("a part of the address") << "haproxy" << false << ""
                                           << "" << all << Ids{2, 6};
    QTest::newRow("a part two backends share") << "127.0.0." << false << ""
                                               << "" << all << Ids{1, 3, 4, 5};
    QTest::newRow("all backends whatever the text") << "haproxy" << true << ""
                                                    << "" << all << Ids{1, 2, 3, 4, 5, 6};
    QTest::newRow("no such backend") << "10.9.9.9" << false << ""
                                     << "" << all << Ids{};
    QTest::newRow("an operator's rollback, not the plan's") << "" << false << "rollback"
                                                            << "" << all << Ids{2};
    QTest::newRow("the plan's rollback") << "" << false << "plan_rollback"
                                         << "" << all << Ids{4};
    QTest::newRow("the plan's decisions") << "" << false << ""
                                          << "auto" << all << Ids{4, 6};
    QTest::newRow("an actor seen in the trail") << "" << false << ""
                                                << "bob" << all << Ids{2};
    QTest::newRow("last hour") << "" << false << ""
                               << "" << int(HistoryDock::Period::LastHour) << Ids{4, 5, 6};
    QTest::newRow("last 24 hours") << "" << false << ""
                                   << "" << int(HistoryDock::Period::LastDay) << Ids{3, 4, 5, 6};
    QTest::newRow("last 7 days") << "" << false << ""
                                 << "" << int(HistoryDock::Period::LastWeek) << Ids{2, 3, 4, 5, 6};
    QTest::newRow("all together") << "127.0.0.1" << false << ""
                                  << "ana" << int(HistoryDock::Period::LastDay) << Ids{3, 5};
}

void TestHistoryDock::filtersNarrow()
{
    QFETCH(QString, backend);
    QFETCH(bool, allBackends);
    QFETCH(QString, action);
    QFETCH(QString, actor);
    QFETCH(int, period);
    QFETCH(Ids, ids);
    QCOMPARE(shownIds(*m_dock), (Ids{1, 2, 3, 4, 5, 6}));
    // Typed and chosen as a person does; each change reads the trail again.
    m_dock->backendEdit()->clear();
    QTest::keyClicks(m_dock->backendEdit(), backend);
    m_dock->allBackendsBox()->setChecked(allBackends);
    QCOMPARE(m_dock->backendEdit()->isEnabled(), !allBackends);
    choose(m_dock->actionCombo(), action);
    choose(m_dock->actorCombo(), actor);
    choose(m_dock->periodCombo(), period);
    QCOMPARE(shownIds(*m_dock), ids);
    if (ids.isEmpty())
        QVERIFY2(m_dock->statusText().startsWith(QStringLiteral("No entry matches")),
                 qPrintable(m_dock->statusText()));
}

void TestHistoryDock::newestFirstWithStatus()
{
    QCOMPARE(m_dock->proxy()->index(0, 0).data(AuditTableModel::kIdRole).toLongLong(), 6LL);
    QCOMPARE(m_dock->proxy()->index(5, 0).data(AuditTableModel::kIdRole).toLongLong(), 1LL);
    QCOMPARE(m_dock->proxy()->index(0, AuditTableModel::Outcome).data().toString(),
             QStringLiteral("◌ pending"));
    QCOMPARE(m_dock->proxy()->index(0, AuditTableModel::Actor).data().toString(),
             QStringLiteral("auto (fraud-model 2.4.0)"));
    const QString status = m_dock->statusText();
    QCOMPARE(status, QStringLiteral("6 entries"));
    QVERIFY2(m_dock->statusToolTip().contains(QString::fromStdString(m_store->location())),
             qPrintable(m_dock->statusToolTip()));
    QVERIFY(m_dock->unavailableText().isEmpty());
    QVERIFY(m_dock->view()->isVisible());
}

void TestHistoryDock::rowOpensItsNumbers()
{
    const QModelIndex row = rowOfId(*m_dock, 4);
    QVERIFY(row.isValid());
    m_dock->view()->setFocus();
    m_dock->view()->setCurrentIndex(row);
    QTest::keyClick(m_dock->view(), Qt::Key_Return);
    const auto dialogs = m_dock->findChildren<AuditEntryDialog *>();
    QCOMPARE(dialogs.size(), 1);
    AuditEntryDialog *dialog = dialogs.front();
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    QCOMPARE(dialog->entry().id, 4);

    // Both variants side by side, as the snapshot has them; the unknown accuracy is a dash.
    const std::vector<std::tuple<std::string, QString, QString>> expected = {
        {"error_percent", QStringLiteral("0.50 %"), QStringLiteral("20.0 %")},
        {"p99_ms", QStringLiteral("84.0 ms"), QStringLiteral("412 ms")},
        {"accuracy_percent", QStringLiteral("—"), QStringLiteral("91.3 %")},
        {"request_rate", QStringLiteral("1,000/s"), QStringLiteral("100/s")},
        {"requests", QStringLiteral("60,000"), QStringLiteral("6,000")},
        {"errors", QStringLiteral("300"), QStringLiteral("1,200")},
    };
    for (const auto &[key, production, canary] : expected) {
        QCOMPARE(dialog->kpiText(key, "production"), production);
        QCOMPARE(dialog->kpiText(key, "canary"), canary);
    }
    // Every key the console records (actionlog.cpp), those this entry left unknown as dashes.
    QCOMPARE(dialog->kpiTable()->rowCount(), 12);
    QCOMPARE(dialog->kpiText("mean_ms", "production"), QStringLiteral("—"));
    QVERIFY2(dialog->snapshotCaption().contains(QStringLiteral("(live)")),
             qPrintable(dialog->snapshotCaption()));

    // The judge's verdict, sentence and gates.
    auto *verdict = dialog->findChild<QLabel *>(QStringLiteral("verdictValue"));
    QVERIFY(verdict);
    QCOMPARE(verdict->text(), QStringLiteral("Verdict: ✖ fail"));
    auto *judgement = dialog->findChild<QLabel *>(QStringLiteral("judgementValue"));
    QVERIFY(judgement);
    QVERIFY(judgement->text().contains(QStringLiteral("errors fails: canary errors 20.0 %")));
    QCOMPARE(dialog->gateTable()->rowCount(), 2);
    QCOMPARE(dialog->gateTable()->item(0, 0)->text(), QStringLiteral("errors"));
    QCOMPARE(dialog->gateTable()->item(0, 1)->text(), QStringLiteral("✖ fail"));
    QCOMPARE(dialog->gateTable()->item(1, 1)->text(), QStringLiteral("✔ pass"));

    // What was done, the rollout before and after, and what came of it.
    const auto field = [&](const char *name) {
        auto *label = dialog->findChild<QLabel *>(QString::fromLatin1(name));
        return label ? label->text() : QStringLiteral("(no %1)").arg(QString::fromLatin1(name));
    };
    QCOMPARE(field("actorValue"), QStringLiteral("auto (fraud-model 2.4.0)"));
    QCOMPARE(field("reasonValue"), QStringLiteral("A critical gate failed at step 2 of 3"));
    QCOMPARE(field("stateValue"), QStringLiteral("canary → canary"));
    QCOMPARE(field("revisionValue"), QStringLiteral("41 → 42"));
    QCOMPARE(field("messageValue"), QStringLiteral("done: plan_rollback"));
    QVERIFY2(field("outcomeValue").startsWith(QStringLiteral("✔ succeeded, finished ")),
             qPrintable(field("outcomeValue")));

    // And the entry as JSON, as canaryctl history --json prints it.
    const QString json = dialog->rawJson()->toPlainText();
    QVERIFY(dialog->rawJson()->isReadOnly());
    const auto parsed = nlohmann::json::parse(json.toStdString());
    QVERIFY(parsed == audit::toJson(dialog->entry()));
    QCOMPARE(QString::fromStdString(parsed["snapshot"]["canary"]["p99_ms"].dump()),
             QStringLiteral("412.0"));

    // A double click opens another, so two entries can be read side by side.
    const QModelIndex other = rowOfId(*m_dock, 5);
    const QRect cell = m_dock->view()->visualRect(other);
    // (QTest's double click is only the second press: the first is clicked as a person does.)
    QTest::mouseClick(m_dock->view()->viewport(), Qt::LeftButton, {}, cell.center());
    QTest::mouseDClick(m_dock->view()->viewport(), Qt::LeftButton, {}, cell.center());
    QTRY_COMPARE(m_dock->findChildren<AuditEntryDialog *>().size(), 2);
}

void TestHistoryDock::entryWithoutNumbers()
{
    AuditEntryDialog *dialog = m_dock->openEntry(rowOfId(*m_dock, 1));
    QVERIFY(dialog);
    QCOMPARE(dialog->snapshotCaption(),
             QStringLiteral("No numbers were recorded with this entry."));
    QVERIFY(dialog->kpiTable()->isHidden());
    QVERIFY(dialog->gateTable()->isHidden());
    QCOMPARE(dialog->kpiText("error_percent", "canary"), QString());
    // A snapshot that is not even an object (a damaged row) is no snapshot either.
    audit::AuditEntry damaged = dialog->entry();
    damaged.snapshot = nullptr;
    damaged.parameters = "weight";
    AuditEntryDialog again(damaged);
    QCOMPARE(again.snapshotCaption(), QStringLiteral("No numbers were recorded with this entry."));
    QVERIFY(!again.rawJson()->toPlainText().isEmpty());
    QVERIFY(!m_dock->openEntry({}));
}

void TestHistoryDock::hostileTextInTheDetailsIsPlain()
{
    audit::AuditEntry e = entry(m_clock->now(), 1min, "<b>root</b>", "rollback", "Control API",
                                "http://x/<img src=x>", {{"version", "<i>2</i>"}}, true);
    e.message = "<a href='http://evil'>click</a>";
    e.reason = "<h1>big</h1>";
    e.snapshot["canary"]["labels"] = "<u>many</u>";
    e.snapshot["gates"] =
        nlohmann::json::array({nlohmann::json{{"metric", "<s>x</s>"}, {"verdict", "<b>fail</b>"}}});
    AuditEntryDialog dialog(e);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    int values = 0;
    for (const QLabel *label : dialog.findChildren<QLabel *>()) {
        if (!label->objectName().endsWith(QStringLiteral("Value")) &&
            label->objectName() != QStringLiteral("snapshotCaption"))
            continue;
        ++values;
        QVERIFY2(label->textFormat() == Qt::PlainText, qPrintable(label->objectName()));
    }
    QVERIFY(values >= 10);
    QCOMPARE(dialog.findChild<QLabel *>(QStringLiteral("actorValue"))->text(),
             QStringLiteral("<b>root</b>"));
    QCOMPARE(dialog.findChild<QLabel *>(QStringLiteral("messageValue"))->text(),
             QStringLiteral("<a href='http://evil'>click</a>"));
    QCOMPARE(dialog.kpiText("labels", "canary"), QStringLiteral("<u>many</u>"));
    QCOMPARE(dialog.kpiText("labels", "production"), QStringLiteral("—"));
    QCOMPARE(dialog.gateTable()->item(0, 0)->text(), QStringLiteral("<s>x</s>"));
    QCOMPARE(dialog.gateTable()->item(0, 1)->text(), QStringLiteral("<b>fail</b>"));
    QCOMPARE(dialog.gateTable()->item(0, 2)->text(), QStringLiteral("—"));
}

void TestHistoryDock::newEntriesAppear()
{
    std::string error;
    audit::AuditEntry e = entry(m_clock->now(), 0min, "ana", "promote", "Control API",
                                "http://127.0.0.1:8080", nlohmann::json::object(), true);
    QVERIFY(m_store->begin(e, &error));
    m_dock->trailChanged(); // seen: it reads at once
    QCOMPARE(m_dock->proxy()->rowCount(), 7);
    QCOMPARE(m_dock->proxy()->index(0, 0).data(AuditTableModel::kIdRole).toLongLong(), 7LL);

    // Not seen (behind another dock's tab, or closed): it reads when it is shown again.
    m_dock->hide();
    QVERIFY(m_store->begin(e, &error));
    m_dock->trailChanged();
    QCOMPARE(m_dock->proxy()->rowCount(), 7);
    m_dock->show();
    QTRY_COMPARE(m_dock->proxy()->rowCount(), 8);

    // Written by someone else (canaryctl): Refresh reads it, and the selection stays.
    m_dock->view()->setCurrentIndex(rowOfId(*m_dock, 4));
    QVERIFY(m_store->begin(e, &error));
    QCOMPARE(m_dock->proxy()->rowCount(), 8);
    m_dock->refreshButton()->click();
    QCOMPARE(m_dock->proxy()->rowCount(), 9);
    QCOMPARE(m_dock->view()->currentIndex().data(AuditTableModel::kIdRole).toLongLong(), 4LL);
}

void TestHistoryDock::saysWhyWithoutATrail()
{
    // The store could not be opened: its sentence, not an empty table.
    const QString why = QStringLiteral("The audit trail /home/ana/audit.sqlite3 could not be "
                                       "opened: unable to open database file.");
    m_dock->setUnavailable(why);
    QVERIFY2(m_dock->unavailableText().contains(why), qPrintable(m_dock->unavailableText()));
    QVERIFY(!m_dock->view()->isVisible());
    QCOMPARE(m_dock->model()->rowCount(), 0);
    m_dock->refreshButton()->click(); // nothing to read: the reason stays
    QVERIFY(m_dock->unavailableText().contains(why));

    // A trail that stops answering says so too.
    UnreadableSink unreadable;
    m_dock->setSink(&unreadable);
    QVERIFY2(m_dock->unavailableText().contains(QStringLiteral("could not be read: disk I/O")),
             qPrintable(m_dock->unavailableText()));
    QVERIFY(!m_dock->view()->isVisible());

    // And once it can be read again, the table is back.
    m_dock->setSink(m_store.get());
    QVERIFY(m_dock->unavailableText().isEmpty());
    QCOMPARE(m_dock->proxy()->rowCount(), 6);
}

QTEST_MAIN(TestHistoryDock)
#include "tst_historydock.moc"
