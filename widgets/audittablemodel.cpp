#include "audittablemodel.h"

#include <QDateTime>
#include <QFont>
#include <QStringList>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace canary {

namespace {

QString fromStd(std::string_view text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

bool isBidiControl(char32_t c)
{
    return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E ||
           c == 0x200F || c == 0x061C;
}

// A number as a person writes it: "25", "12.4", "0.05".
QString numberText(double value)
{
    if (!std::isfinite(value))
        return QStringLiteral("—");
    return QString::number(value, 'g', 6);
}

QString valueText(const nlohmann::json &value)
{
    if (value.is_string())
        return AuditTableModel::oneLine(value.get_ref<const std::string &>(), 60);
    if (value.is_number())
        return numberText(value.get<double>());
    if (value.is_null())
        return QStringLiteral("—");
    return AuditTableModel::oneLine(
        value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), 60);
}

// What the parameters summary leaves out: told by other columns or the details.
constexpr std::array<std::string_view, 3> kLeftOut = {"plan", "automatic", "judgement"};
// The keys said first, in this order; the others follow alphabetically.
constexpr std::array<std::string_view, 6> kFirst = {"step",  "canary",  "weight",
                                                    "model", "version", "verdict"};

QString parameterText(const std::string &key, const nlohmann::json &value)
{
    const QString name = AuditTableModel::oneLine(key, 40);
    if ((key == "canary" || key == "weight") && value.is_number())
        return QStringLiteral("%1 %2 %").arg(name, numberText(value.get<double>()));
    return QStringLiteral("%1 %2").arg(name, valueText(value));
}

} // namespace

AuditTableModel::AuditTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

void AuditTableModel::setEntries(std::vector<audit::AuditEntry> entries)
{
    beginResetModel();
    m_entries = std::move(entries);
    endResetModel();
}

const audit::AuditEntry *AuditTableModel::entry(int row) const
{
    if (row < 0 || row >= rowCount())
        return nullptr;
    return &m_entries[std::size_t(row)];
}

int AuditTableModel::rowOf(std::int64_t id) const
{
    for (std::size_t row = 0; row < m_entries.size(); ++row) {
        if (m_entries[row].id == id)
            return int(row);
    }
    return -1;
}

QString AuditTableModel::oneLine(std::string_view text, qsizetype maxChars)
{
    const QString in = fromStd(text);
    QString out;
    out.reserve(std::min(in.size(), maxChars + 1));
    const QList<uint> codePoints = in.toUcs4();
    for (const uint c : codePoints) {
        if (out.size() >= maxChars) {
            out += QStringLiteral("…");
            break;
        }
        if (c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f')
            out += QLatin1Char(' ');
        else if (c < 0x20 || (c >= 0x7F && c < 0xA0) || isBidiControl(char32_t(c)))
            out += QChar(0xFFFD);
        else {
            const char32_t codePoint = c;
            out += QString::fromUcs4(&codePoint, 1);
        }
    }
    return out;
}

QString AuditTableModel::tooltipText(const QString &plain)
{
    // Always rich text (so nothing in it is taken for markup), escaped, its lines kept.
    return QStringLiteral("<p style='white-space:pre-wrap'>%1</p>").arg(plain.toHtmlEscaped());
}

QString AuditTableModel::localTimeText(SystemTime time)
{
    return QDateTime::fromMSecsSinceEpoch(time.time_since_epoch().count())
        .toLocalTime()
        .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString AuditTableModel::parametersText(const nlohmann::json &parameters)
{
    if (!parameters.is_object())
        return parameters.is_null() ? QString() : valueText(parameters);
    QStringList parts;
    for (const std::string_view key : kFirst) {
        const auto it = parameters.find(std::string(key));
        if (it != parameters.end())
            parts << parameterText(it.key(), *it);
    }
    for (auto it = parameters.begin(); it != parameters.end(); ++it) {
        const std::string_view key = it.key();
        if (std::find(kFirst.begin(), kFirst.end(), key) != kFirst.end() ||
            std::find(kLeftOut.begin(), kLeftOut.end(), key) != kLeftOut.end())
            continue;
        parts << parameterText(it.key(), *it);
    }
    return parts.join(QStringLiteral(" · "));
}

QString AuditTableModel::outcomeMark(std::string_view outcome)
{
    if (outcome == "succeeded")
        return QStringLiteral("✔");
    if (outcome == "failed")
        return QStringLiteral("✖");
    if (outcome == "conflict")
        return QStringLiteral("⚠");
    if (outcome == "pending")
        return QStringLiteral("◌");
    if (outcome == "decided")
        return QStringLiteral("◇");
    return QStringLiteral("?");
}

QString AuditTableModel::outcomeText(std::string_view outcome)
{
    const QString word = outcome.empty() ? tr("unknown") : oneLine(outcome, 40);
    return outcomeMark(outcome) + QLatin1Char(' ') + word;
}

QColor AuditTableModel::outcomeColor(std::string_view outcome)
{
    // The Okabe-Ito colours, as the gate table's verdicts.
    if (outcome == "succeeded")
        return QColor(0x00, 0x9e, 0x73); // bluish green
    if (outcome == "failed")
        return QColor(0xd5, 0x5e, 0x00); // vermillion
    if (outcome == "conflict")
        return QColor(0xb0, 0x80, 0x00); // a darker orange, readable on white
    if (outcome == "pending")
        return QColor(0x80, 0x80, 0x80);
    return {};
}

int AuditTableModel::outcomeSeverity(std::string_view outcome)
{
    if (outcome == "failed")
        return 5;
    if (outcome == "conflict")
        return 4;
    if (outcome == "pending")
        return 3;
    if (outcome == "decided")
        return 1;
    if (outcome == "succeeded")
        return 0;
    return 2; // unknown words sit between what is settled and what went wrong
}

QString AuditTableModel::backendText(const audit::AuditEntry &entry)
{
    const QString kind = oneLine(entry.backendKind, 60);
    const QString address = oneLine(entry.backendAddress);
    if (kind.isEmpty())
        return address;
    return address.isEmpty() ? kind : kind + QLatin1Char(' ') + address;
}

QString AuditTableModel::messageText(const audit::AuditEntry &entry)
{
    return oneLine(entry.message.empty() ? entry.reason : entry.message);
}

int AuditTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int AuditTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AuditTableModel::data(const QModelIndex &index, int role) const
{
    const audit::AuditEntry *e = index.isValid() ? entry(index.row()) : nullptr;
    if (!e || index.column() >= ColumnCount)
        return {};
    switch (role) {
    case Qt::DisplayRole:
        return display(*e, index.column());
    case kSortRole:
        return sortValue(*e, index.column());
    case kIdRole:
        return qlonglong(e->id);
    case Qt::ToolTipRole:
        return toolTip(*e, index.column());
    case Qt::ForegroundRole:
        if (index.column() == Outcome) {
            const QColor color = outcomeColor(e->outcome);
            if (color.isValid())
                return color;
        }
        break;
    case Qt::FontRole:
        if (index.column() == Outcome && (e->outcome == "failed" || e->outcome == "conflict")) {
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

QVariant AuditTableModel::display(const audit::AuditEntry &e, int column) const
{
    switch (column) {
    case Time:
        return localTimeText(e.time);
    case Actor:
        return oneLine(audit::actorText(e), 80);
    case Action:
        return oneLine(e.action, 60);
    case Parameters:
        return parametersText(e.parameters);
    case Outcome:
        return outcomeText(e.outcome);
    case Backend:
        return backendText(e);
    case Message:
        return messageText(e);
    default:
        break;
    }
    return {};
}

QVariant AuditTableModel::sortValue(const audit::AuditEntry &e, int column) const
{
    switch (column) {
    case Time:
        return qlonglong(e.time.time_since_epoch().count());
    case Outcome:
        return outcomeSeverity(e.outcome);
    default:
        break;
    }
    return display(e, column);
}

QVariant AuditTableModel::toolTip(const audit::AuditEntry &e, int column) const
{
    switch (column) {
    case Time: {
        QString text = tr("%1 (UTC)").arg(QString::fromStdString(formatRfc3339(e.time)));
        if (e.finishedAt)
            text +=
                QLatin1Char('\n') +
                tr("finished %1 (UTC)").arg(QString::fromStdString(formatRfc3339(*e.finishedAt)));
        return tooltipText(text);
    }
    case Parameters:
        return tooltipText(
            fromStd(e.parameters.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)));
    case Message: {
        QStringList lines;
        if (!e.reason.empty())
            lines << tr("Why: %1").arg(fromStd(e.reason));
        if (!e.message.empty())
            lines << fromStd(e.message);
        return lines.isEmpty() ? QVariant() : tooltipText(lines.join(QLatin1Char('\n')));
    }
    default:
        break;
    }
    const QVariant shown = display(e, column);
    return shown.toString().isEmpty() ? QVariant() : tooltipText(shown.toString());
}

QVariant AuditTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Time:
            return tr(
                "When it was asked for or decided, in local time (UTC in each cell's tooltip)");
        case Actor:
            return tr("The operator's account, or auto and the plan for a plan's decision");
        case Outcome:
            return tr("pending until the backend answered; then succeeded, failed or conflict "
                      "(decided: a plan's decision that sent nothing)");
        case Message:
            return tr("What the operator saw, or the plan's reason");
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Time:
        return tr("Time");
    case Actor:
        return tr("Actor");
    case Action:
        return tr("Action");
    case Parameters:
        return tr("Parameters");
    case Outcome:
        return tr("Outcome");
    case Backend:
        return tr("Backend");
    case Message:
        return tr("Message");
    default:
        break;
    }
    return {};
}

} // namespace canary
