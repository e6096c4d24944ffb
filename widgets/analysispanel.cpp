#include "analysispanel.h"

#include "gatetablemodel.h"

#include <QHeaderView>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace canary {

AnalysisPanel::AnalysisPanel(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("analysisPanel"));
    m_overall = new QLabel(this);
    m_overall->setObjectName(QStringLiteral("overallVerdict"));
    m_overall->setWordWrap(true);
    m_overall->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_overall->setTextFormat(Qt::RichText);

    m_model = new GateTableModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(GateTableModel::kSortRole);
    m_proxy->setDynamicSortFilter(true); // live rows stay in the chosen order
    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("gateTable"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(GateTableModel::VerdictColumn, Qt::DescendingOrder); // worst first
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    // One line a row, so every gate is in view; the sentence takes what is left, and is whole in
    // the row's tooltip and under the table for the selected gate.
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideRight);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->setVisible(false);
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    QHeaderView *header = m_view->horizontalHeader();
    // Room for the default plan's four gates without scrolling.
    m_view->setMinimumHeight(header->sizeHint().height() +
                             4 * m_view->verticalHeader()->defaultSectionSize() + 4);
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(GateTableModel::Sentence, QHeaderView::Stretch);
    // The figures fit; the sentence gets what is left, elided, rather than a scroll bar that
    // would take a row's height from a dock that has little.
    header->setMinimumSectionSize(24);
    m_view->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_detail = new QLabel(this);
    m_detail->setObjectName(QStringLiteral("gateDetail"));
    m_detail->setWordWrap(true);
    m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &AnalysisPanel::updateDetail);
    connect(m_proxy, &QAbstractItemModel::dataChanged, this, &AnalysisPanel::updateDetail);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &AnalysisPanel::updateDetail);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_overall);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_detail);
    showNoJudge(noPlanText());
}

void AnalysisPanel::updateDetail()
{
    const QModelIndex current = m_view->currentIndex();
    const QString sentence =
        current.isValid()
            ? m_proxy->index(current.row(), GateTableModel::Sentence).data().toString()
            : QString();
    m_detail->setText(sentence);
    m_detail->setVisible(!sentence.isEmpty());
}

QString AnalysisPanel::detailText() const
{
    return m_detail->text();
}

QString AnalysisPanel::noPlanText()
{
    return tr("No plan running: start one to judge the canary.");
}

void AnalysisPanel::setJudgement(const analysis::Judgement &judgement, const QString &caption)
{
    m_model->setJudgement(judgement);
    const QString sentence = QString::fromStdString(judgement.sentence);
    m_overallText = GateTableModel::verdictText(judgement.overall) +
                    (sentence.isEmpty() ? QString() : QStringLiteral(": ") + sentence);
    m_captionText = caption;
    showOverall(GateTableModel::verdictColor(judgement.overall));
}

void AnalysisPanel::showNoJudge(const QString &why)
{
    m_model->setJudgement({});
    m_overallText = why;
    m_captionText.clear();
    showOverall(palette().color(QPalette::WindowText));
}

void AnalysisPanel::showOverall(const QColor &accent)
{
    // The caption runs on after the verdict, in the same paragraph: the dock has little height.
    QString html = QStringLiteral("<b style=\"color:%1\">%2</b>")
                       .arg(accent.name(), m_overallText.toHtmlEscaped());
    if (!m_captionText.isEmpty())
        html += QStringLiteral(" <span style=\"color:%1\">— %2</span>")
                    .arg(palette().color(QPalette::PlaceholderText).name(),
                         m_captionText.toHtmlEscaped());
    m_overall->setText(html);
}

QString AnalysisPanel::overallText() const
{
    return m_overallText;
}

QString AnalysisPanel::captionText() const
{
    return m_captionText;
}
} // namespace canary
