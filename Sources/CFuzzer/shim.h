// libFuzzer's driver, for a program that has its own main (a SwiftPM executable's main is
// its module's): only a build with -sanitize=fuzzer links it (scripts/fuzz).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
