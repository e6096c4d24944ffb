#include "confirmactiondialog.h"

#include "ui_confirmactiondialog.h"

#include "kpicomparison.h"

#include <QDateTime>
#include <QHeaderView>
#include <QPushButton>

namespace canary {

namespace {

const QString kUnknown = QStringLiteral("—");

QString variantText(const std::optional<VariantInfo> &variant)
{
    if (!variant)
        return kUnknown;
    const QString model = QString::fromStdString(variant->model);
    if (variant->version.empty()) // a backend that knows only a server's name (HAProxy)
        return model;
    return QStringLiteral("%1 %2").arg(model, QString::fromStdString(variant->version));
}

} // namespace

ConfirmActionDialog::ConfirmActionDialog(Action action, const RolloutState &state,
                                         const KpiSnapshot &snapshot, const Freshness &freshness,
                                         const ControlPlaneCapabilities &backend, QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::ConfirmActionDialog>())
    , m_action(action)
{
    m_ui->setupUi(this);
    setObjectName(action == Action::Promote ? QStringLiteral("confirmPromote")
                                            : QStringLiteral("confirmRollback"));
    const QString canaryName = variantText(state.canary);
    const QString productionName = variantText(state.production);
    QFont headlineFont = m_ui->headline->font();
    headlineFont.setPointSizeF(headlineFont.pointSizeF() * 1.3);
    headlineFont.setBold(true);
    m_ui->headline->setFont(headlineFont);

    QPushButton *ok = actionButton();
    if (action == Action::Promote) {
        setWindowTitle(tr("Promote the canary"));
        m_ui->headline->setText(
            freshness.live ? tr("Promote %1 to production?").arg(canaryName)
                           : tr("Promote %1 to production without live numbers?").arg(canaryName));
        // A backend that stages models swaps the slots; one that does not (HAProxy) only moves
        // the traffic, and both servers stay where they are.
        m_ui->consequence->setText(
            backend.staging
                ? tr("%1 will serve 100 % of live traffic as the new production model, replacing "
                     "%2. The canary slot becomes empty. Going back means staging %2 again as a "
                     "canary.")
                      .arg(canaryName, productionName)
                : tr("%1 will receive 100 % of live traffic and %2 none. Both stay in the "
                     "backend: rolling back moves the traffic to %2 again.")
                      .arg(canaryName, productionName));
        ok->setText(freshness.live ? tr("Promote") : tr("Promote on old numbers"));
    } else {
        setWindowTitle(tr("Roll back the canary"));
        m_ui->headline->setText(tr("Roll back %1?").arg(canaryName));
        const QString weight = QString::fromStdString(state.canaryWeight().toString());
        m_ui->consequence->setText(
            backend.staging
                ? tr("The canary's traffic (%1 %) goes back to production %2 at once; the canary "
                     "stays staged at 0 % until the next one is staged.")
                      .arg(weight, productionName)
                : tr("The canary's traffic (%1 %) goes back to production %2 at once; the canary "
                     "stays in the backend at 0 %.")
                      .arg(weight, productionName));
        ok->setText(tr("Roll back"));
    }
    ok->setObjectName(QStringLiteral("confirmAction"));
    ok->setAutoDefault(false);
    ok->setDefault(false);
    QPushButton *cancel = cancelButton();
    cancel->setAutoDefault(true);
    cancel->setDefault(true);
    cancel->setFocus();
    connect(m_ui->buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_ui->buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    fill(state, snapshot);
    describeFreshness(snapshot, freshness);
    describeBackend(backend);
    adjustSize();
}

ConfirmActionDialog::~ConfirmActionDialog() = default;

QPushButton *ConfirmActionDialog::actionButton() const
{
    return m_ui->buttons->button(QDialogButtonBox::Ok);
}

QPushButton *ConfirmActionDialog::cancelButton() const
{
    return m_ui->buttons->button(QDialogButtonBox::Cancel);
}

QString ConfirmActionDialog::cellText(Row row, VariantRole role) const
{
    const QTableWidgetItem *item =
        m_ui->comparison->item(row, role == VariantRole::Production ? 0 : 1);
    return item ? item->text() : QString();
}

QString ConfirmActionDialog::freshnessText() const
{
    return m_ui->freshness->text();
}

QString ConfirmActionDialog::headlineText() const
{
    return m_ui->headline->text();
}

QString ConfirmActionDialog::cellText(int row, int column) const
{
    const QTableWidgetItem *item = m_ui->comparison->item(row, column);
    return item ? item->text() : QString();
}

QString ConfirmActionDialog::consequenceText() const
{
    return m_ui->consequence->text();
}

void ConfirmActionDialog::setVerdict(const QString &verdict, bool failing)
{
    m_ui->verdict->setText(verdict);
    QFont font = m_ui->verdict->font();
    font.setBold(failing);
    m_ui->verdict->setFont(font);
}

QString ConfirmActionDialog::verdictText() const
{
    return m_ui->verdict->text();
}

QString ConfirmActionDialog::backendNoteText() const
{
    return m_ui->backendNote->isHidden() ? QString() : m_ui->backendNote->text();
}

void ConfirmActionDialog::describeBackend(const ControlPlaneCapabilities &backend)
{
    if (backend.revisions) {
        m_ui->backendNote->hide();
        return;
    }
    const QString kind =
        backend.kind.empty() ? tr("This backend") : QString::fromStdString(backend.kind);
    m_ui->backendNote->setWordWrap(true);
    m_ui->backendNote->setText(
        tr("%1 keeps no revision of the rollout, so a change someone else makes at the same "
           "moment cannot be detected. The console reads the rollout again right before sending "
           "and once more after, and shows what %1 then reports.")
            .arg(kind));
}

void ConfirmActionDialog::fill(const RolloutState &state, const KpiSnapshot &snapshot)
{
    QTableWidget *table = m_ui->comparison;
    table->setRowCount(RowCount);
    table->setVerticalHeaderLabels({tr("Model version"), tr("Traffic weight"),
                                    tr("Requests counted"), tr("Request rate"), tr("Error rate"),
                                    tr("Latency p99"), tr("Accuracy")});
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 10);
    table->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    table->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    table->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    table->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);

    const bool haveKpis = snapshot.valid();
    const metrics::KpiResult *kpis = haveKpis ? &snapshot.kpis : nullptr;
    for (VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        const int column = role == VariantRole::Production ? 0 : 1;
        const std::optional<VariantInfo> variant =
            role == VariantRole::Production ? std::optional<VariantInfo>(state.production)
                                            : state.canary;
        auto set = [&](Row row, const QString &text) {
            auto *item = new QTableWidgetItem(text);
            item->setTextAlignment(Qt::AlignCenter);
            table->setItem(row, column, item);
        };
        const metrics::VariantKpis none;
        const metrics::VariantKpis &v = haveKpis ? kpis->variant(role) : none;
        // A backend that knows only server names (HAProxy): the versions the metrics saw serve
        // requests in the window, said to be from there.
        QString version = kUnknown;
        if (variant && !variant->version.empty()) {
            version = QString::fromStdString(variant->version);
        } else if (!v.activeVersions.empty()) {
            QStringList versions;
            for (const std::string &seen : v.activeVersions)
                versions << QString::fromStdString(seen);
            version = tr("%1 (in the metrics)").arg(versions.join(QStringLiteral(", ")));
        }
        set(Version, version);
        set(Weight,
            variant ? QStringLiteral("%1 %").arg(QString::fromStdString(variant->weight.toString()))
                    : kUnknown);
        set(Requests, KpiComparison::formatCount(v.requestsInWindow));
        set(RequestRate, KpiComparison::formatRate(v.requestRate));
        set(ErrorRate, KpiComparison::formatPercent(v.errorRatio));
        set(LatencyP99, KpiComparison::formatMs(v.p99Seconds));
        set(Accuracy, v.accuracy ? KpiComparison::formatPercent(*v.accuracy, 1) : kUnknown);
    }
}

namespace {

QString clockTime(SystemTime time)
{
    return QDateTime::fromMSecsSinceEpoch(time.time_since_epoch().count())
        .toString(QStringLiteral("HH:mm:ss"));
}

QString seconds(std::chrono::milliseconds duration)
{
    const double s = double(duration.count()) / 1000.0;
    return QString::number(s, 'f', s < 10 ? 1 : 0);
}

} // namespace

void ConfirmActionDialog::describeFreshness(const KpiSnapshot &snapshot, const Freshness &freshness)
{
    QString text;
    if (snapshot.valid()) {
        const auto span =
            std::chrono::duration_cast<std::chrono::milliseconds>(snapshot.to - snapshot.from);
        text = tr("Numbers over the %1 s from %2 to %3: %4 production and %5 canary requests.")
                   .arg(seconds(span), clockTime(snapshot.from), clockTime(snapshot.to),
                        KpiComparison::formatCount(snapshot.kpis.production.requestsInWindow),
                        KpiComparison::formatCount(snapshot.kpis.canary.requestsInWindow));
    } else {
        text = tr("No numbers have been read from the metrics yet: the comparison shows only what "
                  "the backend reports.");
    }
    if (!freshness.live) {
        const QString why = freshness.whyNotLive.isEmpty()
                                ? QString()
                                : QStringLiteral(" (%1)").arg(freshness.whyNotLive);
        QString age;
        if (snapshot.valid())
            age = tr(" They end %1 s ago, at %2; the metrics have not been read since%3.")
                      .arg(seconds(snapshot.age(freshness.now)), clockTime(snapshot.to), why);
        else
            age = tr(" The metrics cannot be read%1.").arg(why);
        if (m_action == Action::Promote)
            text = tr("These numbers are not live.") + age + QLatin1Char(' ') + text +
                   tr(" The canary may have changed since.");
        else
            text = tr("The current numbers cannot be confirmed.") + age + QLatin1Char(' ') + text +
                   tr(" Rolling back is the safe direction and does not need them.");
        QFont font = m_ui->freshness->font();
        font.setBold(true);
        m_ui->freshness->setFont(font);
        QPalette p = m_ui->freshness->palette();
        p.setColor(QPalette::WindowText, QColor(0xb3, 0x58, 0x00));
        m_ui->freshness->setPalette(p);
    }
    m_ui->freshness->setWordWrap(true);
    m_ui->freshness->setText(text);
}

} // namespace canary
