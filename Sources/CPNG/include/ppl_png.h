// PNG encoding with libpng (libpng-dev), for ppl's image grids.
#include <stddef.h>

/// Encodes an 8-bit grayscale image of `width` x `height` pixels (rows top to bottom,
/// `width` bytes each) as a PNG file's bytes, in a buffer allocated with malloc: *out and
/// *size are set and 0 returned; on failure (libpng's error, or memory) 1, nothing allocated.
int ppl_png_encode_gray(const unsigned char *pixels, int width, int height, unsigned char **out, size_t *size);
