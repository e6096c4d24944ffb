#pragma once

#include <QWidget>

class QLabel;
class QToolButton;

namespace canary {

// A non-modal message strip: the outcome of the last action, in words, until dismissed or
// replaced. Successes fade on their own; failures stay until the operator closes them.
class MessageBar final : public QWidget
{
    Q_OBJECT

public:
    enum class Level { Info, Success, Warning, Error };
    static constexpr int kSuccessTimeoutMs = 8000;

    explicit MessageBar(QWidget *parent = nullptr);

    void showMessage(Level level, const QString &text);
    void clear();

    Level level() const { return m_level; }
    QString text() const;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QColor accent() const;

    QLabel *m_label = nullptr;
    QToolButton *m_close = nullptr;
    Level m_level = Level::Info;
    int m_generation = 0; // a newer message cancels the older one's timeout
};

} // namespace canary
