#pragma once

#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <vector>

// The real haproxy (/usr/sbin/haproxy, installer/deps-debian.sh) in the foreground for a test, in
// front of a production and a canary server: one `roundrobin` backend "models" with servers
// "prod" and "can", an HTTP frontend on a free 127.0.0.1 port, and an admin-level runtime socket
// in a temporary directory. Killed when destroyed, and when the test process dies.
class HaproxyProcess final
{
public:
    static constexpr const char *kBinary = "/usr/sbin/haproxy";

    // More backends with the same two servers, under another balance algorithm.
    struct Backend
    {
        QString name;    // e.g. "models_static"
        QString balance; // e.g. "static-rr"
    };

    // What haproxy.cfg holds beyond the frontend, "models" and the admin socket.
    struct Config
    {
        int productionWeight = 256; // HAProxy's weights run from 0 to 256
        int canaryWeight = 0;
        std::vector<Backend> moreBackends;
        bool operatorSocket = false; // a second unix socket, at level operator: operatorSocket()
        bool adminTcpSocket = false; // an admin socket on a free 127.0.0.1 port: adminTcpPort()
    };

    HaproxyProcess() = default;
    ~HaproxyProcess();
    HaproxyProcess(const HaproxyProcess &) = delete;
    HaproxyProcess &operator=(const HaproxyProcess &) = delete;

    // Starts haproxy in front of the two ports; ready once its runtime socket accepts a
    // connection. False with error() set when it did not come up.
    bool start(quint16 productionPort, quint16 canaryPort, const Config &config);
    bool start(quint16 productionPort, quint16 canaryPort); // with a default Config

    QString adminSocket() const { return m_dir.filePath(QStringLiteral("admin.sock")); }
    QString operatorSocket() const { return m_dir.filePath(QStringLiteral("operator.sock")); }
    quint16 adminTcpPort() const { return m_adminTcpPort; }
    quint16 frontendPort() const { return m_frontendPort; }
    // The backend URL for canaryctl and the factory: haproxy+unix://SOCKET?backend=models&...
    QString backendUrl() const;
    QString error() const { return m_error; }

private:
    QString configText(quint16 productionPort, quint16 canaryPort, const Config &config) const;

    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_frontendPort = 0;
    quint16 m_adminTcpPort = 0;
    QString m_error;
};
