// Declarations only (see include/CLibFuzzer.h); a C target needs one source file.
#include "CLibFuzzer.h"
