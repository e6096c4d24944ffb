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
    QFont bold = m_overall->font();
    bold.setBold(true);
    m_overall->setFont(bold);
    m_caption = new QLabel(this);
    m_caption->setObjectName(QStringLiteral("analysisCaption"));
    m_caption->setForegroundRole(QPalette::PlaceholderText);

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
    m_view->setWordWrap(true);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->setVisible(false);
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    QHeaderView *header = m_view->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    // The sentence takes what is left and wraps; its full text is the row's tooltip too.
    header->setSectionResizeMode(GateTableModel::Sentence, QHeaderView::Stretch);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_overall);
    layout->addWidget(m_caption);
    layout->addWidget(m_view, 1);
    showNoJudge(noPlanText());
}

QString AnalysisPanel::noPlanText()
{
    return tr("No plan running: start one to judge the canary.");
}

void AnalysisPanel::setJudgement(const analysis::Judgement &judgement, const QString &caption)
{
    m_model->setJudgement(judgement);
    const QString sentence = QString::fromStdString(judgement.sentence);
    m_overall->setText(GateTableModel::verdictText(judgement.overall) +
                       (sentence.isEmpty() ? QString() : QStringLiteral(": ") + sentence));
    QPalette p = palette();
    p.setColor(QPalette::WindowText, GateTableModel::verdictColor(judgement.overall));
    m_overall->setPalette(p);
    m_caption->setText(caption);
    m_caption->setVisible(!caption.isEmpty());
}

void AnalysisPanel::showNoJudge(const QString &why)
{
    m_model->setJudgement({});
    m_overall->setText(why);
    m_overall->setPalette(palette());
    m_caption->clear();
    m_caption->setVisible(false);
}

QString AnalysisPanel::overallText() const
{
    return m_overall->text();
}

QString AnalysisPanel::captionText() const
{
    return m_caption->text();
}

} // namespace canary
