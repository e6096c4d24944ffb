#include "historydock.h"

#include "auditentrydialog.h"
#include "audittablemodel.h"
#include "console/plandecisions.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <chrono>

namespace canary {

namespace {

// The operator's levers as the console records them (core/console/rolloutactions.cpp).
constexpr const char *kOperatorActions[] = {"set_weight", "promote", "rollback", "stage_canary"};

std::chrono::hours periodLength(HistoryDock::Period period)
{
    switch (period) {
    case HistoryDock::Period::LastHour:
        return std::chrono::hours(1);
    case HistoryDock::Period::LastDay:
        return std::chrono::hours(24);
    case HistoryDock::Period::LastWeek:
        return std::chrono::hours(24 * 7);
    case HistoryDock::Period::All:
        break;
    }
    return std::chrono::hours(0);
}

} // namespace

HistoryDock::HistoryDock(QWidget *parent)
    : QDockWidget(tr("History"), parent)
{
    setObjectName(QStringLiteral("historyDock")); // names it in saved layouts
    auto *body = new QWidget(this);
    auto *layout = new QVBoxLayout(body);
    layout->setContentsMargins(6, 6, 6, 6);

    auto *filters = new QHBoxLayout;
    m_backend = new QLineEdit(body);
    m_backend->setObjectName(QStringLiteral("historyBackend"));
    m_backend->setPlaceholderText(tr("a part of the address"));
    m_backend->setClearButtonEnabled(true);
    m_backend->setToolTip(tr("Entries whose backend address contains this text"));
    m_backend->setMinimumWidth(200);
    m_allBackends = new QCheckBox(tr("All backends"), body);
    m_allBackends->setObjectName(QStringLiteral("historyAllBackends"));
    m_action = new QComboBox(body);
    m_action->setObjectName(QStringLiteral("historyAction"));
    m_action->addItem(tr("Any action"), QString());
    for (const char *action : kOperatorActions)
        m_action->addItem(QString::fromLatin1(action), QString::fromLatin1(action));
    for (int kind = int(rollout::DecisionKind::Start); kind <= int(rollout::DecisionKind::Error);
         ++kind) {
        const QString action =
            QString::fromStdString(decisionAction(static_cast<rollout::DecisionKind>(kind)));
        m_action->addItem(action, action);
    }
    m_action->setMaxVisibleItems(24);
    m_actor = new QComboBox(body);
    m_actor->setObjectName(QStringLiteral("historyActor"));
    m_actor->addItem(tr("Any actor"), QString());
    m_actor->addItem(tr("auto (a plan's decisions)"), QStringLiteral("auto"));
    const QString user = qEnvironmentVariable("USER", qEnvironmentVariable("LOGNAME"));
    if (!user.isEmpty())
        offer(m_actor, user);
    m_period = new QComboBox(body);
    m_period->setObjectName(QStringLiteral("historyPeriod"));
    m_period->addItem(tr("Last hour"), int(Period::LastHour));
    m_period->addItem(tr("Last 24 hours"), int(Period::LastDay));
    m_period->addItem(tr("Last 7 days"), int(Period::LastWeek));
    m_period->addItem(tr("All time"), int(Period::All));
    m_period->setCurrentIndex(m_period->findData(int(Period::All)));
    for (QComboBox *combo : {m_action, m_actor}) {
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        combo->setMinimumContentsLength(14);
    }
    m_refresh = new QPushButton(tr("Refresh"), body);
    m_refresh->setObjectName(QStringLiteral("historyRefresh"));
    m_refresh->setToolTip(tr("Read the audit trail again (canaryctl writes to it too)"));

    const auto addLabelled = [&](const QString &text, QWidget *field) {
        auto *label = new QLabel(text, body);
        label->setBuddy(field);
        filters->addWidget(label);
        filters->addWidget(field);
    };
    addLabelled(tr("&Backend:"), m_backend);
    filters->addWidget(m_allBackends);
    filters->addSpacing(8);
    addLabelled(tr("Ac&tion:"), m_action);
    addLabelled(tr("Act&or:"), m_actor);
    addLabelled(tr("T&ime:"), m_period);
    // How many, on the filters' line (the table gets the height); the trail's file in its tooltip.
    m_status = new QLabel(body);
    m_status->setObjectName(QStringLiteral("historyStatus"));
    m_status->setTextFormat(Qt::PlainText);
    m_status->setForegroundRole(QPalette::PlaceholderText);
    m_status->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    filters->addSpacing(8);
    filters->addWidget(m_status, 1);
    filters->addWidget(m_refresh);
    layout->addLayout(filters);

    m_model = new AuditTableModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(AuditTableModel::kSortRole);
    m_view = new QTableView(body);
    m_view->setObjectName(QStringLiteral("historyTable"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(AuditTableModel::Time, Qt::DescendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideRight);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    const QFontMetrics metrics = m_view->fontMetrics();
    const auto widthOf = [&](const QString &sample) {
        return metrics.horizontalAdvance(sample) + 24;
    };
    m_view->setColumnWidth(AuditTableModel::Time, widthOf(QStringLiteral("2026-12-01 10:41:07")));
    m_view->setColumnWidth(AuditTableModel::Actor,
                           widthOf(QStringLiteral("auto (fraud-model 2.4)")));
    m_view->setColumnWidth(AuditTableModel::Action, widthOf(QStringLiteral("plan_set_weight")));
    m_view->setColumnWidth(AuditTableModel::Parameters,
                           widthOf(QStringLiteral("step 2 · canary 25 % · verdict")));
    m_view->setColumnWidth(AuditTableModel::Outcome, widthOf(QStringLiteral("✔ succeeded")));
    m_view->setColumnWidth(AuditTableModel::Backend,
                           widthOf(QStringLiteral("Control API http://127.0.0.1:8080")));
    m_unavailable = new QLabel(body);
    m_unavailable->setObjectName(QStringLiteral("historyUnavailable"));
    m_unavailable->setTextFormat(Qt::PlainText);
    m_unavailable->setWordWrap(true);
    m_unavailable->setAlignment(Qt::AlignCenter);
    m_unavailable->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_stack = new QStackedWidget(body);
    m_stack->addWidget(m_view);
    m_stack->addWidget(m_unavailable);
    layout->addWidget(m_stack, 1);
    setWidget(body);

    connect(m_backend, &QLineEdit::textChanged, this, &HistoryDock::refresh);
    connect(m_allBackends, &QCheckBox::toggled, this, [this](bool all) {
        m_backend->setEnabled(!all);
        refresh();
    });
    for (QComboBox *combo : {m_action, m_actor, m_period})
        connect(combo, &QComboBox::currentIndexChanged, this, &HistoryDock::refresh);
    connect(m_refresh, &QPushButton::clicked, this, &HistoryDock::refresh);
    connect(m_view, &QTableView::activated, this, &HistoryDock::openEntry);
    // A dock behind another's tab is not seen: it reads what it missed when it comes forward.
    connect(this, &QDockWidget::visibilityChanged, this, [this](bool visible) {
        if (visible && m_stale)
            refresh();
    });
    setUnavailable(tr("No audit trail is open."));
}

void HistoryDock::setSink(const audit::AuditSink *sink)
{
    m_sink = sink;
    refresh();
}

void HistoryDock::setUnavailable(const QString &why)
{
    m_sink = nullptr;
    m_model->setEntries({});
    m_unavailable->setText(tr("No history to show. %1").arg(why));
    m_status->clear();
    m_status->setToolTip({});
    showTable(false);
}

void HistoryDock::setCurrentBackend(const QString &address)
{
    m_backend->setText(address); // refreshes
}

void HistoryDock::setPeriod(Period period)
{
    m_period->setCurrentIndex(m_period->findData(int(period)));
}

audit::AuditFilter HistoryDock::filter() const
{
    audit::AuditFilter f;
    const auto period = static_cast<Period>(m_period->currentData().toInt());
    if (period != Period::All)
        f.since = m_clock->now() - periodLength(period);
    if (!m_allBackends->isChecked())
        f.backend = m_backend->text().trimmed().toStdString();
    f.action = m_action->currentData().toString().toStdString();
    f.actor = m_actor->currentData().toString().toStdString();
    f.limit = kLimit;
    return f;
}

bool HistoryDock::isSeen() const
{
    return isVisible() && !visibleRegion().isEmpty();
}

void HistoryDock::trailChanged()
{
    if (isSeen())
        refresh();
    else
        m_stale = true;
}

void HistoryDock::refresh()
{
    if (!m_sink)
        return; // the reason stays on show
    m_stale = false;
    std::string error;
    auto entries = m_sink->query(filter(), &error);
    if (!entries) {
        m_model->setEntries({});
        m_unavailable->setText(
            tr("The history could not be read. %1").arg(QString::fromStdString(error)));
        m_status->clear();
        showTable(false);
        return;
    }
    showTable(true);
    const QModelIndex current = m_view->currentIndex();
    const qlonglong selectedId =
        current.isValid() ? current.data(AuditTableModel::kIdRole).toLongLong() : 0;
    for (QComboBox *combo : {m_action, m_actor})
        combo->blockSignals(true);
    for (const audit::AuditEntry &e : *entries) {
        offer(m_action, QString::fromStdString(e.action));
        offer(m_actor, QString::fromStdString(e.actor));
    }
    for (QComboBox *combo : {m_action, m_actor})
        combo->blockSignals(false);

    const std::size_t count = entries->size();
    m_model->setEntries(std::move(*entries));
    if (selectedId > 0) {
        const int row = m_model->rowOf(selectedId);
        if (row >= 0)
            m_view->setCurrentIndex(m_proxy->mapFromSource(m_model->index(row, 0)));
    }

    const QLocale english(QLocale::English, QLocale::UnitedStates);
    if (count == 0)
        m_status->setText(tr("No entry matches these filters."));
    else if (count >= kLimit)
        m_status->setText(tr("The newest %1: narrow the filters for older ones.")
                              .arg(english.toString(qulonglong(kLimit))));
    else
        m_status->setText(count == 1 ? tr("1 entry")
                                     : tr("%1 entries").arg(english.toString(qulonglong(count))));
    m_status->setToolTip(AuditTableModel::tooltipText(
        tr("Audit trail: %1").arg(QString::fromStdString(m_sink->location()))));
}

AuditEntryDialog *HistoryDock::openEntry(const QModelIndex &index)
{
    if (!index.isValid() || index.model() != m_proxy)
        return nullptr;
    const audit::AuditEntry *entry = m_model->entry(m_proxy->mapToSource(index).row());
    if (!entry)
        return nullptr;
    // Not modal: two entries can be read side by side.
    auto *dialog = new AuditEntryDialog(*entry, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    return dialog;
}

QString HistoryDock::statusText() const
{
    return m_status->text();
}

QString HistoryDock::statusToolTip() const
{
    return m_status->toolTip();
}

QString HistoryDock::unavailableText() const
{
    return m_stack->currentWidget() == m_unavailable ? m_unavailable->text() : QString();
}

void HistoryDock::offer(QComboBox *combo, const QString &value, const QString &text)
{
    if (value.isEmpty() || combo->findData(value) >= 0)
        return;
    combo->addItem(text.isEmpty() ? AuditTableModel::oneLine(value.toStdString(), 60) : text,
                   value);
}

void HistoryDock::showTable(bool table)
{
    m_stack->setCurrentWidget(table ? static_cast<QWidget *>(m_view) : m_unavailable);
}

} // namespace canary
