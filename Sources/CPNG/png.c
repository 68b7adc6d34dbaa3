#include "ppl_png.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned char *data;
    size_t size, capacity;
} buffer;

static void append(png_structp png, png_bytep bytes, png_size_t n) {
    buffer *b = png_get_io_ptr(png);
    if (b->size + n > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->size + n) capacity *= 2;
        unsigned char *grown = realloc(b->data, capacity);
        if (!grown) png_error(png, "out of memory");
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->size, bytes, n);
    b->size += n;
}

static void flush(png_structp png) { (void)png; }

int ppl_png_encode_gray(const unsigned char *pixels, int width, int height, unsigned char **out, size_t *size) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (!png) return 1;
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return 1;
    }
    // Reached again by longjmp from libpng's errors: the buffer lives in memory, not in
    // registers the jump would restore.
    buffer *volatile b = calloc(1, sizeof(buffer));
    if (!b || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        if (b) free(b->data);
        free(b);
        return 1;
    }
    png_set_write_fn(png, b, append, flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * (size_t)width));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out = b->data;
    *size = b->size;
    free(b);
    return 0;
}
