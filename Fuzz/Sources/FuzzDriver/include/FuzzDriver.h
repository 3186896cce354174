#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry point for programs that have their own `main`. SwiftPM names an executable's entry point
/// `<Target>_main` and points `main` at it, so each fuzz target calls this from there.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
