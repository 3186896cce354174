// zlib, for the browser tests' PNG decoder (inflate). Debian: zlib1g-dev.
#include <zlib.h>
