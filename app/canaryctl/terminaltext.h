#pragma once

#include <string>
#include <string_view>

namespace canary::ctl {

// Backend text (model names, versions, problem details, metric labels) made safe to print on a
// terminal: a backend must not be able to move the cursor, clear the screen, retitle the window
// or reorder what the operator reads. Valid UTF-8 passes unchanged, except:
//   C0 controls (line breaks and tabs included) and DEL  -> \xNN    (ESC becomes \x1b)
//   C1 controls U+0080..U+009F                           -> \u0080 .. \u009f
//   bidirectional controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069)
//                                                        -> \u202e etc.
//   bytes that are not valid UTF-8                       -> \xNN, one per byte
// Every path in canaryctl that prints backend text goes through this, except --json output
// (valid JSON holds control characters only escaped; see Commands::printRawJson).
std::string terminalSafe(std::string_view text);

// True when terminalSafe() would leave `text` unchanged.
bool isTerminalSafe(std::string_view text);
// The same for a JSON document, whose whitespace may include tabs and line breaks.
bool isTerminalSafeJson(std::string_view json);

} // namespace canary::ctl
