#include "kpicomparison.h"

#include "chartpalette.h"

#include <QGridLayout>
#include <QLabel>

#include <cmath>

namespace canary {

namespace {

const QString kUnknown = QStringLiteral("—");

} // namespace

KpiComparison::KpiComparison(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("kpiComparison"));
    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setHorizontalSpacing(12);
    grid->setVerticalSpacing(3);
    m_caption = new QLabel(this);
    m_caption->setForegroundRole(QPalette::PlaceholderText);
    grid->addWidget(m_caption, 0, 0);
    const ChartPalette colours = ChartPalette::fromPalette(palette());
    const std::array<QString, 2> titles = {tr("Production"), tr("Canary")};
    for (int c = 0; c < 2; ++c) {
        auto *title = new QLabel(titles[std::size_t(c)], this);
        QFont font = title->font();
        font.setBold(true);
        title->setFont(font);
        QPalette p = title->palette();
        p.setColor(QPalette::WindowText,
                   colours.variant(c == 0 ? VariantRole::Production : VariantRole::Canary));
        title->setPalette(p);
        title->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        grid->addWidget(title, 0, c + 1);
    }
    const std::array<QString, RowCount> names = {tr("Latency p50"), tr("Latency p99"),
                                                 tr("Error rate"),  tr("Accuracy"),
                                                 tr("Labels"),      tr("Requests")};
    for (int r = 0; r < RowCount; ++r) {
        auto *name = new QLabel(names[std::size_t(r)], this);
        grid->addWidget(name, r + 1, 0);
        for (int c = 0; c < 2; ++c) {
            auto *cell = new QLabel(kUnknown, this);
            cell->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
            grid->addWidget(cell, r + 1, c + 1);
            m_cells[std::size_t(r)][std::size_t(c)] = cell;
        }
    }
    grid->setColumnStretch(0, 1);
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(2, 1);
}

void KpiComparison::setSnapshot(const KpiSnapshot &snapshot, bool live)
{
    const bool have = snapshot.valid();
    const metrics::VariantKpis none;
    const metrics::VariantKpis &production = have ? snapshot.kpis.production : none;
    const metrics::VariantKpis &canary = have ? snapshot.kpis.canary : none;
    for (int c = 0; c < 2; ++c) {
        const metrics::VariantKpis &v = c == 0 ? production : canary;
        // Accuracy rests on labels, not requests: the next row says how many.
        const std::array<QString, RowCount> texts = {
            formatMs(v.p50Seconds),          formatMs(v.p99Seconds),
            formatPercent(v.errorRatio),     v.accuracy ? formatPercent(*v.accuracy, 1) : kUnknown,
            formatCount(v.feedbackInWindow), formatCount(v.requestsInWindow)};
        for (int r = 0; r < RowCount; ++r) {
            QLabel *cell = m_cells[std::size_t(r)][std::size_t(c)];
            cell->setText(texts[std::size_t(r)]);
            QPalette p = palette();
            if (!live)
                p.setColor(QPalette::WindowText, palette().color(QPalette::PlaceholderText));
            cell->setPalette(p);
        }
    }
}

void KpiComparison::setCaption(const QString &caption)
{
    m_caption->setText(caption);
}

QString KpiComparison::caption() const
{
    return m_caption->text();
}

QString KpiComparison::text(Row row, VariantRole role) const
{
    return m_cells[std::size_t(row)][role == VariantRole::Production ? 0 : 1]->text();
}

QString KpiComparison::formatPercent(double ratio, int decimals)
{
    return std::isfinite(ratio) ? QStringLiteral("%1 %").arg(ratio * 100.0, 0, 'f', decimals)
                                : kUnknown;
}

QString KpiComparison::formatMs(double seconds)
{
    if (!std::isfinite(seconds))
        return kUnknown;
    const double ms = seconds * 1000.0;
    return QStringLiteral("%1 ms").arg(ms, 0, 'f', ms < 10 ? 1 : 0);
}

QString KpiComparison::formatCount(double count)
{
    return std::isfinite(count) ? QString::number(std::llround(count)) : kUnknown;
}

QString KpiComparison::formatRate(double perSecond)
{
    return std::isfinite(perSecond)
               ? QStringLiteral("%1 req/s").arg(perSecond, 0, 'f', perSecond < 10 ? 1 : 0)
               : kUnknown;
}

} // namespace canary
