#include "variantheader.h"

#include "chartpalette.h"

#include <QGridLayout>
#include <QLabel>
#include <QPaintEvent>
#include <QPainter>

#include <cmath>

namespace canary {

namespace {

class AccentFrame final : public QWidget
{
public:
    AccentFrame(QColor accent, QWidget *parent)
        : QWidget(parent)
        , m_accent(std::move(accent))
    {}

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter painter(this);
        painter.setRenderHint(QPainter::Antialiasing);
        const QRectF box = QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5);
        painter.setPen(QPen(palette().color(QPalette::Mid), 1));
        painter.setBrush(palette().color(QPalette::Base));
        painter.drawRoundedRect(box, 6, 6);
        painter.setPen(Qt::NoPen);
        painter.setBrush(m_accent);
        painter.drawRoundedRect(QRectF(box.left(), box.top(), 6, box.height()), 3, 3);
    }

private:
    QColor m_accent;
};

} // namespace

VariantHeader::VariantHeader(VariantRole role, QWidget *parent)
    : QWidget(parent)
    , m_role(role)
{
    setObjectName(role == VariantRole::Production ? QStringLiteral("productionHeader")
                                                  : QStringLiteral("canaryHeader"));
    auto *frame = new AccentFrame(roleColor(role, palette()), this);

    m_mark = new QLabel(QStringLiteral("●"), frame);
    m_mark->setObjectName(QStringLiteral("healthMark"));
    QFont markFont = m_mark->font();
    markFont.setPointSizeF(markFont.pointSizeF() * 1.3);
    m_mark->setFont(markFont);

    m_title = new QLabel(role == VariantRole::Production ? tr("PRODUCTION") : tr("CANARY"), frame);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setLetterSpacing(QFont::PercentageSpacing, 108);
    m_title->setFont(titleFont);
    QPalette titlePalette = m_title->palette();
    titlePalette.setColor(QPalette::WindowText, roleColor(role, palette()));
    m_title->setPalette(titlePalette);

    m_model = new QLabel(frame);
    m_model->setObjectName(QStringLiteral("model"));
    m_model->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_weight = new QLabel(frame);
    m_weight->setObjectName(QStringLiteral("weight"));
    QFont weightFont = m_weight->font();
    weightFont.setPointSizeF(weightFont.pointSizeF() * 1.8);
    weightFont.setBold(true);
    m_weight->setFont(weightFont);
    m_weight->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_weight->setToolTip(tr("Share of live traffic, as confirmed by the backend"));

    m_rate = new QLabel(frame);
    m_rate->setObjectName(QStringLiteral("rate"));
    m_rate->setForegroundRole(QPalette::PlaceholderText);

    auto *grid = new QGridLayout(frame);
    grid->setContentsMargins(16, 8, 12, 8);
    grid->setHorizontalSpacing(8);
    grid->setVerticalSpacing(2);
    grid->addWidget(m_mark, 0, 0);
    grid->addWidget(m_title, 0, 1);
    grid->addWidget(m_weight, 0, 2, 3, 1);
    grid->addWidget(m_model, 1, 1);
    grid->addWidget(m_rate, 2, 1);
    grid->setColumnStretch(1, 1);

    auto *outer = new QGridLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(frame, 0, 0);

    clear();
}

void VariantHeader::clear()
{
    m_model->setText(QStringLiteral("—"));
    m_weight->setText(QStringLiteral("—"));
    setLiveNumbers(std::nan(""), std::nan(""), false);
}

void VariantHeader::setVariant(const std::optional<VariantInfo> &variant, RolloutPhase phase)
{
    if (!variant) {
        m_model->setText(m_role == VariantRole::Canary
                             ? (phase == RolloutPhase::Promoted ? tr("promoted — slot empty")
                                                                : tr("no canary staged"))
                             : tr("—"));
        m_weight->setText(m_role == VariantRole::Canary ? QStringLiteral("0 %")
                                                        : QStringLiteral("—"));
        return;
    }
    QString model = QStringLiteral("%1  %2").arg(QString::fromStdString(variant->model),
                                                 QString::fromStdString(variant->version));
    if (m_role == VariantRole::Canary && phase == RolloutPhase::RolledBack)
        model += tr("  (rolled back)");
    m_model->setText(model);
    m_weight->setText(
        QStringLiteral("%1 %").arg(QString::fromStdString(variant->weight.toString())));
}

void VariantHeader::setLiveNumbers(double requestsPerSecond, double errorRatio, bool live)
{
    QString rate =
        std::isfinite(requestsPerSecond)
            ? tr("%1 req/s").arg(requestsPerSecond, 0, 'f', requestsPerSecond < 10 ? 1 : 0)
            : tr("— req/s");
    rate += QStringLiteral("  ·  ");
    rate += std::isfinite(errorRatio) ? tr("%1 % errors").arg(errorRatio * 100.0, 0, 'f', 2)
                                      : tr("— % errors");
    if (!live)
        rate += tr("  (not live)");
    m_rate->setText(rate);
    m_health = assess(errorRatio, live);
    updateHealthMark();
}

VariantHeader::Health VariantHeader::assess(double errorRatio, bool live)
{
    if (!live || !std::isfinite(errorRatio))
        return Health::Unknown;
    if (errorRatio >= kBadErrorRatio)
        return Health::Bad;
    if (errorRatio >= kWarnErrorRatio)
        return Health::Warning;
    return Health::Good;
}

QColor VariantHeader::roleColor(VariantRole role, const QPalette &palette)
{
    // The same colours as the charts, so a card and its column read as one.
    return ChartPalette::fromPalette(palette).variant(role);
}

QColor VariantHeader::healthColor(Health health)
{
    switch (health) {
    case Health::Good:
        return QColor(0x2e, 0xa0, 0x43);
    case Health::Warning:
        return QColor(0xe0, 0xa0, 0x00);
    case Health::Bad:
        return QColor(0xd6, 0x27, 0x28);
    case Health::Unknown:
        break;
    }
    return QColor(0x8c, 0x8c, 0x8c);
}

QString VariantHeader::healthText(Health health)
{
    switch (health) {
    case Health::Good:
        return tr("Healthy: error rate below %1 %").arg(kWarnErrorRatio * 100.0);
    case Health::Warning:
        return tr("Watch: error rate at or above %1 %").arg(kWarnErrorRatio * 100.0);
    case Health::Bad:
        return tr("Failing: error rate at or above %1 %").arg(kBadErrorRatio * 100.0);
    case Health::Unknown:
        break;
    }
    return tr("Unknown: no live numbers");
}

QString VariantHeader::modelText() const
{
    return m_model->text();
}

QString VariantHeader::weightText() const
{
    return m_weight->text();
}

QString VariantHeader::rateText() const
{
    return m_rate->text();
}

void VariantHeader::updateHealthMark()
{
    QPalette p = m_mark->palette();
    p.setColor(QPalette::WindowText, healthColor(m_health));
    m_mark->setPalette(p);
    m_mark->setToolTip(healthText(m_health));
}

} // namespace canary
