#ifndef FREIGHTLINER_BUILD_INFO_H
#define FREIGHTLINER_BUILD_INFO_H

// Facts about this build for `freightliner --version`: `make build` writes them into
// build_info.generated.h (not in git) before it compiles; a plain `swift build` has none. They
// are macros handed in from outside the Swift sources, so they live in a C shim like the others.
#if __has_include("build_info.generated.h")
#include "build_info.generated.h"
#endif

#ifndef FREIGHTLINER_COMMIT
#define FREIGHTLINER_COMMIT "unknown"
#endif
#ifndef FREIGHTLINER_BUILD_DATE
#define FREIGHTLINER_BUILD_DATE "unknown"
#endif

static inline const char *freightliner_build_commit(void) { return FREIGHTLINER_COMMIT; }
static inline const char *freightliner_build_date(void) { return FREIGHTLINER_BUILD_DATE; }

#endif
