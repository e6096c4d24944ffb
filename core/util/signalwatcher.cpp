#include "util/signalwatcher.h"

#include <QSocketNotifier>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <csignal>

namespace canary {

namespace {
std::array<int, 2> s_pipe = {-1, -1};
} // namespace

SignalWatcher::SignalWatcher(std::initializer_list<int> signals, std::function<void(int)> onSignal,
                             QObject *parent)
    : QObject(parent)
    , m_signals(signals)
    , m_onSignal(std::move(onSignal))
{
    if (::pipe2(s_pipe.data(), O_CLOEXEC | O_NONBLOCK) != 0)
        return; // without the pipe a signal ends the process the default way
    m_notifier = new QSocketNotifier(s_pipe[0], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &SignalWatcher::onReadable);
    struct sigaction action = {};
    action.sa_handler = &SignalWatcher::handle;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (const int number : m_signals)
        ::sigaction(number, &action, nullptr);
}

SignalWatcher::~SignalWatcher()
{
    restoreDefaults();
    for (int &fd : s_pipe) {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
}

void SignalWatcher::handle(int number)
{
    const auto byte = static_cast<unsigned char>(number);
    [[maybe_unused]] const ssize_t written = ::write(s_pipe[1], &byte, 1);
}

void SignalWatcher::restoreDefaults() const
{
    for (const int number : m_signals)
        std::signal(number, SIG_DFL);
}

void SignalWatcher::onReadable()
{
    unsigned char byte = 0;
    if (::read(s_pipe[0], &byte, 1) != 1)
        return;
    restoreDefaults();
    m_notifier->setEnabled(false);
    m_onSignal(byte);
}

} // namespace canary
