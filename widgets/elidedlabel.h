#pragma once

#include <QLabel>

namespace canary {

// A one-line label that gives up width to its neighbours: when its text does not fit, the middle
// is replaced by "…" (put the whole text in the tooltip). text() is always the whole text.
// (A plain QLabel insists on its text's width, and a long URL in the status bar pushed the
// connection's state and age out of the window.)
class ElidedLabel final : public QLabel
{
    Q_OBJECT

public:
    explicit ElidedLabel(QWidget *parent = nullptr);

    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
};

} // namespace canary
