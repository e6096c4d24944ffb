#include "answerqueue.h"

#include <QMetaObject>

namespace canary::testing {

void AnswerQueue::deliver(QObject *context, std::function<void()> answer)
{
    if (!context)
        return;
    if (m_holding) {
        m_held.push_back({context, std::move(answer)});
        return;
    }
    post(context, std::move(answer));
}

bool AnswerQueue::releaseNext()
{
    if (m_held.empty())
        return false;
    Held next = std::move(m_held.front());
    m_held.pop_front();
    if (next.context)
        post(next.context, std::move(next.answer));
    return true;
}

int AnswerQueue::releaseAll()
{
    int released = 0;
    while (releaseNext())
        ++released;
    return released;
}

void AnswerQueue::post(QObject *context, std::function<void()> answer)
{
    // Qt drops a queued invocation whose context is destroyed before it runs.
    QMetaObject::invokeMethod(context, std::move(answer), Qt::QueuedConnection);
}

} // namespace canary::testing
