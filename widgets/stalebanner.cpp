#include "stalebanner.h"

#include "chartpalette.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>

namespace canary {

namespace {

constexpr qsizetype kMaxToolTipLength = 8000;

} // namespace

StaleBanner::StaleBanner(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("staleBanner"));
    setAutoFillBackground(true);
    // Minimum, not Fixed: a reason that wraps to more lines makes the banner taller.
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Minimum);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->setSpacing(8);
    m_icon = new QLabel(this);
    m_label = new QLabel(this);
    m_label->setObjectName(QStringLiteral("staleBannerText"));
    m_label->setTextFormat(Qt::PlainText);
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont font = m_label->font();
    font.setBold(true);
    m_label->setFont(font);
    layout->addWidget(m_icon);
    layout->addWidget(m_label, 1);

    setAccessibleName(QStringLiteral("Data freshness warning"));
    setVisible(false);
}

QString StaleBanner::formatAge(std::chrono::milliseconds age)
{
    using namespace std::chrono;
    const auto total = duration_cast<seconds>(std::max(age, milliseconds(0))).count();
    const auto days = total / 86400;
    const auto hours = (total % 86400) / 3600;
    const auto minutes = (total % 3600) / 60;
    const auto secs = total % 60;
    const auto pair = [](long long big, const char *bigUnit, long long small,
                         const char *smallUnit) {
        QString text = QString::number(big) + QLatin1Char(' ') + QString::fromLatin1(bigUnit);
        if (small > 0) {
            text += QLatin1Char(' ') + QString::number(small) + QLatin1Char(' ') +
                    QString::fromLatin1(smallUnit);
        }
        return text;
    };
    if (days > 0) {
        return pair(days, "d", hours, "h");
    }
    if (hours > 0) {
        return pair(hours, "h", minutes, "min");
    }
    if (minutes > 0) {
        return pair(minutes, "min", secs, "s");
    }
    return QString::number(secs) + QStringLiteral(" s");
}

QString StaleBanner::oneLine(const QString &reason)
{
    QString line = reason.simplified();
    if (line.size() > kMaxReasonLength) {
        // Cut at a word where there is one near the limit, so no word is left half.
        qsizetype cut = line.lastIndexOf(QLatin1Char(' '), kMaxReasonLength - 1);
        if (cut < kMaxReasonLength * 3 / 4) {
            cut = kMaxReasonLength - 1;
        }
        line = line.left(cut) + QChar(0x2026);
    }
    return line;
}

void StaleBanner::setReasonToolTip(const QString &reason)
{
    // Rich text so a long reason wraps in the tooltip too; the reason itself is escaped.
    const QString whole = reason.simplified().left(kMaxToolTipLength);
    setToolTip(whole.isEmpty()
                   ? QString()
                   : QStringLiteral("<p>") + whole.toHtmlEscaped() + QStringLiteral("</p>"));
}

void StaleBanner::showStale(std::chrono::milliseconds ageOfLastGoodUpdate, int missedPolls,
                            const QString &reason, bool chartsGap)
{
    missedPolls = std::max(missedPolls, 1);
    QString text = ageOfLastGoodUpdate.count() < 0
                       ? QStringLiteral("No data yet")
                       : QStringLiteral("No fresh data for ") + formatAge(ageOfLastGoodUpdate);
    text += missedPolls == 1 ? QStringLiteral(" (1 poll missed)")
                             : QStringLiteral(" (%1 polls missed)").arg(missedPolls);
    const QString why = oneLine(reason);
    if (!why.isEmpty()) {
        text += QStringLiteral(": ") + why;
    }
    if (chartsGap)
        text += QStringLiteral(" \u2014 charts show a gap");
    m_label->setText(text);
    setReasonToolTip(reason);
    applyLevel(Level::Stale);
}

void StaleBanner::showLost(std::chrono::milliseconds ageOfLastGoodUpdate, const QString &reason)
{
    QString text = ageOfLastGoodUpdate.count() < 0
                       ? QStringLiteral("Connection lost \u2014 no update received yet.")
                       : QStringLiteral("Connection lost \u2014 last update %1 ago.")
                             .arg(formatAge(ageOfLastGoodUpdate));
    text += QStringLiteral(" Reconnecting\u2026");
    const QString why = oneLine(reason);
    if (!why.isEmpty()) {
        text += QStringLiteral(" (") + why + QLatin1Char(')');
    }
    m_label->setText(text);
    setReasonToolTip(reason);
    applyLevel(Level::Lost);
}

void StaleBanner::clear()
{
    m_label->clear();
    setToolTip(QString());
    applyLevel(Level::Hidden);
}

QString StaleBanner::text() const
{
    return m_label->text();
}

void StaleBanner::applyLevel(Level level)
{
    m_level = level;
    restyle();
    setVisible(level != Level::Hidden);
}

void StaleBanner::restyle()
{
    if (m_level == Level::Hidden) {
        return;
    }
    // Orange for stale, vermillion for lost: both from the colour-blind-safe set, with text
    // chosen for contrast, so the bar reads the same in light and dark themes.
    const bool lost = m_level == Level::Lost;
    const QColor background = QColor::fromRgb(lost ? okabeIto::kVermillion : okabeIto::kOrange);
    const QColor foreground = lost ? QColor(Qt::white) : QColor(Qt::black);
    QPalette p = palette();
    p.setColor(QPalette::Window, background);
    p.setColor(QPalette::WindowText, foreground);
    m_restyling = true;
    setPalette(p);
    m_restyling = false;
    const int size = m_label->fontMetrics().height();
    m_icon->setPixmap(
        style()
            ->standardIcon(lost ? QStyle::SP_MessageBoxCritical : QStyle::SP_MessageBoxWarning)
            .pixmap(size, size));
}

void StaleBanner::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::StyleChange && !m_restyling) {
        restyle();
    }
}

} // namespace canary
