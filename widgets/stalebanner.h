#pragma once

#include <QWidget>

#include <chrono>

class QLabel;

namespace canary {

// A warning bar above the charts that says plainly when the data stopped being fresh and why.
// Hidden while the data is live.
class StaleBanner final : public QWidget
{
    Q_OBJECT

public:
    enum class Level { Hidden, Stale, Lost };

    explicit StaleBanner(QWidget *parent = nullptr);

    // A negative age means there was no good update yet. `reason` is shown as plain text on one
    // line of its own words (newlines folded), wrapped to the banner's width; only a reason
    // longer than kMaxReasonLength is cut, and the whole of it is then the banner's tooltip.
    // `chartsGap` false when only the rollout is stale: the charts then go on, and the banner
    // must not claim a gap.
    void showStale(std::chrono::milliseconds ageOfLastGoodUpdate, int missedPolls,
                   const QString &reason, bool chartsGap = true);
    void showLost(std::chrono::milliseconds ageOfLastGoodUpdate, const QString &reason);
    void clear();

    Level level() const { return m_level; }
    QString text() const;

    // "12 s", "1 min 5 s", "2 h 3 min", "1 d 4 h".
    static QString formatAge(std::chrono::milliseconds age);

    static constexpr qsizetype kMaxReasonLength = 600;

protected:
    void changeEvent(QEvent *event) override;

private:
    void applyLevel(Level level);
    void restyle();
    static QString oneLine(const QString &reason);
    void setReasonToolTip(const QString &reason);

    QLabel *m_icon = nullptr;
    QLabel *m_label = nullptr;
    Level m_level = Level::Hidden;
    bool m_restyling = false;
};

} // namespace canary
