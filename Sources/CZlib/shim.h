// zlib (zlib1g-dev): raw deflate for the members of NumPy's .npz archives, and CRC-32.
#include <zlib.h>
