#pragma once

#include <QObject>

#include <functional>
#include <initializer_list>
#include <vector>

class QSocketNotifier;

namespace canary {

// Turns POSIX signals into a call on the event loop. The handler only writes the signal number to
// a pipe, all a signal handler may safely do; the loop reads it and runs `onSignal` once. The
// signals' default actions are back by then, so a second signal ends the process at once. One
// watcher at a time per process (the handler's pipe is shared).
class SignalWatcher final : public QObject
{
public:
    SignalWatcher(std::initializer_list<int> signals, std::function<void(int)> onSignal,
                  QObject *parent = nullptr);
    ~SignalWatcher() override;

    bool watching() const { return m_notifier != nullptr; } // false: the pipe could not be made

private:
    static void handle(int number);
    void restoreDefaults() const;
    void onReadable();

    std::vector<int> m_signals;
    QSocketNotifier *m_notifier = nullptr;
    std::function<void(int)> m_onSignal;
};

} // namespace canary
