#pragma once

#include <QProcess>
#include <QString>
#include <QTemporaryDir>

// The real haproxy (/usr/sbin/haproxy, installer/deps-debian.sh) in the foreground for a test, in
// front of a production and a canary server: one `roundrobin` backend "models" with servers
// "prod" (weight 256) and "can" (weight 0), an HTTP frontend on a free 127.0.0.1 port, and an
// admin-level runtime socket in a temporary directory. Killed when destroyed, and when the test
// process dies.
class HaproxyProcess final
{
public:
    static constexpr const char *kBinary = "/usr/sbin/haproxy";

    HaproxyProcess() = default;
    ~HaproxyProcess();
    HaproxyProcess(const HaproxyProcess &) = delete;
    HaproxyProcess &operator=(const HaproxyProcess &) = delete;

    // Starts haproxy in front of the two ports; ready once its runtime socket accepts a
    // connection. False with error() set when it did not come up.
    bool start(quint16 productionPort, quint16 canaryPort);

    QString adminSocket() const { return m_dir.filePath(QStringLiteral("admin.sock")); }
    quint16 frontendPort() const { return m_frontendPort; }
    // The backend URL for canaryctl and the factory: haproxy+unix://SOCKET?backend=models&...
    QString backendUrl() const;
    QString error() const { return m_error; }

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_frontendPort = 0;
    QString m_error;
};
