// libFuzzer's entry for programs that keep their own main (declared only: it exists in a
// binary linked with -sanitize=fuzzer, and is called only in such a build).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
