#include "auditentrydialog.h"

#include "analysis/judge.h"
#include "audittablemodel.h"
#include "gatetablemodel.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

namespace canary {

namespace {

const QString kUnknown = QStringLiteral("—");
constexpr qsizetype kLongText = 4000; // a field in full, but not a megabyte of it

enum class Unit { Percent, Milliseconds, PerSecond, Count };

struct KnownKpi
{
    const char *key;
    const char *label;
    Unit unit;
};

// The snapshot's KPIs in the order the console's comparison shows them; keys it does not know
// follow under their own names.
constexpr std::array<KnownKpi, 11> kKnownKpis = {{
    {"error_percent", QT_TRANSLATE_NOOP("canary::AuditEntryDialog", "Error rate"), Unit::Percent},
    {"p50_ms", QT_TRANSLATE_NOOP("canary::AuditEntryDialog", "Latency p50"), Unit::Milliseconds},
    {"p95_ms", QT_TRANSLATE_NOOP("canary::AuditEntryDialog", "Latency p95"), Unit::Milliseconds},
    {"p99_ms", QT_TRANSLATE_NOOP("canary::AuditEntryDialog", "Latency p99"), Unit::Milliseconds},
    {"mean_ms", QT_TRANSLATE_NOOP("canary::AuditEntryDialog", "Mean latency"), Unit::Milliseconds},
    {"accuracy_percent", QT_TRANSLATE_NOOP("canary::AuditEntryDialog", "Accuracy"), Unit::Percent},
    {"labels", QT_TRANSLATE_NOOP("canary::AuditEntryDialog", "Labels"), Unit::Count},
    {"request_rate", QT_TRANSLATE_NOOP("canary::AuditEntryDialog", "Request rate"),
     Unit::PerSecond},
    {"requests", QT_TRANSLATE_NOOP("canary::AuditEntryDialog", "Requests in the window"),
     Unit::Count},
    {"errors", QT_TRANSLATE_NOOP("canary::AuditEntryDialog", "Errors in the window"), Unit::Count},
    {"weight_percent", QT_TRANSLATE_NOOP("canary::AuditEntryDialog", "Traffic weight"),
     Unit::Percent},
}};

constexpr std::array<const char *, 2> kVariants = {"production", "canary"};

const KnownKpi *knownKpi(const std::string &key)
{
    for (const KnownKpi &kpi : kKnownKpis) {
        if (key == kpi.key)
            return &kpi;
    }
    return nullptr;
}

QString fromStd(const std::string &text)
{
    return QString::fromStdString(text);
}

QString plain(const std::string &text)
{
    return AuditTableModel::oneLine(text, kLongText);
}

// Grouped digits whatever the desktop's locale, as the gate table and canaryctl write them.
QString grouped(double value)
{
    return QLocale(QLocale::English, QLocale::UnitedStates).toString(value, 'f', 0);
}

const nlohmann::json *member(const nlohmann::json &object, const char *key)
{
    if (!object.is_object())
        return nullptr;
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

QString stringMember(const nlohmann::json &object, const char *key)
{
    const nlohmann::json *value = member(object, key);
    if (!value || value->is_null())
        return {};
    if (value->is_string())
        return plain(value->get<std::string>());
    return plain(value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// "✖ fail" for the judge's words, the word itself otherwise.
QString verdictText(const QString &word)
{
    for (const analysis::Verdict verdict :
         {analysis::Verdict::Fail, analysis::Verdict::NoData, analysis::Verdict::Inconclusive,
          analysis::Verdict::Pass, analysis::Verdict::Better}) {
        if (word == QLatin1String(analysis::toString(verdict)))
            return GateTableModel::verdictText(verdict);
    }
    return word;
}

QColor verdictColor(const QString &word)
{
    for (const analysis::Verdict verdict :
         {analysis::Verdict::Fail, analysis::Verdict::NoData, analysis::Verdict::Inconclusive,
          analysis::Verdict::Pass, analysis::Verdict::Better}) {
        if (word == QLatin1String(analysis::toString(verdict)))
            return GateTableModel::verdictColor(verdict);
    }
    return {};
}

// A local clock time with the UTC form beside it.
QString timeText(SystemTime time)
{
    return AuditEntryDialog::tr("%1 (%2 UTC)")
        .arg(AuditTableModel::localTimeText(time), fromStd(formatRfc3339(time)));
}

QString revisionText(const std::optional<std::int64_t> &revision)
{
    return revision ? QString::number(*revision) : kUnknown;
}

QString orUnknown(const QString &text)
{
    return text.isEmpty() ? kUnknown : text;
}

QLabel *valueLabel(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

QTableWidgetItem *plainItem(const QString &text)
{
    auto *item = new QTableWidgetItem(text);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    return item;
}

// The snapshot's time of a window end ("2026-12-01T09:41:07Z") in local clock time, or as written.
QString snapshotTime(const nlohmann::json &snapshot, const char *key)
{
    const QString text = stringMember(snapshot, key);
    if (text.isEmpty())
        return {};
    if (const auto time = parseRfc3339(text.toStdString()))
        return AuditTableModel::localTimeText(*time);
    return text;
}

// A table as tall as `rows` rows: every KPI in view without a scroll bar.
void fitRows(QTableWidget *table, int rows)
{
    int height = table->horizontalHeader()->sizeHint().height() + 2 * table->frameWidth();
    for (int row = 0; row < rows; ++row)
        height += table->verticalHeader()->sectionSize(row);
    table->setFixedHeight(height);
}

} // namespace

QString AuditEntryDialog::kpiValueText(const std::string &key, const nlohmann::json *value)
{
    if (!value || value->is_null())
        return kUnknown;
    if (!value->is_number()) {
        if (value->is_string())
            return plain(value->get<std::string>());
        return plain(value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    const double number = value->get<double>();
    if (!std::isfinite(number))
        return kUnknown;
    const KnownKpi *known = knownKpi(key);
    switch (known ? known->unit : Unit::Count) {
    case Unit::Percent:
        return QStringLiteral("%1 %").arg(number, 0, 'f', std::abs(number) < 10 ? 2 : 1);
    case Unit::Milliseconds:
        return QStringLiteral("%1 ms").arg(number, 0, 'f', std::abs(number) < 100 ? 1 : 0);
    case Unit::PerSecond:
        if (std::abs(number) >= 100)
            return QStringLiteral("%1/s").arg(grouped(number));
        return QStringLiteral("%1/s").arg(number, 0, 'f', std::abs(number) < 10 ? 2 : 1);
    case Unit::Count:
        break;
    }
    if (!known && number != std::floor(number))
        return QString::number(number, 'g', 6);
    return grouped(number);
}

AuditEntryDialog::AuditEntryDialog(const audit::AuditEntry &entry, QWidget *parent)
    : QDialog(parent)
    , m_entry(entry)
{
    setWindowTitle(tr("Audit entry %1: %2").arg(entry.id).arg(plain(entry.action)));
    auto *layout = new QVBoxLayout(this);
    auto *tabs = new QTabWidget(this);
    layout->addWidget(tabs);

    auto *scroll = new QScrollArea(tabs);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *page = new QWidget(scroll);
    auto *pageLayout = new QVBoxLayout(page);
    pageLayout->addWidget(makeSummary());
    pageLayout->addWidget(makeSnapshot(), 1);
    scroll->setWidget(page);
    tabs->addTab(scroll, tr("Entry"));

    m_json = new QPlainTextEdit(tabs);
    m_json->setObjectName(QStringLiteral("rawJson"));
    m_json->setReadOnly(true);
    m_json->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_json->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_json->setPlainText(fromStd(
        audit::toJson(entry).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)));
    tabs->addTab(m_json, tr("JSON"));

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(780, 680);
}

QWidget *AuditEntryDialog::makeSummary()
{
    auto *box = new QWidget(this);
    auto *form = new QFormLayout(box);
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    const audit::AuditEntry &e = m_entry;
    const auto row = [&](const QString &name, const QString &value, const char *objectName) {
        QLabel *label = valueLabel(value, box);
        label->setObjectName(QString::fromLatin1(objectName));
        form->addRow(name, label);
        return label;
    };
    row(tr("Time:"), timeText(e.time), "timeValue");
    row(tr("Actor:"), orUnknown(plain(audit::actorText(e))), "actorValue");
    row(tr("Backend:"), orUnknown(AuditTableModel::backendText(e)), "backendValue");
    row(tr("Action:"), orUnknown(plain(e.action)), "actionValue");
    row(tr("Parameters:"), orUnknown(AuditTableModel::parametersText(e.parameters)),
        "parametersValue");
    QLabel *outcome = row(
        tr("Outcome:"),
        e.finishedAt ? tr("%1, finished %2")
                           .arg(AuditTableModel::outcomeText(e.outcome), timeText(*e.finishedAt))
                     : AuditTableModel::outcomeText(e.outcome),
        "outcomeValue");
    const QColor color = AuditTableModel::outcomeColor(e.outcome);
    if (color.isValid()) {
        QPalette palette = outcome->palette();
        palette.setColor(QPalette::WindowText, color);
        outcome->setPalette(palette);
    }
    row(tr("Message:"), orUnknown(plain(e.message)), "messageValue");
    row(tr("Reason:"), orUnknown(plain(e.reason)), "reasonValue");
    row(tr("State:"),
        tr("%1 → %2").arg(orUnknown(plain(e.stateBefore)), orUnknown(plain(e.stateAfter))),
        "stateValue");
    row(tr("Revision:"),
        tr("%1 → %2").arg(revisionText(e.revisionBefore), revisionText(e.revisionAfter)),
        "revisionValue");
    return box;
}

QWidget *AuditEntryDialog::makeSnapshot()
{
    auto *box = new QWidget(this);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 8, 0, 0);
    const nlohmann::json &snapshot = m_entry.snapshot;

    // The KPI rows: the known ones in their order, then any other key either variant has.
    std::vector<std::string> keys;
    std::set<std::string> others;
    for (const char *variant : kVariants) {
        const nlohmann::json *kpis = member(snapshot, variant);
        if (!kpis || !kpis->is_object())
            continue;
        for (auto it = kpis->begin(); it != kpis->end(); ++it) {
            if (!knownKpi(it.key()))
                others.insert(it.key());
        }
    }
    for (const KnownKpi &kpi : kKnownKpis) {
        for (const char *variant : kVariants) {
            const nlohmann::json *kpis = member(snapshot, variant);
            if (kpis && member(*kpis, kpi.key)) {
                keys.emplace_back(kpi.key);
                break;
            }
        }
    }
    keys.insert(keys.end(), others.begin(), others.end());

    const QString verdict = !stringMember(snapshot, "verdict").isEmpty()
                                ? stringMember(snapshot, "verdict")
                                : stringMember(m_entry.parameters, "verdict");
    const QString judgement = stringMember(snapshot, "judgement");
    const nlohmann::json *gates = member(snapshot, "gates");
    const bool hasGates = gates && gates->is_array() && !gates->empty();

    m_snapshotCaption = valueLabel({}, box);
    m_snapshotCaption->setObjectName(QStringLiteral("snapshotCaption"));
    QFont bold = m_snapshotCaption->font();
    bold.setBold(true);
    m_snapshotCaption->setFont(bold);
    layout->addWidget(m_snapshotCaption);
    if (keys.empty() && judgement.isEmpty() && !hasGates) {
        m_snapshotCaption->setText(tr("No numbers were recorded with this entry."));
    } else {
        const QString from = snapshotTime(snapshot, "from");
        QString to = snapshotTime(snapshot, "time");
        // "2026-12-01 10:40:07 to 10:41:07": the day once when the window is within one.
        if (from.size() > 11 && to.size() > 11 && from.left(11) == to.left(11))
            to = to.mid(11);
        // The console's numbers of that moment (a plan's judge also reads its own window: its
        // sentence is below).
        QString caption = tr("The numbers at that moment");
        if (!to.isEmpty())
            caption = from.isEmpty() ? tr("%1, as of %2").arg(caption, to)
                                     : tr("%1, the window %2 to %3").arg(caption, from, to);
        const nlohmann::json *live = member(snapshot, "live");
        if (live && live->is_boolean())
            caption += *live ? tr(" (live)") : tr(" (older numbers, confirmed knowingly)");
        m_snapshotCaption->setText(caption + QLatin1Char(':'));
    }

    m_kpis = new QTableWidget(int(keys.size()), int(kVariants.size()), box);
    m_kpis->setObjectName(QStringLiteral("kpiTable"));
    m_kpis->setHorizontalHeaderLabels({tr("Production"), tr("Canary")});
    m_kpis->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_kpis->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    for (int row = 0; row < int(keys.size()); ++row) {
        const std::string &key = keys[std::size_t(row)];
        const KnownKpi *known = knownKpi(key);
        auto *name = plainItem(known ? tr(known->label) : plain(key));
        name->setData(Qt::UserRole, fromStd(key));
        m_kpis->setVerticalHeaderItem(row, name);
        for (int column = 0; column < int(kVariants.size()); ++column) {
            const nlohmann::json *kpis = member(snapshot, kVariants[std::size_t(column)]);
            auto *item = plainItem(kpiValueText(key, kpis ? member(*kpis, key.c_str()) : nullptr));
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_kpis->setItem(row, column, item);
        }
    }
    m_kpis->setVisible(!keys.empty());
    fitRows(m_kpis, m_kpis->rowCount());
    layout->addWidget(m_kpis);

    if (!verdict.isEmpty()) {
        QLabel *label = valueLabel(tr("Verdict: %1").arg(verdictText(verdict)), box);
        label->setObjectName(QStringLiteral("verdictValue"));
        if (const QColor color = verdictColor(verdict); color.isValid()) {
            QPalette palette = label->palette();
            palette.setColor(QPalette::WindowText, color);
            label->setPalette(palette);
        }
        layout->addWidget(label);
    }
    if (!judgement.isEmpty()) {
        QLabel *label = valueLabel(tr("The judge: %1").arg(judgement), box);
        label->setObjectName(QStringLiteral("judgementValue"));
        layout->addWidget(label);
    }

    m_gates = new QTableWidget(0, 3, box);
    m_gates->setObjectName(QStringLiteral("gateTable"));
    m_gates->setHorizontalHeaderLabels({tr("Gate"), tr("Verdict"), tr("Why")});
    m_gates->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_gates->verticalHeader()->hide();
    m_gates->horizontalHeader()->setStretchLastSection(true);
    if (hasGates) {
        for (const nlohmann::json &gate : *gates) {
            const int row = m_gates->rowCount();
            m_gates->insertRow(row);
            QString name = stringMember(gate, "metric");
            if (name.isEmpty())
                name = stringMember(gate, "name");
            const QString word = stringMember(gate, "verdict");
            const QString sentence = stringMember(gate, "sentence");
            m_gates->setItem(row, 0, plainItem(orUnknown(name)));
            auto *verdictItem = plainItem(orUnknown(verdictText(word)));
            if (const QColor color = verdictColor(word); color.isValid())
                verdictItem->setForeground(color);
            m_gates->setItem(row, 1, verdictItem);
            auto *why = plainItem(orUnknown(sentence));
            why->setToolTip(AuditTableModel::tooltipText(sentence));
            m_gates->setItem(row, 2, why);
        }
        m_gates->resizeColumnToContents(0);
        m_gates->resizeColumnToContents(1);
    }
    m_gates->setVisible(hasGates);
    fitRows(m_gates, std::min(m_gates->rowCount(), 8)); // more scroll
    layout->addWidget(m_gates);
    layout->addStretch(1);
    return box;
}

QString AuditEntryDialog::kpiText(const std::string &key, const std::string &variant) const
{
    const int column = variant == "production" ? 0 : variant == "canary" ? 1 : -1;
    if (column < 0)
        return {};
    for (int row = 0; row < m_kpis->rowCount(); ++row) {
        if (m_kpis->verticalHeaderItem(row)->data(Qt::UserRole).toString() == fromStd(key))
            return m_kpis->item(row, column)->text();
    }
    return {};
}

QString AuditEntryDialog::snapshotCaption() const
{
    return m_snapshotCaption->text();
}

} // namespace canary
