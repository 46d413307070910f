// The target's only code is inline in include/build_info.h; SwiftPM needs one source file.
#include "build_info.h"
