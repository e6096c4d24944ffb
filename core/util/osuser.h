#pragma once

#include <string>

namespace canary {

// The account the console or canaryctl runs as, for the audit trail's "actor" and a report's
// "exported by": $USER, else $LOGNAME, else the password database's name for the process' uid
// (a service or a test runner may set neither). Empty only when all three are unknown.
std::string osUserName();

} // namespace canary
