#include "mainwindow.h"
#include "aboutdialog.h"
#include "analysispanel.h"
#include "chartgrid.h"
#include "confirmactiondialog.h"
#include "connectiondialog.h"
#include "demogateway.h"
#include "elidedlabel.h"
#include "gatetablemodel.h"
#include "historydock.h"
#include "kpicomparison.h"
#include "messagebar.h"
#include "plantimeline.h"
#include "profilestore.h"
#include "reportcharts.h"
#include "reportexport.h"
#include "stagecanarydialog.h"
#include "stalebanner.h"
#include "trafficcontrol.h"
#include "ui_mainwindow.h"
#include "variantheader.h"

#include "backends/backendfactory.h"
#include "backends/httptransport.h"
#include "console/plandecisions.h"
#include "console/rolloutactions.h"
#include "report/reportbuilder.h"
#include "util/clock.h"
#include "util/join.h"
#include "util/scheduler.h"

#include <QActionGroup>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QProgressDialog>
#include <QPushButton>
#include <QStandardPaths>
#include <QStyle>
#include <QSystemTrayIcon>
#include <QToolButton>

#include <cmath>

namespace canary {

namespace {

using namespace std::chrono_literals;

// Numbers at least this much older than the moment they were fetched are said to be so in the
// status bar: more than any scrape interval, less than CloudWatch's delay.
constexpr std::chrono::milliseconds kLaggingNumbers = 30s;

// A moment as the window shows it: the local time of day.
QString clockTime(SystemTime time)
{
    return QDateTime::fromMSecsSinceEpoch(time.time_since_epoch().count())
        .toString(QStringLiteral("HH:mm:ss"));
}

struct TimeWindowChoice
{
    int seconds;
    const char *label;
};
constexpr std::array<TimeWindowChoice, 5> kTimeWindows = {{{5 * 60, "5 min"},
                                                           {15 * 60, "15 min"},
                                                           {3600, "1 h"},
                                                           {6 * 3600, "6 h"},
                                                           {24 * 3600, "24 h"}}};

// Where earlier versions kept the action log as JSON lines; imported once into the audit trail.
QString legacyActionLogPath()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return dir.isEmpty() ? QString() : QDir(dir).filePath(QStringLiteral("actions.jsonl"));
}

QColor linkColor(LinkHealth health)
{
    switch (health) {
    case LinkHealth::Live:
        return VariantHeader::healthColor(VariantHeader::Health::Good);
    case LinkHealth::Stale:
        return VariantHeader::healthColor(VariantHeader::Health::Warning);
    case LinkHealth::Lost:
        return VariantHeader::healthColor(VariantHeader::Health::Bad);
    case LinkHealth::Connecting:
        break;
    }
    return VariantHeader::healthColor(VariantHeader::Health::Unknown);
}

void makeBold(QWidget *widget)
{
    QFont font = widget->font();
    font.setBold(true);
    widget->setFont(font);
}

void makeDangerous(QWidget *widget)
{
    makeBold(widget);
    QPalette p = widget->palette();
    // Only while enabled: a disabled roll back must look disabled.
    for (QPalette::ColorGroup group : {QPalette::Active, QPalette::Inactive})
        p.setColor(group, QPalette::ButtonText, QColor(0xc6, 0x28, 0x28));
    widget->setPalette(p);
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_ui(std::make_unique<Ui::MainWindow>())
    , m_transport(std::make_unique<HttpTransport>())
    , m_profiles(std::make_unique<ProfileStore>())
    , m_demo(std::make_unique<DemoGateway>())
    , m_actionLog()
    , m_planScheduler(&QtScheduler::instance())
{
    m_ui->setupUi(this);
    if (m_actionLog.actor().empty()) // no account name known at all (osuser.h)
        m_actionLog.setActor("operator");

    m_messages = new MessageBar(this);
    m_ui->messageHost->addWidget(m_messages);
    m_productionHeader = new VariantHeader(VariantRole::Production, this);
    m_canaryHeader = new VariantHeader(VariantRole::Canary, this);
    m_ui->headerHost->addWidget(m_productionHeader, 1);
    m_ui->headerHost->addWidget(m_canaryHeader, 1);
    m_banner = new StaleBanner(this);
    m_ui->bannerHost->addWidget(m_banner);
    m_traffic = new TrafficControl(this);
    m_traffic->setStateUnknown(tr("Not connected."));
    m_ui->trafficHost->addWidget(m_traffic);
    m_comparison = new KpiComparison(this);
    m_ui->comparisonHost->addWidget(m_comparison);
    // The plan's bar sits above the other: an automatic rollback is the one message that must not
    // be replaced by the next action's outcome.
    m_planMessages = new MessageBar(this);
    m_planMessages->setObjectName(QStringLiteral("planMessageBar"));
    m_ui->messageHost->insertWidget(0, m_planMessages);
    openAuditTrail(); // its failure is shown in the plan's bar
    m_timeline = new PlanTimeline(this);
    m_analysis = new AnalysisPanel(this);
    m_ui->planHost->addWidget(m_timeline, 2);
    m_ui->planHost->addWidget(m_analysis, 5);

    makeBold(m_ui->decisionTitle);
    makeBold(m_ui->recentTitle);
    makeBold(m_ui->promoteButton);
    makeDangerous(m_ui->rollbackButton);
    m_ui->decisionHint->setForegroundRole(QPalette::PlaceholderText);
    m_ui->emptyText->setText(
        tr("<h2>Not connected</h2><p>Start the demo to watch a simulated rollout, or connect to "
           "your serving backend: its Control API, or the HAProxy in front of its models.</p>"));
    m_ui->centreStack->setCurrentWidget(m_ui->emptyPage);

    setUpActions();
    setUpTimeWindows();
    setUpStatusBar();
    setUpPlan();
    setUpHistory();

    connect(m_traffic, &TrafficControl::weightRequested, this, &MainWindow::requestWeight);
    connect(m_demo.get(), &DemoGateway::ready, this,
            [this](const QString &url, const QString &token) {
                connectTo(ConnectionTarget::controlApi(QStringLiteral("demo"), url, token));
                m_startPlanOnFirstState = m_demo->scenario() == DemoGateway::Scenario::Regression;
                m_messages->showMessage(MessageBar::Level::Info,
                                        tr("Demo running: a reference gateway with simulated "
                                           "models under load at %1.")
                                            .arg(url));
            });
    connect(m_demo.get(), &DemoGateway::failed, this, &MainWindow::reportError);
    connect(m_profiles.get(), &ProfileStore::tokenStored, this,
            [this](const QString &, bool persisted, const QString &note) {
                if (!persisted)
                    m_messages->showMessage(MessageBar::Level::Warning, note);
            });

    m_tick.setInterval(kRefreshTick);
    connect(&m_tick, &QTimer::timeout, this, &MainWindow::onTick);
    m_tick.start();
    m_ageTimer.setInterval(1s);
    connect(&m_ageTimer, &QTimer::timeout, this, &MainWindow::onAgeTick);
    m_ageTimer.start();

    ConsoleSettings &settings = m_profiles->settings();
    if (!restoreGeometry(settings.windowGeometry()))
        resize(1280, 800);
    if (!restoreState(settings.windowState())) {
        resizeDocks({m_ui->controlsDock}, {340}, Qt::Horizontal);
        resizeDocks({m_ui->planDock}, {270}, Qt::Vertical);
    }
    m_ui->actionOverlay->setChecked(settings.overlay());
    setTimeWindow(settings.timeWindowSeconds());

    updateLevers();
    updateTitle();
    updateRecentActions();
}

MainWindow::~MainWindow()
{
    disconnectBackend();
}

void MainWindow::setUpActions()
{
    connect(m_ui->actionConnect, &QAction::triggered, this, [this] { showConnectionDialog(); });
    connect(m_ui->actionDemo, &QAction::triggered, this, [this] { startDemo(); });
    connect(m_ui->actionQuit, &QAction::triggered, this, &QMainWindow::close);
    auto *exportAction = new QAction(tr("&Export comparison report…"), this);
    exportAction->setObjectName(QStringLiteral("actionExportReport"));
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    exportAction->setStatusTip(tr("Write the verdict, the figures, the charts and the audit "
                                  "trail of this rollout as PDF, HTML, CSV or JSON."));
    m_ui->menuFile->insertAction(m_ui->actionQuit, exportAction);
    m_ui->menuFile->insertSeparator(m_ui->actionQuit);
    connect(exportAction, &QAction::triggered, this, &MainWindow::exportReport);
    connect(m_ui->actionSetWeight, &QAction::triggered, this, &MainWindow::focusWeight);
    connect(m_ui->actionPromote, &QAction::triggered, this, &MainWindow::promote);
    connect(m_ui->actionRollback, &QAction::triggered, this, &MainWindow::rollback);
    connect(m_ui->actionStageCanary, &QAction::triggered, this, &MainWindow::stageCanary);
    connect(m_ui->actionOverlay, &QAction::toggled, this, &MainWindow::setOverlay);
    connect(m_ui->actionPause, &QAction::toggled, this, &MainWindow::setPaused);
    connect(m_ui->actionAbout, &QAction::triggered, this, &MainWindow::showAbout);
    m_ui->actionPause->setShortcuts(
        {QKeySequence(Qt::CTRL | Qt::Key_P), QKeySequence(Qt::Key_Pause)});

    connect(m_ui->promoteButton, &QPushButton::clicked, m_ui->actionPromote, &QAction::trigger);
    connect(m_ui->rollbackButton, &QPushButton::clicked, m_ui->actionRollback, &QAction::trigger);
    connect(m_ui->stageButton, &QPushButton::clicked, m_ui->actionStageCanary, &QAction::trigger);
    connect(m_ui->emptyDemo, &QPushButton::clicked, this, [this] { startDemo(); });
    connect(m_ui->emptyConnect, &QPushButton::clicked, this, [this] { showConnectionDialog(); });

    m_ui->actionRollback->setIconText(tr("Roll back"));
    if (QWidget *button = m_ui->mainToolBar->widgetForAction(m_ui->actionRollback)) {
        makeDangerous(button);
        button->setToolTip(tr("Roll back the canary: all traffic to production (Ctrl+Shift+R)"));
    }
}

void MainWindow::setUpTimeWindows()
{
    m_windowGroup = new QActionGroup(this);
    const std::array<QAction *, kTimeWindows.size()> actions = {
        m_ui->actionWindow5m, m_ui->actionWindow15m, m_ui->actionWindow1h, m_ui->actionWindow6h,
        m_ui->actionWindow24h};
    m_windowCombo = new QComboBox(this);
    m_windowCombo->setObjectName(QStringLiteral("timeWindow"));
    m_windowCombo->setToolTip(tr("Time span of the charts"));
    for (std::size_t i = 0; i < kTimeWindows.size(); ++i) {
        const int seconds = kTimeWindows[i].seconds;
        m_windowCombo->addItem(tr(kTimeWindows[i].label), seconds);
        m_windowGroup->addAction(actions[i]);
        connect(actions[i], &QAction::triggered, this, [this, seconds] { setTimeWindow(seconds); });
    }
    connect(m_windowCombo, &QComboBox::activated, this,
            [this](int index) { setTimeWindow(m_windowCombo->itemData(index).toInt()); });
    m_ui->mainToolBar->addSeparator();
    auto *label = new QLabel(tr("Window "), this);
    m_ui->mainToolBar->addWidget(label);
    m_ui->mainToolBar->addWidget(m_windowCombo);
}

void MainWindow::setUpStatusBar()
{
    m_linkLabel = new QLabel(this);
    m_linkLabel->setObjectName(QStringLiteral("linkLabel"));
    // The URLs can be long (a SageMaker endpoint with its region and variants); they give way
    // so that the state and the age beside them stay in view.
    m_urlLabel = new ElidedLabel(this);
    m_urlLabel->setObjectName(QStringLiteral("urlLabel"));
    m_stateLabel = new QLabel(this);
    m_stateLabel->setObjectName(QStringLiteral("stateLabel"));
    m_ageLabel = new QLabel(this);
    m_ageLabel->setObjectName(QStringLiteral("ageLabel"));
    m_ageLabel->setMinimumWidth(fontMetrics().horizontalAdvance(tr("updated 88.8 s ago")) + 8);
    m_busyBar = new QProgressBar(this);
    m_busyBar->setRange(0, 0);
    m_busyBar->setMaximumSize(80, 12);
    m_busyBar->setTextVisible(false);
    m_busyBar->setToolTip(tr("An action is in flight"));
    m_busyBar->setVisible(false);
    statusBar()->addPermanentWidget(m_busyBar);
    statusBar()->addPermanentWidget(m_urlLabel, 1);
    statusBar()->addPermanentWidget(m_stateLabel);
    statusBar()->addPermanentWidget(m_linkLabel);
    statusBar()->addPermanentWidget(m_ageLabel);
    m_urlLabel->setText(tr("not connected"));
}

VariantHeader *MainWindow::variantHeader(VariantRole role) const
{
    return role == VariantRole::Production ? m_productionHeader : m_canaryHeader;
}

QAction *MainWindow::promoteAction() const
{
    return m_ui->actionPromote;
}

QAction *MainWindow::rollbackAction() const
{
    return m_ui->actionRollback;
}

QAction *MainWindow::stageAction() const
{
    return m_ui->actionStageCanary;
}

ConnectionTarget ConnectionTarget::fromProfile(const SavedProfile &profile,
                                               const ProfileSecrets &secrets)
{
    ConnectionTarget target =
        controlApi(profile.name, profile.url, secrets.token, profile.verifyTls);
    target.metricsUrl = profile.metricsUrl;
    target.queryFile = profile.queryFile;
    target.metricsUser = profile.metricsUser;
    if (profile.metricsUser.isEmpty())
        target.metricsToken = secrets.metricsSecret;
    else
        target.metricsPassword = secrets.metricsSecret;
    return target;
}

ConnectionTarget ConnectionTarget::fromCommandLine(const ConnectionProfile &profile)
{
    ConnectionTarget target;
    target.url = QString::fromStdString(profile.backendUrl);
    target.metricsUrl = QString::fromStdString(profile.metricsUrl);
    target.token = QString::fromStdString(profile.options.token);
    target.metricsToken = QString::fromStdString(profile.options.metricsToken);
    target.metricsUser = QString::fromStdString(profile.options.metricsUser);
    target.metricsPassword = QString::fromStdString(profile.options.metricsPassword);
    target.queryFile = QString::fromStdString(profile.options.queryFile);
    target.verifyTls = profile.options.verifyTls;
    return target;
}

ConnectionProfile ConnectionTarget::profile() const
{
    QString backend = url.trimmed();
    while (backend.endsWith(QLatin1Char('/')))
        backend.chop(1);
    ConnectionProfile profile;
    profile.backendUrl = backend.toStdString();
    profile.metricsUrl = metricsUrl.trimmed().toStdString();
    profile.options.token = token.toStdString();
    profile.options.metricsToken = metricsToken.toStdString();
    profile.options.metricsUser = metricsUser.toStdString();
    profile.options.metricsPassword = metricsPassword.toStdString();
    profile.options.queryFile = queryFile.toStdString();
    profile.options.verifyTls = verifyTls;
    return profile;
}

Backends MainWindow::buildBackends(const ConnectionTarget &target, std::string *error)
{
    Backends backends =
        makeBackends(target.profile(), m_transport.get(), SystemClock::instance(), error);
    if (!backends.control || !backends.metrics)
        return {};
    return backends;
}

void MainWindow::connectTo(const ConnectionTarget &target)
{
    std::string error;
    Backends backends = buildBackends(target, &error);
    if (!backends.control) {
        disconnectBackend();
        reportError(tr("Cannot connect: %1.").arg(QString::fromStdString(error)));
        return;
    }
    // The plan controller reads the metrics on its own schedule, and a source never has two reads
    // in flight: it gets backends of its own, built from the same URLs.
    Backends planBackends = buildBackends(target, &error);
    connectWith(target, std::move(backends), std::move(planBackends));
}

void MainWindow::connectWith(const ConnectionTarget &target, Backends backends,
                             Backends planBackends)
{
    disconnectBackend();
    if (!backends.control || !backends.metrics)
        return;
    ++m_connection;
    m_target = target;
    m_backends = std::move(backends);
    if (planBackends.control && planBackends.metrics)
        m_planBackends = std::move(planBackends);
    m_monitor = std::make_unique<RolloutMonitor>(m_backends.control.get(), m_backends.metrics.get(),
                                                 QtScheduler::instance());
    m_actions = std::make_unique<RolloutActions>(m_backends.control.get(), m_monitor.get());
    m_actions->setActionLog(&m_actionLog);
    m_actionLog.setBackend(m_backends.control->capabilities().kind, m_backends.control->address());
    m_history->setCurrentBackend(QString::fromStdString(m_backends.control->address()));
    showAuditTrailError(); // again: the connection's own messages must not hide it

    m_chartGrid = new ChartGrid(m_monitor->history(), m_ui->chartPage);
    m_chartGrid->setObjectName(QStringLiteral("chartGrid"));
    m_chartGrid->setTimeWindow(std::chrono::seconds(m_timeWindowSeconds));
    m_chartGrid->setOverlay(m_ui->actionOverlay->isChecked());
    m_chartGrid->setPaused(m_ui->actionPause->isChecked());
    m_ui->chartHost->addWidget(m_chartGrid);
    m_ui->centreStack->setCurrentWidget(m_ui->chartPage);
    connect(m_chartGrid, &ChartGrid::pausedChanged, this, [this](bool paused) {
        if (m_ui->actionPause->isChecked() != paused)
            m_ui->actionPause->setChecked(paused);
    });

    connectMonitor();
    m_urlLabel->setText(connectionText());
    m_urlLabel->setToolTip(tr("%1\n%2").arg(
        connectionText(), target.verifyTls ? tr("TLS certificates are verified")
                                           : tr("TLS certificates are NOT verified")));
    const ControlPlane *control = m_backends.control.get();
    m_traffic->setNearestWeight(
        [control](Weight requested) { return control->nearestWeight(requested); },
        QString::fromStdString(control->capabilities().kind));
    showSourceNotes({}, MessageBar::Level::Info);
    m_stateLabel->clear();
    m_traffic->setStateUnknown();
    m_productionHeader->clear();
    m_canaryHeader->clear();
    onHealthChanged(m_monitor->health());
    updateTitle();
    updateLevers();
    updatePlanView();
    m_monitor->start();
}

void MainWindow::connectMonitor()
{
    RolloutMonitor *monitor = m_monitor.get();
    connect(monitor, &RolloutMonitor::stateChanged, this, &MainWindow::onStateChanged);
    connect(monitor, &RolloutMonitor::kpisUpdated, this, &MainWindow::onKpisUpdated);
    connect(monitor, &RolloutMonitor::healthChanged, this, &MainWindow::onHealthChanged);
    connect(monitor, &RolloutMonitor::feedHealthChanged, this,
            [this] { onHealthChanged(m_monitor->health()); });
    // The banner says why polls fail; the status bar stays for the outcome of actions.
    connect(monitor, &RolloutMonitor::pollFailed, this, &MainWindow::updateBanner);
    connect(monitor, &RolloutMonitor::eventAdded, this, &MainWindow::onTimelineEvent);
    connect(monitor, &RolloutMonitor::backfillFinished, this, &MainWindow::onBackfillFinished);
    RolloutActions *actions = m_actions.get();
    connect(actions, &RolloutActions::busyChanged, this, &MainWindow::onBusyChanged);
    connect(actions, &RolloutActions::succeeded, this, &MainWindow::onActionSucceeded);
    connect(actions, &RolloutActions::failed, this, &MainWindow::onActionFailed);
}

void MainWindow::disconnectBackend()
{
    // The rounding asks the control plane, which goes below.
    m_traffic->setNearestWeight({});
    // The plan goes before its backends; what it decided stays in the action log.
    m_plan.reset();
    m_planBackends = {};
    m_decisionLog.clear();
    m_startPlanOnFirstState = false;
    if (m_chartGrid) {
        delete m_chartGrid;
        m_chartGrid = nullptr;
    }
    m_actions.reset();
    m_monitor.reset();
    m_backends = {};
    m_ui->centreStack->setCurrentWidget(m_ui->emptyPage);
    m_banner->clear();
    m_traffic->setBusy(false);
    m_traffic->setStateUnknown(tr("Not connected."));
    m_productionHeader->clear();
    m_canaryHeader->clear();
    m_comparison->setSnapshot({}, false);
    m_comparison->setCaption({});
    m_toldDeviations.clear();
    m_toldWarnings.clear();
    m_busyBar->setVisible(false);
    m_urlLabel->setText(tr("not connected"));
    m_stateLabel->clear();
    m_linkLabel->clear();
    m_ageLabel->clear();
    updateLevers();
    updatePlanView();
}

void MainWindow::startDemo(DemoGateway::Scenario scenario, std::chrono::seconds degradeAfter)
{
    m_demo->setScenario(scenario, degradeAfter);
    if (m_demo->isRunning()) // a running demo runs its own scenario: start it afresh
        m_demo->stop();
    startDemo();
}

void MainWindow::startDemo()
{
    if (m_demo->isRunning() && !m_demo->url().isEmpty()) {
        connectTo(
            ConnectionTarget::controlApi(QStringLiteral("demo"), m_demo->url(), m_demo->token()));
        m_startPlanOnFirstState = m_demo->scenario() == DemoGateway::Scenario::Regression;
        return;
    }
    m_messages->showMessage(MessageBar::Level::Info, tr("Starting the demo gateway…"));
    m_demo->start();
}

void MainWindow::showConnectionDialog(const QString &profile, const QString &note)
{
    ConnectionDialog dialog(m_profiles.get(), this);
    if (!profile.isEmpty())
        dialog.selectProfile(profile);
    if (!note.isEmpty())
        dialog.setNote(note);
    if (dialog.exec() != QDialog::Accepted)
        return;
    connectTo(ConnectionTarget::fromProfile(dialog.profile(), dialog.secrets()));
}

void MainWindow::startFromSettings()
{
    const QString last = m_profiles->settings().lastProfile();
    const auto saved = m_profiles->profile(last);
    if (!saved) {
        if (m_profiles->profileNames().isEmpty())
            offerFirstRun();
        else
            showConnectionDialog();
        return;
    }
    auto once = std::make_shared<QMetaObject::Connection>();
    *once =
        connect(m_profiles.get(), &ProfileStore::secretsLoaded, this,
                [this, once, profile = *saved](const QString &name, const ProfileSecrets &secrets,
                                               const QString &note) {
                    if (name != profile.name)
                        return;
                    disconnect(*once);
                    const ConnectionTarget target = ConnectionTarget::fromProfile(profile, secrets);
                    std::string error;
                    Backends backends = buildBackends(target, &error);
                    // A kind whose changes need the token asks for it rather than connect
                    // read-only without saying so; HAProxy and the like need none.
                    const bool needsToken =
                        backends.control && backends.control->capabilities().changesNeedToken;
                    if (!backends.control || (needsToken && secrets.token.isEmpty()))
                        showConnectionDialog(
                            profile.name,
                            backends.control
                                ? note
                                : tr("Cannot connect: %1.").arg(QString::fromStdString(error)));
                    else
                        connectWith(target, std::move(backends));
                });
    m_profiles->loadSecrets(saved->name);
}

void MainWindow::offerFirstRun()
{
    QMessageBox box(QMessageBox::Question, tr("Welcome to Canary Console"),
                    tr("No backend is set up yet."), QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("firstRunDialog"));
    box.setInformativeText(
        tr("The demo runs the reference gateway beside the console: a production and a canary "
           "model, simulated under live load, to try every lever safely."));
    QPushButton *demo = box.addButton(tr("Start the demo"), QMessageBox::AcceptRole);
    QPushButton *connectButton = box.addButton(tr("Connect…"), QMessageBox::ActionRole);
    box.addButton(tr("Not now"), QMessageBox::RejectRole);
    box.setDefaultButton(demo);
    box.exec();
    if (box.clickedButton() == demo)
        startDemo();
    else if (box.clickedButton() == connectButton)
        showConnectionDialog();
}

std::optional<RolloutReading> MainWindow::reading() const
{
    if (!m_monitor || !m_monitor->state())
        return std::nullopt;
    return readRollout(*m_monitor->state());
}

void MainWindow::onStateChanged(const RolloutState &state)
{
    const RolloutReading read = readRollout(state);
    m_productionHeader->setVariant(state.production, read.phase);
    m_canaryHeader->setVariant(read.canary, read.phase);
    m_traffic->setConfirmedWeight(state.canaryWeight());
    const LeverDecision weight =
        decideLever(Lever::SetWeight, read, m_backends.control->capabilities());
    if (!m_actionLog.canRecord())
        m_traffic->setAllowed(false, tr("No action can be taken without the audit trail."));
    else
        m_traffic->setAllowed(weight.allowed, QString::fromStdString(weight.why));
    const auto phaseName = [](RolloutPhase phase) {
        return QString::fromUtf8(toString(phase).data(), qsizetype(toString(phase).size()));
    };
    QString stateText = phaseName(read.phase);
    if (read.phase != read.reportedPhase)
        stateText = tr("%1 (reported %2)").arg(stateText, phaseName(read.reportedPhase));
    // A kind without revisions has no number worth showing (HAProxy's is always 0).
    if (m_backends.control->capabilities().revisions)
        stateText = tr("%1 · revision %2").arg(stateText).arg(state.revision);
    if (state.updating)
        stateText = tr("%1 · updating: the backend is applying the last change").arg(stateText);
    m_stateLabel->setText(stateText);
    // Where the backend bends the spec, say so once per connection, plainly.
    for (const std::string &deviation : read.deviations) {
        if (std::find(m_toldDeviations.begin(), m_toldDeviations.end(), deviation) !=
            m_toldDeviations.end())
            continue;
        m_toldDeviations.push_back(deviation);
        m_messages->showMessage(MessageBar::Level::Warning,
                                tr("This backend does not follow the Control API here: %1")
                                    .arg(QString::fromStdString(deviation)));
    }
    updateLevers();
    updateHeadersLive();
    if (m_startPlanOnFirstState && m_target.name == QLatin1String("demo")) {
        m_startPlanOnFirstState = false;
        startPlan();
        m_planMessages->showMessage(
            MessageBar::Level::Info,
            tr("Demo with a regression: the plan runs its steps, and the canary degrades %1 s "
               "after the demo started. Watch the analysis below catch it and roll it back.")
                .arg(m_demo->degradeAfter().count()));
    }
}

void MainWindow::onTimelineEvent(const TimelineEvent &event)
{
    if (m_chartGrid)
        m_chartGrid->addEvent(event);
    if (event.kind == TimelineEvent::Kind::Restart)
        m_messages->showMessage(MessageBar::Level::Warning, QString::fromStdString(event.detail));
}

void MainWindow::onKpisUpdated(const metrics::KpiResult &kpis)
{
    if (m_chartGrid)
        m_chartGrid->markDirty();
    updateHeadersLive();
    updateLevers(); // the hint says whether the numbers are live
    // A source's warnings (Prometheus: "Prometheus warns: ...") come with every reading while
    // their cause lasts: each is told once per connection, not once a second.
    for (const std::string &warning : kpis.warnings) {
        if (std::find(m_toldWarnings.begin(), m_toldWarnings.end(), warning) !=
            m_toldWarnings.end())
            continue;
        m_toldWarnings.push_back(warning);
        m_messages->showMessage(MessageBar::Level::Warning, QString::fromStdString(warning));
    }
}

namespace {

QString durationText(std::chrono::milliseconds duration)
{
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(duration).count();
    if (seconds < 120)
        return MainWindow::tr("%1 s").arg(seconds);
    // Never rounded up: a back-fill of 2 min 45 s is not "3 min".
    if (seconds < 10 * 60 && seconds % 60 != 0)
        return MainWindow::tr("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
    if (seconds < 2 * 3600)
        return MainWindow::tr("%1 min").arg(seconds / 60);
    return MainWindow::tr("%1 h %2 min").arg(seconds / 3600).arg(seconds % 3600 / 60);
}

} // namespace

void MainWindow::onBackfillFinished()
{
    if (!m_monitor)
        return;
    const QString kind = QString::fromStdString(m_backends.metrics->capabilities().kind);
    if (!m_monitor->backfillError().isEmpty()) {
        showSourceNotes(tr("The charts could not be back-filled from %1: %2. They fill as the "
                           "console reads.")
                            .arg(kind, m_monitor->backfillError()),
                        MessageBar::Level::Warning);
        return;
    }
    const std::size_t points = m_monitor->backfilledPoints();
    if (points == 0) {
        showSourceNotes(tr("%1 has no history of this rollout yet: the charts fill as the "
                           "console reads.")
                            .arg(kind),
                        MessageBar::Level::Info);
        return;
    }
    // What the points cover, not what was asked for: a young Prometheus has less.
    const MonitorSettings &settings = m_monitor->settings();
    const std::chrono::milliseconds step =
        std::max(settings.backfillStep, m_monitor->metricsSource()->capabilities().granularity);
    const std::chrono::milliseconds covered =
        std::min(settings.backfill, step * std::int64_t(points));
    showSourceNotes(tr("Charts back-filled with %1 from %2 (%3 points, one every %4).")
                        .arg(durationText(covered), kind)
                        .arg(points)
                        .arg(durationText(step)),
                    MessageBar::Level::Info);
}

void MainWindow::showSourceNotes(const QString &backfill, MessageBar::Level level)
{
    QStringList notes;
    if (!backfill.isEmpty())
        notes << backfill;
    if (m_backends.metrics) {
        const std::string limits = m_backends.metrics->capabilities().limits;
        if (!limits.empty()) {
            notes << QString::fromStdString(limits);
            // Numbers a decision cannot rest on are worth more than a note that fades.
            level = std::max(level, MessageBar::Level::Warning);
        }
    }
    if (!notes.isEmpty())
        m_messages->showMessage(level, notes.join(QLatin1Char(' ')));
}

QString MainWindow::connectionText() const
{
    if (!m_backends.control || !m_backends.metrics)
        return tr("not connected");
    return tr("%1 %2 · metrics %3 %4")
        .arg(QString::fromStdString(m_backends.control->capabilities().kind),
             QString::fromStdString(m_backends.control->address()),
             QString::fromStdString(m_backends.metrics->capabilities().kind),
             QString::fromStdString(m_backends.metrics->address()));
}

QString MainWindow::linkText() const
{
    if (!m_monitor)
        return {};
    // When the two feeds differ, say which one is which: a rollout that answers with metrics that
    // do not is not "lost".
    const LinkHealth state = m_monitor->stateFeed().health;
    const LinkHealth metrics = m_monitor->metricsFeed().health;
    const QString health =
        state == metrics || state == LinkHealth::Connecting || metrics == LinkHealth::Connecting
            ? toDisplayString(m_monitor->health())
            : tr("rollout %1, metrics %2").arg(toDisplayString(state), toDisplayString(metrics));
    if (m_ui->actionPause->isChecked())
        return tr("\u275a\u275a paused (data %1)").arg(health);
    return QStringLiteral("\u25cf %1").arg(health);
}

void MainWindow::onHealthChanged(LinkHealth health)
{
    m_linkLabel->setText(linkText());
    if (m_monitor && m_monitor->stateFeed().health == LinkHealth::Live)
        m_messages->clear(QStringLiteral("unreachable"));
    QPalette p = m_linkLabel->palette();
    p.setColor(QPalette::WindowText, linkColor(health));
    m_linkLabel->setPalette(p);
    updateBanner();
    updateHeadersLive();
    updateLevers();
    onAgeTick();
}

void MainWindow::updateHeadersLive()
{
    const bool live = m_monitor && m_monitor->numbersAreLive();
    const KpiSnapshot snapshot = decisionSnapshot();
    m_comparison->setSnapshot(snapshot, live);
    if (snapshot.valid()) {
        const QString to = clockTime(snapshot.to);
        m_comparison->setCaption(
            live ? tr("%1 s to %2").arg(std::lround(snapshot.seconds())).arg(to)
                 : tr("%1 s to %2, not live").arg(std::lround(snapshot.seconds())).arg(to));
    } else {
        m_comparison->setCaption(tr("no numbers yet"));
    }
    const std::optional<RolloutReading> read = reading();
    for (VariantHeader *header : {m_productionHeader, m_canaryHeader}) {
        // An empty canary slot has no numbers of its own, whatever the metrics say.
        const bool slotEmpty = header->role() == VariantRole::Canary && read && !read->canary;
        if (snapshot.valid() && !slotEmpty) {
            const metrics::VariantKpis &v = snapshot.kpis.variant(header->role());
            header->setLiveNumbers(v.requestRate, v.errorRatio, live);
        } else {
            header->setLiveNumbers(std::nan(""), std::nan(""), live);
        }
    }
}

KpiSnapshot MainWindow::decisionSnapshot() const
{
    return m_monitor ? m_monitor->snapshot() : KpiSnapshot{};
}

void MainWindow::updateBanner()
{
    if (!m_monitor) {
        m_banner->clear();
        return;
    }
    const auto last = m_monitor->lastGoodUpdate();
    const auto age = last ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                SystemClock::instance().now() - *last)
                          : std::chrono::milliseconds(-1);
    const bool metricsGap = m_monitor->metricsFeed().health != LinkHealth::Live;
    switch (m_monitor->health()) {
    case LinkHealth::Stale:
        m_banner->showStale(age, m_monitor->missedPolls(), m_monitor->lastError(), metricsGap);
        break;
    case LinkHealth::Lost:
        // "Connection lost" only when the backend stops answering its rollout; a server whose
        // metrics fail still answers, and the banner says what fails.
        if (m_monitor->stateFeed().health == LinkHealth::Lost)
            m_banner->showLost(age, m_monitor->lastError());
        else
            m_banner->showStale(age, m_monitor->missedPolls(), m_monitor->lastError(), metricsGap);
        break;
    case LinkHealth::Live:
    case LinkHealth::Connecting:
        m_banner->clear();
        break;
    }
}

void MainWindow::onActionSucceeded(const QString &summary)
{
    m_messages->showMessage(MessageBar::Level::Success, summary);
    statusBar()->showMessage(summary, 5000);
    updateRecentActions();
}

void MainWindow::onActionFailed(const QString &message, bool conflict)
{
    m_traffic->revertToConfirmed();
    // A request that never reached the backend lasts only as long as the outage: it goes once
    // the backend answers again. A refusal (409, 400, 401), or an action that may have arrived,
    // stays until read.
    const bool unreachable = m_actions && m_actions->lastFailureSentNothing();
    m_messages->showMessage(conflict ? MessageBar::Level::Warning : MessageBar::Level::Error,
                            message, unreachable ? QStringLiteral("unreachable") : QString());
    statusBar()->showMessage(message, 10'000);
    updateRecentActions();
}

void MainWindow::onBusyChanged(bool busy)
{
    m_traffic->setBusy(busy);
    m_busyBar->setVisible(busy);
    if (!busy)
        updateRecentActions();
    updateLevers();
}

void MainWindow::onTick()
{
    if (!m_chartGrid)
        return;
    m_chartGrid->setNow(SystemClock::instance().now());
    m_chartGrid->refresh();
}

QString MainWindow::ageText() const
{
    if (!m_monitor)
        return {};
    const auto last = m_monitor->lastGoodUpdate();
    if (!last)
        return tr("no data yet");
    const SystemTime now = SystemClock::instance().now();
    const double seconds = std::max<double>(0.0, double((now - *last).count()) / 1000.0);
    QString text;
    if (seconds < 10)
        text = tr("updated %1 s ago").arg(seconds, 0, 'f', 1);
    else if (seconds < 120)
        text = tr("updated %1 s ago").arg(std::lround(seconds));
    else
        text = tr("updated %1 ago")
                   .arg(StaleBanner::formatAge(
                       std::chrono::milliseconds(std::llround(seconds * 1000))));
    // A source that lags (CloudWatch's minutes appear a minute or more after they end) was asked
    // just now, but its numbers are older than that: say how old.
    const KpiSnapshot &snapshot = m_monitor->snapshot();
    if (snapshot.valid() && now - snapshot.to >= kLaggingNumbers) {
        text += tr(" · numbers to %1, %2 old")
                    .arg(clockTime(snapshot.to), StaleBanner::formatAge(now - snapshot.to));
    }
    return text;
}

void MainWindow::onAgeTick()
{
    m_ageLabel->setText(ageText());
    if (m_monitor &&
        (m_monitor->health() == LinkHealth::Stale || m_monitor->health() == LinkHealth::Lost))
        updateBanner();
    if (planRunning())
        updatePlanView(); // the bake counts down between judgements too
}

namespace {

ConfirmActionDialog::Freshness freshnessOf(const RolloutMonitor &monitor)
{
    return {monitor.numbersAreLive(), SystemClock::instance().now(),
            monitor.metricsFeed().lastError};
}

} // namespace

namespace {

// The verdicts an action by hand is decided on, for its record: the plan's, while one judges.
std::optional<analysis::Judgement> planJudgement(const rollout::PlanController *plan)
{
    if (!plan || plan->phase() == rollout::RunPhase::Idle)
        return std::nullopt;
    return plan->judgement();
}

} // namespace

void MainWindow::describeVerdict(ConfirmActionDialog &dialog) const
{
    if (!m_plan || m_plan->phase() == rollout::RunPhase::Idle) {
        dialog.setVerdict(tr("No plan is judging this canary: the figures above are one window's, "
                             "not evidence that it is better or worse."),
                          false);
        return;
    }
    const analysis::Judgement &judgement = m_plan->judgement();
    const QString sentence = QString::fromStdString(judgement.sentence);
    dialog.setVerdict(tr("The plan's judge: %1")
                          .arg(GateTableModel::verdictText(judgement.overall) +
                               (sentence.isEmpty() ? QString() : QStringLiteral(": ") + sentence)),
                      judgement.failed());
}

void MainWindow::promote()
{
    if (!m_monitor || !m_monitor->state() || !m_actions || m_actions->busy())
        return;
    const RolloutState decidedOn = *m_monitor->state();
    const KpiSnapshot numbers = decisionSnapshot();
    ConfirmActionDialog dialog(ConfirmActionDialog::Action::Promote, decidedOn, numbers,
                               freshnessOf(*m_monitor), m_backends.control->capabilities(), this);
    describeVerdict(dialog);
    const std::uint64_t connection = m_connection;
    if (dialog.exec() != QDialog::Accepted || !stillDecidable(connection, decidedOn.revision))
        return;
    m_actions->setJudgement(planJudgement(m_plan.get()));
    overridePlan(tr("A person promoted the canary from the console."));
    m_actions->promote(numbers);
}

void MainWindow::rollback()
{
    if (!m_monitor || !m_monitor->state() || !m_actions || m_actions->busy())
        return;
    const RolloutState decidedOn = *m_monitor->state();
    const KpiSnapshot numbers = decisionSnapshot();
    ConfirmActionDialog dialog(ConfirmActionDialog::Action::Rollback, decidedOn, numbers,
                               freshnessOf(*m_monitor), m_backends.control->capabilities(), this);
    describeVerdict(dialog);
    const std::uint64_t connection = m_connection;
    // A rollback is the safe direction: it goes through even if the weight moved meanwhile.
    if (dialog.exec() != QDialog::Accepted || !stillDecidable(connection, std::nullopt))
        return;
    m_actions->setJudgement(planJudgement(m_plan.get()));
    overridePlan(tr("A person rolled the canary back from the console."));
    m_actions->rollback(numbers);
}

bool MainWindow::stillDecidable(std::uint64_t connection, std::optional<std::int64_t> revision)
{
    if (connection != m_connection || !m_monitor || !m_actions || !m_monitor->state()) {
        m_messages->showMessage(MessageBar::Level::Warning,
                                tr("The console connected elsewhere while the confirmation was "
                                   "open. Nothing was sent."));
        return false;
    }
    if (revision && m_monitor->state()->revision != *revision) {
        m_messages->showMessage(MessageBar::Level::Warning,
                                tr("The rollout changed while the confirmation was open. "
                                   "Nothing was sent; review and try again."));
        return false;
    }
    return true;
}

void MainWindow::requestWeight(Weight weight)
{
    if (!m_monitor || !m_actions || !m_monitor->state()) {
        m_traffic->revertToConfirmed();
        return;
    }
    const KpiSnapshot numbers = decisionSnapshot();
    const bool raising = weight > m_monitor->state()->canaryWeight();
    if (raising && !m_monitor->numbersAreLive()) {
        // Sending more users to the canary on numbers that are not current is a decision the
        // operator must make knowingly; lowering is always safe and needs no question.
        const QString age =
            numbers.valid()
                ? tr("The numbers are %1 s old: the metrics have not been read since.")
                      .arg(std::lround(double(numbers.age(SystemClock::instance().now()).count()) /
                                       1000.0))
                : tr("No numbers have been read from the metrics.");
        QMessageBox box(QMessageBox::Warning, tr("Raise the weight without live numbers?"),
                        tr("Raise the canary to %1 % without live numbers?")
                            .arg(QString::fromStdString(weight.toString())),
                        QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("confirmRaiseNotLive"));
        box.setInformativeText(age + QLatin1Char(' ') + m_monitor->metricsFeed().lastError);
        QPushButton *raise = box.addButton(tr("Raise on old numbers"), QMessageBox::AcceptRole);
        raise->setObjectName(QStringLiteral("confirmAction"));
        box.setDefaultButton(QMessageBox::Cancel);
        const std::uint64_t connection = m_connection;
        const std::int64_t revision = m_monitor->state()->revision;
        box.exec();
        if (box.clickedButton() != raise || !stillDecidable(connection, revision)) {
            m_traffic->revertToConfirmed();
            return;
        }
    }
    m_actions->setJudgement(planJudgement(m_plan.get()));
    overridePlan(tr("A person set the canary weight to %1 % from the console.")
                     .arg(QString::fromStdString(weight.toString())));
    m_actions->setCanaryWeight(weight, numbers);
}

void MainWindow::stageCanary()
{
    if (!m_monitor || !m_actions || m_actions->busy())
        return;
    StageCanaryDialog dialog(m_monitor->state(), this);
    if (dialog.exec() != QDialog::Accepted || !m_actions)
        return;
    m_actions->setJudgement(planJudgement(m_plan.get()));
    overridePlan(tr("A person staged a new canary from the console."));
    m_actions->stageCanary(dialog.spec());
}

void MainWindow::focusWeight()
{
    m_ui->controlsDock->show();
    m_traffic->spinBox()->setFocus(Qt::ShortcutFocusReason);
    m_traffic->spinBox()->selectAll();
}

void MainWindow::setTimeWindow(int seconds)
{
    std::size_t index = 1;
    for (std::size_t i = 0; i < kTimeWindows.size(); ++i) {
        if (kTimeWindows[i].seconds == seconds)
            index = i;
    }
    m_timeWindowSeconds = kTimeWindows[index].seconds;
    m_windowCombo->setCurrentIndex(int(index));
    m_windowGroup->actions().at(qsizetype(index))->setChecked(true);
    if (m_chartGrid)
        m_chartGrid->setTimeWindow(std::chrono::seconds(m_timeWindowSeconds));
    m_profiles->settings().setTimeWindowSeconds(m_timeWindowSeconds);
}

void MainWindow::setOverlay(bool overlay)
{
    if (m_chartGrid)
        m_chartGrid->setOverlay(overlay);
    m_profiles->settings().setOverlay(overlay);
}

void MainWindow::setPaused(bool paused)
{
    m_linkLabel->setText(linkText());
    m_ui->actionPause->setText(paused ? tr("&Resume") : tr("&Pause"));
    m_ui->actionPause->setToolTip(paused ? tr("Follow live data again")
                                         : tr("Freeze the charts (data keeps arriving)"));
    if (m_chartGrid && m_chartGrid->paused() != paused)
        m_chartGrid->setPaused(paused);
}

void MainWindow::updateLevers()
{
    // An action that cannot be recorded is never sent, so without the audit trail no lever is
    // offered (the hint says why).
    const bool unrecordable = !m_actionLog.canRecord();
    const bool busy = (m_actions && m_actions->busy()) || unrecordable;
    const std::optional<RolloutReading> read = reading();
    const ControlPlaneCapabilities backend =
        m_backends.control ? m_backends.control->capabilities() : ControlPlaneCapabilities{};
    const auto allowed = [&](Lever lever) {
        return read && decideLever(lever, *read, backend).allowed;
    };
    const bool canStage = allowed(Lever::Stage);
    // Promote and raising the weight stay offered while the numbers are not live, but ask a
    // confirmation that states their age; Roll back is always offered for a staged canary.
    m_ui->actionPromote->setEnabled(allowed(Lever::Promote) && !busy);
    m_ui->actionRollback->setEnabled(allowed(Lever::Rollback) && !busy);
    m_ui->actionStageCanary->setEnabled(canStage && !busy);
    m_ui->actionSetWeight->setEnabled(allowed(Lever::SetWeight) && !busy);
    m_ui->promoteButton->setEnabled(m_ui->actionPromote->isEnabled());
    m_ui->rollbackButton->setEnabled(m_ui->actionRollback->isEnabled());
    m_ui->stageButton->setEnabled(m_ui->actionStageCanary->isEnabled());
    // A disabled Stage says why where the operator looks: on the button and the menu entry.
    const QString stageWhy =
        read && !canStage ? QString::fromStdString(decideLever(Lever::Stage, *read, backend).why)
                          : QString();
    m_ui->actionStageCanary->setToolTip(stageWhy.isEmpty() ? tr("Stage the next canary at 0 %")
                                                           : stageWhy);
    m_ui->actionStageCanary->setStatusTip(stageWhy);
    m_ui->stageButton->setToolTip(
        stageWhy.isEmpty() ? tr("Stage a new canary at 0 % (Ctrl+Shift+S)") : stageWhy);

    QString hint;
    if (!m_monitor)
        hint = tr("Not connected.");
    else if (unrecordable)
        hint = tr("No action can be taken without the audit trail: the red bar above the "
                  "variants says why.");
    else if (!read)
        hint = tr("Waiting for the backend's first answer…");
    else if (read->updating) // the backend took the change and applies it over time
        hint = QString::fromStdString(decideLever(Lever::Promote, *read, backend).why);
    else if (busy)
        hint = tr("An action is in flight; the levers wait for its answer.");
    else if (const LeverDecision promote = decideLever(Lever::Promote, *read, backend);
             !promote.allowed)
        hint = QString::fromStdString(promote.why);
    else if (!m_monitor->numbersAreLive())
        hint = tr("The numbers are not live: promoting or raising the weight asks you to "
                  "confirm on old numbers. Roll back needs none.");
    else
        hint = canStage ? tr("Compare both columns. Promote when the canary holds up; roll "
                             "back at the first sign of trouble. At 0 % a new canary can "
                             "replace this one.")
                        : tr("Compare both columns. Promote when the canary holds up; roll "
                             "back at the first sign of trouble.");
    m_ui->decisionHint->setText(hint);
}

void MainWindow::updateRecentActions()
{
    // Called whenever the action log took a record: the History dock reads the trail again.
    if (m_history)
        m_history->trailChanged();
    QListWidget *list = m_ui->recentActions;
    list->clear();
    const auto &records = m_actionLog.records();
    int shown = 0;
    for (auto it = records.rbegin(); it != records.rend() && shown < 50; ++it, ++shown) {
        QString text = it->message.empty() ? QString::fromStdString(it->action)
                                           : QString::fromStdString(it->message);
        auto *item = new QListWidgetItem(QStringLiteral("%1  %2").arg(clockTime(it->time), text));
        if (it->outcome == "failed" || it->outcome == "conflict")
            item->setForeground(VariantHeader::healthColor(VariantHeader::Health::Bad));
        else if (it->outcome == "pending")
            item->setForeground(palette().color(QPalette::PlaceholderText));
        item->setToolTip(QString::fromStdString(ActionLog::toJson(*it).dump(2)));
        list->addItem(item);
    }
    if (records.empty()) {
        auto *item = new QListWidgetItem(tr("No actions in this session yet."));
        item->setForeground(palette().color(QPalette::PlaceholderText));
        list->addItem(item);
    }
}

void MainWindow::updateTitle()
{
    if (!m_monitor) {
        setWindowTitle(tr("Canary Console"));
        return;
    }
    const QString name = m_target.name.isEmpty() ? m_target.url : m_target.name;
    setWindowTitle(tr("%1 — Canary Console").arg(name));
}

void MainWindow::showAbout()
{
    AboutDialog dialog(this);
    dialog.exec();
}

void MainWindow::reportError(const QString &message)
{
    m_messages->showMessage(MessageBar::Level::Error, message);
    statusBar()->showMessage(message, 10'000);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    ConsoleSettings &settings = m_profiles->settings();
    settings.setWindowGeometry(saveGeometry());
    settings.setWindowState(saveState());
    settings.sync();
    disconnectBackend();
    m_demo->stop();
    event->accept();
}

void MainWindow::setUpPlan()
{
    connect(m_timeline, &PlanTimeline::startRequested, this, [this] { startPlan(); });
    connect(m_timeline, &PlanTimeline::pauseRequested, this, [this] {
        if (m_plan)
            m_plan->pause();
    });
    connect(m_timeline, &PlanTimeline::resumeRequested, this, [this] {
        if (m_plan)
            m_plan->resume();
    });
    connect(m_timeline, &PlanTimeline::skipRequested, this, [this] {
        if (m_plan)
            m_plan->skipStep();
    });
    connect(m_ui->actionStartPlan, &QAction::triggered, this, &MainWindow::startPlan);
    connect(m_ui->actionLoadPlan, &QAction::triggered,
            m_timeline->button(PlanTimeline::Button::Load), &QPushButton::click);
    m_ui->menuView->addSeparator();
    m_ui->menuView->addAction(m_ui->planDock->toggleViewAction());
    updatePlanView();
}

void MainWindow::setPlan(const rollout::Plan &plan, const QString &source)
{
    m_timeline->setPlan(plan, source);
}

bool MainWindow::planRunning() const
{
    return m_plan && m_plan->phase() != rollout::RunPhase::Idle &&
           !rollout::isFinished(m_plan->phase());
}

void MainWindow::startPlan()
{
    if (planRunning())
        return;
    if (!m_monitor) {
        m_planMessages->showMessage(MessageBar::Level::Warning,
                                    tr("Connect to a backend to run a plan."));
        return;
    }
    if (!m_planBackends.control || !m_planBackends.metrics) {
        m_planMessages->showMessage(MessageBar::Level::Warning,
                                    tr("This connection has no backends of its own for a plan, so "
                                       "none can run on it. Connect again to run one."));
        return;
    }
    // A finished plan's controller goes with its judge: a new run starts from its first step.
    m_plan.reset();
    m_decisionLog.clear();
    m_planMessages->clear();
    m_plan =
        std::make_unique<rollout::PlanController>(m_timeline->plan(), m_planBackends.control.get(),
                                                  m_planBackends.metrics.get(), *m_planScheduler);
    connect(m_plan.get(), &rollout::PlanController::decided, this, &MainWindow::onPlanDecision);
    // Nothing the plan sends goes out unrecorded (a rollback excepted: plancontroller.h).
    m_plan->setActionGate([this](const rollout::Decision &) { return m_unrecordedDecision; });
    connect(m_plan.get(), &rollout::PlanController::phaseChanged, this, [this] {
        updatePlanView();
        updateLevers();
    });
    connect(m_plan.get(), &rollout::PlanController::judged, this, &MainWindow::updatePlanView);
    m_plan->start();
    updatePlanView();
}

void MainWindow::overridePlan(const QString &what)
{
    // Before the action is sent: the plan must not send a step of its own in between.
    if (planRunning())
        m_plan->stopForOverride(what.toStdString());
}

void MainWindow::updatePlanView()
{
    // A plan's decisions are recorded like the operator's actions: no trail, no plan.
    const bool available =
        m_monitor && m_planBackends.control && m_planBackends.metrics && m_actionLog.canRecord();
    m_timeline->setAvailable(available, !m_actionLog.canRecord()
                                            ? tr("No plan can run without the audit trail.")
                                            : (m_monitor ? tr("This connection cannot run a plan.")
                                                         : tr("Connect to run a plan.")));
    if (!m_plan || m_plan->phase() == rollout::RunPhase::Idle) {
        m_timeline->setStatus({});
        m_analysis->showNoJudge(AnalysisPanel::noPlanText());
    } else {
        const PlanStatus status = PlanStatus::of(*m_plan);
        m_timeline->setStatus(status);
        const QString when = clockTime(m_planScheduler->clock().now());
        const QString caption =
            rollout::isFinished(status.phase)
                ? tr("As the plan ended (%1)").arg(PlanTimeline::phaseName(status.phase))
                : tr("The plan's judge, live (%1)").arg(when);
        m_analysis->setJudgement(m_plan->judgement(), caption);
    }
    m_ui->actionStartPlan->setEnabled(m_timeline->button(PlanTimeline::Button::Start)->isEnabled());
}

void MainWindow::notifyDesktop(const QString &title, const QString &text, bool critical)
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return; // the in-window bar says it all the same
    if (!m_tray) {
        // A tray entry needs an icon; without the application's, a standard one.
        const QIcon icon = windowIcon().isNull()
                               ? style()->standardIcon(QStyle::SP_MessageBoxWarning)
                               : windowIcon();
        m_tray = new QSystemTrayIcon(icon, this);
        m_tray->setToolTip(tr("Canary Console"));
        m_tray->show();
    }
    m_tray->showMessage(title, text,
                        critical ? QSystemTrayIcon::Critical : QSystemTrayIcon::Information);
}

namespace {

const QString kRollbackFailedKey = QStringLiteral("rollback-failed");

// The controller's reasons are clauses ("a critical gate failed at …"): shown on their own, they
// start with a capital and end with a full stop.
QString asSentence(const std::string &clause)
{
    QString text = QString::fromStdString(clause).trimmed();
    if (text.isEmpty())
        return text;
    text[0] = text[0].toUpper();
    if (!text.endsWith(QLatin1Char('.')))
        text += QLatin1Char('.');
    return text;
}

} // namespace

void MainWindow::onPlanDecision(const rollout::Decision &decision)
{
    using rollout::Decision;
    using rollout::DecisionKind;
    const std::string planName = m_plan ? m_plan->plan().name : m_timeline->plan().name;
    // The audit trail first: a pending record before the action goes out, finished with its
    // outcome; a decision that sends nothing is one record of its own. The numbers recorded are
    // the console's decision snapshot, as for the operator's own actions.
    DecisionContext context;
    if (m_monitor) {
        context.snapshot = &m_monitor->snapshot();
        context.live = m_monitor->numbersAreLive();
        context.state = m_monitor->state();
    }
    if (m_plan) {
        context.plan = &m_plan->plan();
        // The plan's own reading: what it decided on, and, for an outcome, what the backend
        // answered the action with; the monitor's last poll may be older than either.
        if (m_plan->lastState())
            context.state = m_plan->lastState();
    }
    const std::string logError =
        m_decisionLog.record(decision, planName, context, m_planScheduler->clock().now());
    if (decision.outcome == Decision::Outcome::Pending)
        m_unrecordedDecision = logError; // the plan's action gate asks next
    if (!logError.empty())
        m_messages->showMessage(MessageBar::Level::Error,
                                tr("The plan's decision could not be recorded: %1")
                                    .arg(QString::fromStdString(logError)));
    updateRecentActions();
    if (decision.outcome == Decision::Outcome::Pending) {
        if (decision.kind == DecisionKind::Rollback && decision.automatic)
            m_planMessages->showMessage(
                MessageBar::Level::Error,
                tr("Automatic rollback under way. %1").arg(asSentence(decision.reason)));
        return;
    }
    if (m_monitor) {
        m_monitor->addEvent(decisionMarker(decision));
        if (decision.outcome == Decision::Outcome::Succeeded)
            m_monitor->refreshNow(); // the console shows what the plan changed at once
    }

    const QString reason = asSentence(decision.reason);
    const QString error = asSentence(decision.error);
    const bool failed = decision.outcome == Decision::Outcome::Failed;
    switch (decision.kind) {
    case DecisionKind::Rollback:
        if (!decision.automatic)
            break;
        if (failed) {
            const QString text =
                tr("The plan's automatic rollback failed: %1 Why it rolled back: %2 Roll back by "
                   "hand now.")
                    .arg(error, reason);
            m_planMessages->showMessage(MessageBar::Level::Error, text, kRollbackFailedKey);
            notifyDesktop(tr("Automatic rollback failed"), text, true);
        } else {
            const QString text = tr("Automatic rollback: the plan sent all traffic back to "
                                    "production. %1")
                                     .arg(reason);
            m_planMessages->showMessage(MessageBar::Level::Error, text);
            notifyDesktop(tr("Canary rolled back"), text, true);
        }
        break;
    case DecisionKind::Promote:
        if (!decision.automatic)
            break;
        m_planMessages->showMessage(failed ? MessageBar::Level::Error : MessageBar::Level::Success,
                                    failed ? tr("The plan's promote failed: %1").arg(error)
                                           : tr("The plan promoted the canary. %1").arg(reason));
        notifyDesktop(failed ? tr("Promote failed") : tr("Canary promoted"),
                      failed ? error : reason, failed);
        break;
    case DecisionKind::Pause:
        if (decision.automatic)
            m_planMessages->showMessage(MessageBar::Level::Warning,
                                        tr("The plan paused. %1").arg(reason));
        break;
    case DecisionKind::Error: {
        QString text = tr("The plan stopped. %1 %2").arg(reason, error).trimmed();
        // The plan stops because its rollback failed: the call to roll back by hand stays first.
        if (m_planMessages->isVisible() && m_planMessages->key() == kRollbackFailedKey)
            text = m_planMessages->text() + QLatin1Char(' ') + text;
        m_planMessages->showMessage(MessageBar::Level::Error, text, kRollbackFailedKey);
        break;
    }
    case DecisionKind::Override:
        m_planMessages->showMessage(MessageBar::Level::Info,
                                    tr("The plan stopped. %1").arg(reason));
        break;
    default:
        if (failed)
            m_planMessages->showMessage(MessageBar::Level::Error,
                                        tr("The plan's step failed: %1").arg(error));
        break;
    }
}

void MainWindow::openAuditTrail()
{
    std::string error;
    m_audit = audit::SqliteAuditStore::open(audit::SqliteAuditStore::defaultPath(), &error);
    if (!m_audit) {
        // Without a trail no action may be sent: every one is refused with this sentence.
        const QString why = QString::fromStdString(error);
        m_actionLog.setSinkError(why);
        showAuditTrailError();
        return;
    }
    m_actionLog.setSink(m_audit.get());
    const QString legacy = legacyActionLogPath();
    if (legacy.isEmpty() || !QFile::exists(legacy))
        return;
    const auto imported = m_audit->importJsonLines(legacy.toStdString(), &error);
    if (!imported)
        m_messages->showMessage(
            MessageBar::Level::Warning,
            tr("The earlier action log could not be imported into the audit trail: %1")
                .arg(QString::fromStdString(error)));
}

void MainWindow::setUpHistory()
{
    m_history = new HistoryDock(this);
    m_history->setAllowedAreas(Qt::BottomDockWidgetArea | Qt::TopDockWidgetArea |
                               Qt::RightDockWidgetArea);
    addDockWidget(Qt::BottomDockWidgetArea, m_history);
    // The plan's dock goes on top of the History's, so it stays the tab in front (raise() does
    // nothing before the window is shown).
    tabifyDockWidget(m_history, m_ui->planDock);
    // Ctrl+H brings the History forward; only when it is in front does it close it. Behind the
    // plan's tab the dock counts as shown, so the plain toggle would hide what nobody sees.
    QAction *toggle = m_history->toggleViewAction();
    toggle->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_H));
    auto wasBehind = std::make_shared<bool>(false);
    connect(toggle, &QAction::toggled, m_history, [this, wasBehind] {
        // Emitted before the dock acts on the trigger: what the person saw when they asked.
        *wasBehind = !m_history->isHidden() && !m_history->isSeen();
    });
    connect(toggle, &QAction::triggered, m_history, [this, wasBehind](bool shown) {
        if (!shown && *wasBehind)
            m_history->show();
        if (shown || *wasBehind)
            m_history->raise();
        *wasBehind = false;
    });
    m_ui->menuView->addAction(toggle);
    if (m_audit)
        m_history->setSink(m_audit.get());
    else
        m_history->setUnavailable(m_actionLog.sinkError());
}

void MainWindow::showAuditTrailError()
{
    if (m_actionLog.canRecord())
        return;
    // In the plan's bar, which stays until dismissed: the connection's own messages, cleared
    // when the backend answers, must not take the reason away.
    m_planMessages->showMessage(
        MessageBar::Level::Error,
        tr("%1 No action can be taken until it can be written.").arg(m_actionLog.sinkError()));
}

report::ReportData MainWindow::gatherReport(std::optional<std::chrono::seconds> window,
                                            SystemTime now) const
{
    report::ReportData content;
    content.to = now;
    content.exportedAt = now;
    content.exportedBy = m_actionLog.actor();
    if (!m_monitor || !m_backends.control || !m_backends.metrics) {
        content.from = now - window.value_or(std::chrono::hours(1));
        content.notes.push_back("The console was not connected to a backend when it exported.");
        return content;
    }
    const metrics::TimeSeriesStore &history = m_monitor->history();
    if (window) {
        content.from = now - *window;
    } else {
        // All of it: from the oldest point any series holds.
        content.from = now - history.retention();
        std::optional<SystemTime> oldest;
        for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
            for (const metrics::Kpi kpi : metrics::kAllKpis) {
                const metrics::TimeSeries &series = history.series(role, kpi);
                if (series.size() > 0 && (!oldest || series.at(0).time < *oldest))
                    oldest = series.at(0).time;
            }
        }
        if (oldest)
            content.from = *oldest;
    }
    content.backendKind = m_backends.control->capabilities().kind;
    content.backendAddress = m_backends.control->address();
    content.metricsAddress =
        join(m_backends.metrics->capabilities().kind, " ", m_backends.metrics->address());
    content.source = "the console's live history and the audit trail";
    report::setSeries(content, history);
    report::setKpis(content, decisionSnapshot());
    if (const auto &state = m_monitor->state())
        report::setState(content, *state);
    if (m_plan && m_plan->phase() != rollout::RunPhase::Idle) {
        report::setJudgement(content, m_plan->judgement());
        report::setPlan(content, m_plan->plan(), m_plan->currentStep(),
                        rollout::toString(m_plan->phase()));
    }
    if (m_audit) {
        audit::AuditFilter filter;
        filter.since = content.from;
        filter.until = content.to;
        filter.backend = content.backendAddress;
        std::string error;
        if (auto entries = m_audit->query(filter, &error)) {
            // Another backend whose address contains this one's is not this one.
            std::erase_if(*entries, [&](const audit::AuditEntry &entry) {
                return entry.backendAddress != content.backendAddress;
            });
            report::addAuditTrail(content, std::move(*entries));
        } else {
            content.notes.push_back(join("The audit trail could not be read: ", error));
        }
    } else {
        content.notes.push_back("The audit trail could not be opened, so no action is listed.");
    }
    if (!m_backends.metrics->capabilities().limits.empty())
        content.notes.push_back(m_backends.metrics->capabilities().limits);
    return content;
}

void MainWindow::exportReport()
{
    if (m_exporter && m_exporter->busy()) {
        m_messages->showMessage(MessageBar::Level::Info, tr("A report is still being written."));
        return;
    }
    // Documents where the desktop has one, else home: the file must land in a folder that exists.
    QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (folder.isEmpty() || !QDir(folder).exists())
        folder = QDir::homePath();
    ExportReportDialog dialog(m_chartGrid ? m_chartGrid->timeWindow() : std::chrono::minutes(15),
                              folder, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    startExport(gatherReport(dialog.window()), dialog.format(), dialog.path());
}

bool MainWindow::startExport(report::ReportData content, report::Format format, const QString &path)
{
    if (!m_exporter) {
        m_exporter = std::make_unique<ReportExporter>();
        connect(m_exporter.get(), &ReportExporter::progressed, this, [this](int permille) {
            if (m_exportProgress)
                m_exportProgress->setValue(permille);
        });
        connect(m_exporter.get(), &ReportExporter::finished, this,
                [this](bool written, const QString &message) {
                    if (m_exportProgress) {
                        m_exportProgress->deleteLater();
                        m_exportProgress = nullptr;
                    }
                    m_messages->showMessage(
                        written ? MessageBar::Level::Success : MessageBar::Level::Error, message);
                });
    }
    if (m_exporter->busy())
        return false;
    report::finishReport(content);
    // The charts are widgets, drawn here; the file is written on the exporter's thread.
    std::vector<report::ReportImage> charts;
    if (report::formatHasCharts(format))
        charts = renderReportCharts(content);
    if (!m_exporter->start(std::move(content), std::move(charts), format, path))
        return false;
    m_exportProgress =
        new QProgressDialog(tr("Writing the report to %1…").arg(path), tr("Cancel"), 0, 1000, this);
    m_exportProgress->setWindowTitle(tr("Export comparison report"));
    m_exportProgress->setWindowModality(Qt::NonModal); // the window stays usable meanwhile
    m_exportProgress->setMinimumDuration(500);
    m_exportProgress->setAutoClose(false);
    m_exportProgress->setAutoReset(false);
    connect(m_exportProgress, &QProgressDialog::canceled, m_exporter.get(),
            &ReportExporter::cancel);
    return true;
}

} // namespace canary
