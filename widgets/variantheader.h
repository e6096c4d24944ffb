#pragma once

#include "domain/rolloutstate.h"

#include <QColor>
#include <QWidget>

#include <optional>

class QLabel;
class QPalette;

namespace canary {

// A compact card for one traffic slot: role, model and version, confirmed weight, live request
// rate and a health mark, so the two variants read side by side at a glance.
class VariantHeader final : public QWidget
{
    Q_OBJECT

public:
    enum class Health { Unknown, Good, Warning, Bad };
    // Error ratios (0..1) at which the mark turns amber and red.
    static constexpr double kWarnErrorRatio = 0.01;
    static constexpr double kBadErrorRatio = 0.05;

    explicit VariantHeader(VariantRole role, QWidget *parent = nullptr);

    VariantRole role() const { return m_role; }
    Health health() const { return m_health; }

    // nullopt: the slot is empty (no canary staged, or it was promoted).
    void setVariant(const std::optional<VariantInfo> &variant, RolloutPhase phase);
    // Nothing known: not connected, or no answer yet.
    void clear();
    // NaN for unknown values. `live` is false while the link to the backend is stale or lost.
    void setLiveNumbers(double requestsPerSecond, double errorRatio, bool live);

    static Health assess(double errorRatio, bool live);
    static QColor roleColor(VariantRole role, const QPalette &palette);
    static QColor healthColor(Health health);
    static QString healthText(Health health);

    QString modelText() const;
    QString weightText() const;
    QString rateText() const;

private:
    void updateHealthMark();

    VariantRole m_role;
    Health m_health = Health::Unknown;
    QLabel *m_mark = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_model = nullptr;
    QLabel *m_weight = nullptr;
    QLabel *m_rate = nullptr;
};

} // namespace canary
