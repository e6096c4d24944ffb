#include "gatetablemodel.h"

#include <QFont>
#include <QLocale>

#include <cmath>
#include <limits>

namespace canary {

namespace {

const QString kUnknown = QStringLiteral("—");

QString fromStd(std::string_view text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

// Grouped digits whatever the desktop's locale, so the table reads the same as canaryctl.
QString count(std::int64_t value)
{
    return QLocale(QLocale::English, QLocale::UnitedStates).toString(qlonglong(value));
}

// A number for sorting: unknowns sort before every known value, never as NaN (which would make
// the order depend on the rows' positions).
QVariant sortable(double value)
{
    return std::isnan(value) ? std::numeric_limits<double>::lowest() : value;
}

QString ratioText(double ratio)
{
    if (std::isinf(ratio))
        return QStringLiteral("∞");
    if (ratio == 0)
        return QStringLiteral("0");
    return QString::number(ratio, 'f', ratio < 10 ? 2 : 1);
}

bool sameGates(const analysis::Judgement &a, const analysis::Judgement &b)
{
    if (a.gates.size() != b.gates.size())
        return false;
    for (std::size_t i = 0; i < a.gates.size(); ++i) {
        if (a.gates[i].spec.name != b.gates[i].spec.name)
            return false;
    }
    return true;
}

} // namespace

GateTableModel::GateTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

void GateTableModel::setJudgement(const analysis::Judgement &judgement)
{
    if (sameGates(m_judgement, judgement)) {
        m_judgement = judgement;
        if (!m_judgement.gates.empty())
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_judgement = judgement;
    endResetModel();
}

int GateTableModel::severity(analysis::Verdict verdict)
{
    switch (verdict) {
    case analysis::Verdict::Fail:
        return 4;
    case analysis::Verdict::NoData:
        return 3;
    case analysis::Verdict::Inconclusive:
        return 2;
    case analysis::Verdict::Pass:
        return 1;
    case analysis::Verdict::Better:
        break;
    }
    return 0;
}

QString GateTableModel::verdictMark(analysis::Verdict verdict)
{
    switch (verdict) {
    case analysis::Verdict::Fail:
        return QStringLiteral("✖");
    case analysis::Verdict::NoData:
        return QStringLiteral("○");
    case analysis::Verdict::Inconclusive:
        return QStringLiteral("◔");
    case analysis::Verdict::Pass:
        return QStringLiteral("✔");
    case analysis::Verdict::Better:
        break;
    }
    return QStringLiteral("★");
}

QString GateTableModel::verdictText(analysis::Verdict verdict)
{
    QString word = fromStd(analysis::toString(verdict));
    word.replace(QLatin1Char('-'), QLatin1Char(' '));
    return verdictMark(verdict) + QLatin1Char(' ') + word;
}

QColor GateTableModel::verdictColor(analysis::Verdict verdict)
{
    // The Okabe-Ito colours: told apart with every common colour-vision deficiency.
    switch (verdict) {
    case analysis::Verdict::Fail:
        return QColor(0xd5, 0x5e, 0x00); // vermillion
    case analysis::Verdict::NoData:
        return QColor(0x80, 0x80, 0x80);
    case analysis::Verdict::Inconclusive:
        return QColor(0xb0, 0x80, 0x00); // a darker orange, readable on white
    case analysis::Verdict::Pass:
        return QColor(0x00, 0x9e, 0x73); // bluish green
    case analysis::Verdict::Better:
        break;
    }
    return QColor(0x00, 0x72, 0xb2); // blue
}

QString GateTableModel::figureText(double rate)
{
    if (!std::isfinite(rate))
        return kUnknown;
    const double percent = rate * 100.0;
    return QStringLiteral("%1 %").arg(percent, 0, 'f', std::abs(percent) < 10 ? 2 : 1);
}

QString GateTableModel::deltaText(double delta)
{
    if (!std::isfinite(delta))
        return kUnknown;
    const double percent = delta * 100.0;
    const QString digits = QString::number(std::abs(percent), 'f', std::abs(percent) < 10 ? 1 : 0);
    if (digits == QStringLiteral("0.0"))
        return QStringLiteral("±0 %");
    return (percent < 0 ? QStringLiteral("−") : QStringLiteral("+")) + digits +
           QStringLiteral(" %");
}

QString GateTableModel::intervalText(double low, double high)
{
    if (std::isnan(low) || std::isnan(high))
        return kUnknown;
    return QStringLiteral("%1–%2×").arg(ratioText(low), ratioText(high));
}

QString GateTableModel::samplesText(std::int64_t production, std::int64_t canary)
{
    return QStringLiteral("%1 / %2").arg(count(production), count(canary));
}

QString GateTableModel::evidenceText(double evidence, double threshold)
{
    const QString odds = QString::fromStdString(analysis::formatOdds(evidence));
    if (!std::isfinite(threshold) || threshold <= 0)
        return odds;
    return tr("%1 (rollback at %2)")
        .arg(odds, QString::fromStdString(analysis::formatOdds(threshold)));
}

int GateTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_judgement.gates.size());
}

int GateTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant GateTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount)
        return {};
    const analysis::GateResult &gate = m_judgement.gates[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return display(gate, index.column());
    case kSortRole:
        return sortValue(gate, index.column());
    case Qt::ToolTipRole:
        return QString::fromStdString(gate.sentence);
    case Qt::ForegroundRole:
        if (index.column() == VerdictColumn)
            return verdictColor(gate.verdict);
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == Gate || index.column() == VerdictColumn || index.column() == Sentence)
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        return int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::FontRole:
        if (index.column() == VerdictColumn && gate.verdict == analysis::Verdict::Fail) {
            QFont font;
            font.setBold(true);
            return font;
        }
        break;
    default:
        break;
    }
    return {};
}

QVariant GateTableModel::display(const analysis::GateResult &gate, int column) const
{
    switch (column) {
    case Gate: {
        QString name = QString::fromStdString(gate.spec.name);
        if (!gate.spec.critical)
            name += tr(" (advisory)");
        return name;
    }
    case VerdictColumn:
        return verdictText(gate.verdict);
    case Production:
        return figureText(gate.productionValue);
    case Canary:
        return figureText(gate.canaryValue);
    case Delta:
        return deltaText(gate.delta);
    case Interval:
        return intervalText(gate.ratioLow, gate.ratioHigh);
    case Samples:
        return samplesText(gate.productionSamples, gate.canarySamples);
    case Evidence:
        return evidenceText(gate.evidence, gate.threshold);
    case Sentence:
        return QString::fromStdString(gate.sentence);
    default:
        break;
    }
    return {};
}

QVariant GateTableModel::sortValue(const analysis::GateResult &gate, int column) const
{
    switch (column) {
    case Gate:
        return QString::fromStdString(gate.spec.name);
    case VerdictColumn:
        return severity(gate.verdict);
    case Production:
        return sortable(gate.productionValue);
    case Canary:
        return sortable(gate.canaryValue);
    case Delta:
        return sortable(gate.delta);
    case Interval:
        return sortable(gate.ratioLow);
    case Samples:
        // The smaller arm decides how much a gate can know: the canary's.
        return qlonglong(gate.canarySamples);
    case Evidence:
        // How close to a rollback: the evidence as a share of its threshold.
        return gate.threshold > 0 ? sortable(gate.evidence / gate.threshold)
                                  : sortable(gate.evidence);
    case Sentence:
        return QString::fromStdString(gate.sentence);
    default:
        break;
    }
    return {};
}

QVariant GateTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Production:
        case Canary:
            return tr("Error %, accuracy %, or % of requests above the latency threshold(s)");
        case Delta:
            return tr("Canary relative to production");
        case Interval:
            return tr("Always-valid interval of the canary / production ratio of bad events");
        case Samples:
            return tr("Production / canary requests (labels for accuracy) counted");
        case Evidence:
            return tr("Odds against \"no regression\", and the odds at which the gate fails");
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Gate:
        return tr("Gate");
    case VerdictColumn:
        return tr("Verdict");
    case Production:
        return tr("Production");
    case Canary:
        return tr("Canary");
    case Delta:
        return tr("Delta");
    case Interval:
        return tr("Interval");
    case Samples:
        return tr("Samples");
    case Evidence:
        return tr("Evidence");
    case Sentence:
        return tr("Why");
    default:
        break;
    }
    return {};
}

} // namespace canary
