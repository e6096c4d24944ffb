#include "util/osuser.h"

#include <QString>

#include <pwd.h>
#include <unistd.h>

namespace canary {

std::string osUserName()
{
    for (const char *variable : {"USER", "LOGNAME"}) {
        const QString value = qEnvironmentVariable(variable);
        if (!value.isEmpty())
            return value.toStdString();
    }
    if (const passwd *entry = getpwuid(getuid()); entry && entry->pw_name)
        return entry->pw_name;
    return {};
}

} // namespace canary
