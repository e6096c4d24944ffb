#pragma once

#include <QObject>
#include <QPointer>

#include <deque>
#include <functional>

namespace canary::testing {

// How a fake backend hands an answer back: never inside the call that asked for it, always as a
// queued invocation on the caller's context, so the code under test meets the same re-entrancy
// as with a real backend. A test lets the answers through with QCoreApplication::processEvents()
// or a QTRY_* macro; no ManualScheduler is involved. An answer whose context is destroyed before
// it runs is dropped, as the ControlPlane and MetricsSource interfaces promise.
//
// While held (hold(true)), answers wait here in the order they were made until the test lets
// them go with releaseNext() or releaseAll(); a released answer still runs on the next turn of
// the event loop. Turning holding off does not release what is already held.
class AnswerQueue final
{
public:
    void hold(bool on) { m_holding = on; }
    bool holding() const { return m_holding; }

    // Runs `answer` on the thread of `context` on the next event-loop turn, or holds it.
    // A null context drops the answer (there is nobody to answer).
    void deliver(QObject *context, std::function<void()> answer);

    int pendingCount() const { return int(m_held.size()); }
    // Lets the oldest held answer go; false when none is held. An answer whose context has died
    // meanwhile is dropped and still counts as released.
    bool releaseNext();
    // Lets every held answer go, oldest first; returns how many were held.
    int releaseAll();
    // Forgets every held answer without running it (a backend that never answers).
    void dropAll() { m_held.clear(); }

private:
    static void post(QObject *context, std::function<void()> answer);

    struct Held
    {
        QPointer<QObject> context;
        std::function<void()> answer;
    };

    bool m_holding = false;
    std::deque<Held> m_held;
};

} // namespace canary::testing
