#include "messagebar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QTimer>
#include <QToolButton>

namespace canary {

MessageBar::MessageBar(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("messageBar"));
    m_label = new QLabel(this);
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_close = new QToolButton(this);
    m_close->setText(QStringLiteral("✕"));
    m_close->setAutoRaise(true);
    m_close->setToolTip(tr("Dismiss"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(14, 6, 6, 6);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_close, 0, Qt::AlignTop);
    connect(m_close, &QToolButton::clicked, this, qOverload<>(&MessageBar::clear));
    setVisible(false);
}

void MessageBar::showMessage(Level level, const QString &text)
{
    showMessage(level, text, QString());
}

void MessageBar::showMessage(Level level, const QString &text, const QString &key)
{
    m_level = level;
    m_key = key;
    m_label->setText(text);
    ++m_generation;
    setVisible(true);
    update();
    if (level == Level::Success || level == Level::Info) {
        QTimer::singleShot(kSuccessTimeoutMs, this, [this, generation = m_generation] {
            if (generation == m_generation)
                clear();
        });
    }
}

void MessageBar::clear()
{
    ++m_generation;
    m_key.clear();
    m_label->clear();
    setVisible(false);
}

void MessageBar::clear(const QString &key)
{
    if (!key.isEmpty() && key == m_key)
        clear();
}

QString MessageBar::text() const
{
    return m_label->text();
}

QColor MessageBar::accent() const
{
    switch (m_level) {
    case Level::Success:
        return QColor(0x2e, 0xa0, 0x43);
    case Level::Warning:
        return QColor(0xe0, 0xa0, 0x00);
    case Level::Error:
        return QColor(0xd6, 0x27, 0x28);
    case Level::Info:
        break;
    }
    return palette().color(QPalette::Highlight);
}

void MessageBar::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QColor edge = accent();
    QColor fill = edge;
    fill.setAlphaF(0.14f);
    const QRectF box = QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5);
    painter.setPen(QPen(edge, 1));
    painter.setBrush(fill);
    painter.drawRoundedRect(box, 5, 5);
    painter.setPen(Qt::NoPen);
    painter.setBrush(edge);
    painter.drawRoundedRect(QRectF(box.left(), box.top(), 5, box.height()), 2.5, 2.5);
}

} // namespace canary
