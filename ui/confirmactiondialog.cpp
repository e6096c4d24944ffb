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
    return QStringLiteral("%1 %2").arg(QString::fromStdString(variant->model),
                                       QString::fromStdString(variant->version));
}

} // namespace

ConfirmActionDialog::ConfirmActionDialog(Action action, const RolloutState &state,
                                         const std::optional<metrics::KpiResult> &kpis,
                                         QWidget *parent)
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
        m_ui->headline->setText(tr("Promote %1 to production?").arg(canaryName));
        m_ui->consequence->setText(
            tr("%1 will serve 100 % of live traffic as the new production model, replacing %2. "
               "The canary slot becomes empty. Going back means staging %2 again as a canary.")
                .arg(canaryName, productionName));
        ok->setText(tr("Promote"));
    } else {
        setWindowTitle(tr("Roll back the canary"));
        m_ui->headline->setText(tr("Roll back %1?").arg(canaryName));
        m_ui->consequence->setText(
            tr("The canary's traffic (%1 %) goes back to production %2 at once; the canary "
               "stays staged at 0 % until the next one is staged.")
                .arg(QString::fromStdString(state.canaryWeight().toString()), productionName));
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
    fill(state, kpis);
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

void ConfirmActionDialog::fill(const RolloutState &state,
                               const std::optional<metrics::KpiResult> &kpis)
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

    const bool haveKpis = kpis && kpis->ok();
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
        set(Version, variant ? QString::fromStdString(variant->version) : kUnknown);
        set(Weight,
            variant ? QStringLiteral("%1 %").arg(QString::fromStdString(variant->weight.toString()))
                    : kUnknown);
        const metrics::VariantKpis none;
        const metrics::VariantKpis &v = haveKpis ? kpis->variant(role) : none;
        set(Requests, KpiComparison::formatCount(v.requestsInWindow));
        set(RequestRate, KpiComparison::formatRate(v.requestRate));
        set(ErrorRate, KpiComparison::formatPercent(v.errorRatio));
        set(LatencyP99, KpiComparison::formatMs(v.p99Seconds));
        set(Accuracy, v.accuracy ? KpiComparison::formatPercent(*v.accuracy, 1) : kUnknown);
    }

    // Make the worse canary number stand out, so a bad promote is harder to click through.
    if (haveKpis) {
        const auto &p = kpis->production;
        const auto &c = kpis->canary;
        auto flag = [&](Row row, bool worse) {
            if (QTableWidgetItem *item = table->item(row, 1); item && worse) {
                QFont font = item->font();
                font.setBold(true);
                item->setFont(font);
                item->setForeground(QColor(0xd6, 0x27, 0x28));
                item->setToolTip(tr("Worse than production"));
            }
        };
        flag(ErrorRate, KpiComparison::canaryWorse(KpiComparison::ErrorRate, p, c));
        flag(LatencyP99, KpiComparison::canaryWorse(KpiComparison::LatencyP99, p, c));
        flag(Accuracy, KpiComparison::canaryWorse(KpiComparison::Accuracy, p, c));
        const auto when = QDateTime::fromMSecsSinceEpoch(kpis->time.time_since_epoch().count());
        m_ui->freshness->setText(tr("Live numbers over the %1 s before %2.")
                                     .arg(kpis->elapsedSeconds, 0, 'f', 1)
                                     .arg(when.toString(QStringLiteral("HH:mm:ss"))));
    } else {
        m_ui->freshness->setText(
            tr("No live numbers yet: the comparison shows only what the backend reports."));
    }
}

} // namespace canary
