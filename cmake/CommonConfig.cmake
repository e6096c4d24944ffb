# One INTERFACE target carries the warning and strictness settings; every project target links it.
add_library(canary_common INTERFACE)
target_compile_features(canary_common INTERFACE cxx_std_20)
target_compile_options(canary_common INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
    $<$<BOOL:${CANARY_WERROR}>:-Werror>)
target_compile_definitions(canary_common INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_CONTEXTLESS_CONNECT
    QT_NO_KEYWORDS
    $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS QT_FORCE_ASSERTS>)

# The project's own version, for --version and the About dialog.
set(CANARY_VERSION "${PROJECT_VERSION}")
