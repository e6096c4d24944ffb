#include "tokenfile.h"

#include <QFile>

namespace canary {

std::optional<QString> readTokenFile(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error =
                QStringLiteral("cannot read the token file %1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    const QString token = QString::fromUtf8(file.readLine(4096)).trimmed();
    if (token.isEmpty()) {
        if (error)
            *error = QStringLiteral("the token file %1 is empty").arg(path);
        return std::nullopt;
    }
    return token;
}

} // namespace canary
