#pragma once

#include "audit/sqliteauditstore.h"
#include "backends/backendfactory.h"
#include "console/actionlog.h"
#include "console/plandecisions.h"
#include "console/rolloutmonitor.h"
#include "consolesettings.h"
#include "demogateway.h"
#include "domain/rolloutrules.h"
#include "messagebar.h"
#include "report/reportwriter.h"
#include "rollout/plan.h"
#include "rollout/plancontroller.h"
#include "util/clock.h"

#include <QMainWindow>
#include <QTimer>

#include <memory>

class QActionGroup;
class QComboBox;
class QLabel;
class QProgressBar;
class QProgressDialog;
class QPushButton;
class QSystemTrayIcon;

namespace Ui {
class MainWindow;
}

namespace canary {

class AnalysisPanel;
class ElidedLabel;
class ConfirmActionDialog;
class ChartGrid;
class HistoryDock;
class HttpTransport;
class KpiComparison;
class PlanTimeline;
class ProfileStore;
class ReportExporter;
class RolloutActions;
class Scheduler;
class StaleBanner;
class TrafficControl;
class VariantHeader;

// Where the window is connected: a backend and its metrics (docs/backends.md has the URL forms),
// with the secrets each needs.
struct ConnectionTarget
{
    QString name;            // profile name, "demo", or empty for a URL given on the command line
    QString url;             // the backend (--backend)
    QString metricsUrl;      // the metrics (--metrics); empty: the backend's own
    QString token;           // Control API bearer token
    QString metricsToken;    // Prometheus bearer token
    QString metricsUser;     // Prometheus basic auth
    QString metricsPassword; // Prometheus basic auth
    QString queryFile;       // Prometheus query templates; empty: the built-in ones
    bool verifyTls = true;

    // A Control API backend with its own metrics.
    static ConnectionTarget controlApi(QString name, QString url, QString token,
                                       bool verifyTls = true)
    {
        ConnectionTarget target;
        target.name = std::move(name);
        target.url = std::move(url);
        target.token = std::move(token);
        target.verifyTls = verifyTls;
        return target;
    }
    // A saved profile with its secrets (the metrics secret is the password when the profile has a
    // metrics user, else the Prometheus bearer token).
    static ConnectionTarget fromProfile(const SavedProfile &profile, const ProfileSecrets &secrets);
    // The backends the command line named (ConnectionOptions).
    static ConnectionTarget fromCommandLine(const ConnectionProfile &profile);
    // What the factory builds the backends from.
    ConnectionProfile profile() const;
};

// The console: both variants side by side (headers and charts), the stale banner, the levers
// (traffic weight, promote, roll back, stage) in a panel on the right, and below the rollout plan
// (PlanTimeline) with the live judge's verdicts (AnalysisPanel).
class MainWindow final : public QMainWindow
{
    Q_OBJECT

public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Replaces any current connection; polling starts at once. The backends are built from the
    // target's URLs by the factory (backends/backendfactory.h); a bad URL is reported.
    void connectTo(const ConnectionTarget &target);
    // The same with backends already built (tests pass fakes). `target` names the connection.
    // `planBackends` are the plan controller's own (a metrics source never has two reads in
    // flight); without them no plan can run on this connection.
    void connectWith(const ConnectionTarget &target, Backends backends, Backends planBackends = {});
    void disconnectBackend();
    // Runs the reference gateway's demo beside the console and connects to it when it listens.
    // The regression scenario also starts the plan once the rollout is read, so the guard rails
    // are seen catching the canary.
    void startDemo();
    void startDemo(DemoGateway::Scenario scenario,
                   std::chrono::seconds degradeAfter = DemoGateway::kDefaultDegradeAfter);
    // The plan the timeline shows and Start runs (the built-in one until another is set).
    void setPlan(const rollout::Plan &plan, const QString &source);
    // Runs the timeline's plan on the current connection; says why when it cannot.
    void startPlan();
    // The scheduler the plan controller waits on (tests give a ManualScheduler). Must outlive
    // the window's connections.
    void setPlanScheduler(Scheduler &scheduler) { m_planScheduler = &scheduler; }
    // Opens the connection dialog (optionally on one profile, with a note).
    void showConnectionDialog(const QString &profile = {}, const QString &note = {});
    // Connects to the last used profile (token from the keychain), or offers the demo on a
    // first run. Call once the window is shown.
    void startFromSettings();
    // The first-run question: start the demo or connect.
    void offerFirstRun();
    // File → Export comparison report…: asks for the format, the time and the file, then writes
    // it in the background with a progress dialog (docs/reports.md).
    void exportReport();
    // The report's content over the last `window` (nullopt: all the history held), gathered from
    // what the window shows: the charts' history, the decision snapshot, the rollout, the plan
    // and its judge, and the audit trail's entries for this backend.
    // `now` is the moment it ends at (the exporting moment; tests on virtual time give theirs).
    report::ReportData gatherReport(std::optional<std::chrono::seconds> window,
                                    SystemTime now = SystemClock::instance().now()) const;
    // Starts writing `content` to `path` (the charts drawn first, here); false while another export
    // runs. The outcome lands in the message bar.
    bool startExport(report::ReportData content, report::Format format, const QString &path);
    ReportExporter *reportExporter() const { return m_exporter.get(); }

    // The pieces, for tests and for main().
    RolloutMonitor *monitor() const { return m_monitor.get(); }
    RolloutActions *actions() const { return m_actions.get(); }
    ChartGrid *chartGrid() const { return m_chartGrid; }
    TrafficControl *trafficControl() const { return m_traffic; }
    StaleBanner *staleBanner() const { return m_banner; }
    MessageBar *messageBar() const { return m_messages; }
    KpiComparison *comparison() const { return m_comparison; }
    AnalysisPanel *analysisPanel() const { return m_analysis; }
    PlanTimeline *planTimeline() const { return m_timeline; }
    // The audit trail in the window, tabified with the plan's dock.
    HistoryDock *historyDock() const { return m_history; }
    // The rollout plan's own bar: its automatic decisions (a rollback and why), kept apart from
    // the action outcomes so neither hides the other.
    MessageBar *planMessageBar() const { return m_planMessages; }
    rollout::PlanController *planController() const { return m_plan.get(); }
    // Every action of this session, the plan's decisions included.
    const ActionLog &actionLog() const { return m_actionLog; }
    VariantHeader *variantHeader(VariantRole role) const;
    DemoGateway *demoGateway() const { return m_demo.get(); }
    ProfileStore *profileStore() const { return m_profiles.get(); }
    QAction *promoteAction() const;
    QAction *rollbackAction() const;
    QAction *stageAction() const;
    QString ageText() const;
    const ConnectionTarget &target() const { return m_target; }

    static constexpr std::chrono::milliseconds kRefreshTick{250};
    // The numbers the headers, the comparison, the confirmations and the action log all use.
    KpiSnapshot decisionSnapshot() const;
    // The rollout as the levers read it (nullopt until the first document).
    std::optional<RolloutReading> reading() const;
    // The status bar's link text: "● live", "● stale", "❚❚ paused (data live)".
    QString linkText() const;
    // The status bar's "where": "HAProxy unix:///run/haproxy.sock · metrics Prometheus http://…".
    QString connectionText() const;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    // Opens the audit trail (docs/audit.md) and imports the earlier JSON-lines log once.
    void openAuditTrail();
    void showAuditTrailError(); // when the trail could not be opened: why no lever is offered
    void setUpHistory();
    void setUpActions();
    void setUpStatusBar();
    void setUpTimeWindows();
    void connectMonitor();
    // The factory's backends for `target`; on a bad URL none, and `error` says why.
    Backends buildBackends(const ConnectionTarget &target, std::string *error);

    void onStateChanged(const RolloutState &state);
    void onKpisUpdated(const metrics::KpiResult &kpis);
    void onHealthChanged(LinkHealth health);
    void onTimelineEvent(const TimelineEvent &event);
    void onBackfillFinished();
    // The metrics source's limits and the back-fill's outcome, as one message.
    void showSourceNotes(const QString &backfill, MessageBar::Level level);
    void requestWeight(Weight weight);
    // After a confirmation: still the same backend and the revision decided on? Says why not.
    bool stillDecidable(std::uint64_t connection, std::optional<std::int64_t> revision);
    void onActionSucceeded(const QString &summary);
    void onActionFailed(const QString &message, bool conflict);
    void onBusyChanged(bool busy);
    void onTick();
    void onAgeTick();

    void setUpPlan();
    void onPlanDecision(const rollout::Decision &decision);
    void updatePlanView();
    // A person acts outside the plan (the console's own levers): the plan stops first.
    void overridePlan(const QString &what);
    bool planRunning() const;
    void notifyDesktop(const QString &title, const QString &text, bool critical);
    // The confirmations say what the plan's judge says of the canary, or that none judges it.
    void describeVerdict(ConfirmActionDialog &dialog) const;

    void promote();
    void rollback();
    void stageCanary();
    void focusWeight();
    void setTimeWindow(int seconds);
    void setOverlay(bool overlay);
    void setPaused(bool paused);
    void updateLevers();
    void updateBanner();
    void updateHeadersLive();
    void updateRecentActions();
    void updateTitle();
    void showAbout();
    void reportError(const QString &message);

    std::unique_ptr<Ui::MainWindow> m_ui;
    std::unique_ptr<HttpTransport> m_transport;
    std::unique_ptr<ProfileStore> m_profiles;
    std::unique_ptr<DemoGateway> m_demo;
    std::unique_ptr<audit::SqliteAuditStore> m_audit; // declared before the log that writes to it
    ActionLog m_actionLog;

    // Per connection; the chart grid reads the monitor's store, so it goes first.
    Backends m_backends; // before the monitor and the actions, which use it
    std::unique_ptr<RolloutMonitor> m_monitor;
    std::unique_ptr<RolloutActions> m_actions;
    Backends m_planBackends; // the plan controller's own, before it
    std::unique_ptr<rollout::PlanController> m_plan;
    PlanDecisionLog m_decisionLog{m_actionLog}; // the plan's decisions into the audit trail
    std::string m_unrecordedDecision; // why the plan's pending decision could not be recorded
    std::unique_ptr<ReportExporter> m_exporter;
    QProgressDialog *m_exportProgress = nullptr;
    Scheduler *m_planScheduler = nullptr;
    bool m_startPlanOnFirstState = false;
    ChartGrid *m_chartGrid = nullptr;
    ConnectionTarget m_target;

    VariantHeader *m_productionHeader = nullptr;
    VariantHeader *m_canaryHeader = nullptr;
    StaleBanner *m_banner = nullptr;
    MessageBar *m_messages = nullptr;
    TrafficControl *m_traffic = nullptr;
    KpiComparison *m_comparison = nullptr;
    MessageBar *m_planMessages = nullptr;
    AnalysisPanel *m_analysis = nullptr;
    PlanTimeline *m_timeline = nullptr;
    HistoryDock *m_history = nullptr;
    QSystemTrayIcon *m_tray = nullptr; // made on the first notification, where a tray exists
    QComboBox *m_windowCombo = nullptr;
    QActionGroup *m_windowGroup = nullptr;

    QLabel *m_linkLabel = nullptr;
    ElidedLabel *m_urlLabel = nullptr;
    QLabel *m_stateLabel = nullptr;
    QLabel *m_ageLabel = nullptr;
    QProgressBar *m_busyBar = nullptr;

    // Deviations from the spec already told for this connection: each is said once.
    std::vector<std::string> m_toldDeviations;
    // The metrics source's warnings (Prometheus's) already told for this connection.
    std::vector<std::string> m_toldWarnings;
    // Counts connections, so a decision confirmed in a dialog is never sent to a backend the
    // console connected to while the dialog was open.
    std::uint64_t m_connection = 0;

    QTimer m_tick;
    QTimer m_ageTimer;
    int m_timeWindowSeconds = 5 * 60;
};

} // namespace canary
