#pragma once

#include <QApplication>
#include <QTimer>

#include <functional>

// Waits for the next modal dialog of type T and hands it to `answer` (which clicks something), so a
// GUI test can go through a confirmation that exec() would otherwise block on.
template<typename T> class ModalAnswer final
{
public:
    explicit ModalAnswer(std::function<void(T *)> answer)
        : m_answer(std::move(answer))
    {
        m_timer.setInterval(20);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] {
            if (auto *dialog = qobject_cast<T *>(QApplication::activeModalWidget())) {
                m_timer.stop();
                m_seen = true;
                m_answer(dialog);
            }
        });
        m_timer.start();
    }
    bool seen() const { return m_seen; }

private:
    std::function<void(T *)> m_answer;
    QTimer m_timer;
    bool m_seen = false;
};
