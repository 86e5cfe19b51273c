/*
** test_png_out.c - cmocka tests of io/png_out.c: a PNM in each form libplot
** writes (P6 with few colours -> indexed PNG, P6 with more than 256 colours
** -> RGB PNG, P5 grey, P4 bitmap, header comments) is encoded and decoded
** back with libpng's reader, and every pixel must match (indexes packed to
** 1, 2, 4 and 8 bits, rows that repeat the one above); the same pixels
** give the same bytes; malformed PNMs (bad magic, maxval, truncated raster)
** fail with a message and write nothing.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "io/png_out.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
    unsigned char *b;
    size_t n;
} buf;

/* PNM header plus raster in one malloc'ed buffer (owned by the caller). */
static buf pnm(const char *header, const unsigned char *raster, size_t n)
{
    size_t h = strlen(header);
    buf r = {malloc(h + n), h + n};
    assert_non_null(r.b);
    memcpy(r.b, header, h);
    memcpy(r.b + h, raster, n);
    return r;
}

/* Encode; the PNG bytes (owned by the caller), or b == NULL on failure
** with the error message in msg. */
static buf encode(buf in, char *msg, size_t msgn)
{
    FILE *fp = tmpfile();
    assert_non_null(fp);
    sim_err e = {{0}};
    buf out = {NULL, 0};
    if (png_out_from_pnm(fp, in.b, in.n, "t.png", &e) == 0) {
        long len = ftell(fp);
        assert_true(len > 0);
        out.b = malloc((size_t)len);
        out.n = (size_t)len;
        rewind(fp);
        assert_int_equal(fread(out.b, 1, out.n, fp), out.n);
    } else {
        size_t k = strnlen(e.msg, msgn - 1);
        memcpy(msg, e.msg, k);
        msg[k] = '\0';
        assert_int_equal(ftell(fp), 0);
    }
    fclose(fp);
    return out;
}

/* Decode as RGB and compare with rgb[w*h*3]; returns the PNG colour type. */
static int decode_equals(buf png, unsigned w, unsigned h, const unsigned char *rgb)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_memory(&img, png.b, png.n));
    assert_int_equal(img.width, w);
    assert_int_equal(img.height, h);
    int ctype = png.b[25]; /* IHDR colour type */
    img.format = PNG_FORMAT_RGB;
    unsigned char *px = malloc(PNG_IMAGE_SIZE(img));
    assert_non_null(px);
    assert_true(png_image_finish_read(&img, NULL, px, 0, NULL));
    assert_memory_equal(px, rgb, (size_t)w * h * 3);
    free(px);
    return ctype;
}

static void test_few_colours_indexed(void **state)
{
    (void)state;
    enum { W = 7, H = 5 };
    unsigned char rgb[W * H * 3];
    for (int i = 0; i < W * H; i++) {
        static const unsigned char k[3][3] = {{255, 255, 255}, {0x1f, 0x77, 0xb4}, {0x22, 0x22, 0x22}};
        memcpy(rgb + 3 * i, k[(i * 7 / 3) % 3], 3);
    }
    buf in = pnm("P6\n# CREATOR: test\n7 5\n255\n", rgb, sizeof rgb);
    char msg[256];
    buf out = encode(in, msg, sizeof msg);
    assert_non_null(out.b);
    assert_int_equal(decode_equals(out, W, H, rgb), PNG_COLOR_TYPE_PALETTE);
    buf again = encode(in, msg, sizeof msg);
    assert_int_equal(again.n, out.n);
    assert_memory_equal(again.b, out.b, out.n);
    free(again.b);
    free(out.b);
    free(in.b);
}

static void test_many_colours_rgb(void **state)
{
    (void)state;
    enum { W = 40, H = 20 }; /* 800 distinct colours */
    unsigned char rgb[W * H * 3];
    for (int i = 0; i < W * H; i++) {
        rgb[3 * i] = (unsigned char)i;
        rgb[3 * i + 1] = (unsigned char)(i >> 8);
        rgb[3 * i + 2] = 7;
    }
    buf in = pnm("P6 40 20 255\n", rgb, sizeof rgb);
    char msg[256];
    buf out = encode(in, msg, sizeof msg);
    assert_non_null(out.b);
    assert_int_equal(decode_equals(out, W, H, rgb), PNG_COLOR_TYPE_RGB);
    free(out.b);
    free(in.b);
}

static void test_grey_and_bitmap(void **state)
{
    (void)state;
    unsigned char grey[4 * 3] = {0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 255};
    unsigned char rgb[4 * 3 * 3];
    for (int i = 0; i < 12; i++) memset(rgb + 3 * i, grey[i], 3);
    buf in = pnm("P5\n4 3\n255\n", grey, sizeof grey);
    char msg[256];
    buf out = encode(in, msg, sizeof msg);
    assert_non_null(out.b);
    assert_int_equal(decode_equals(out, 4, 3, rgb), PNG_COLOR_TYPE_GRAY);
    free(out.b);
    free(in.b);
    /* P4, 10 x 2: rows padded to 2 bytes; a set bit is black */
    unsigned char bits[4] = {0xA0, 0x40, 0x01, 0xC0};
    unsigned char want[10 * 2 * 3];
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 10; x++) {
            int black = (bits[y * 2 + x / 8] >> (7 - x % 8)) & 1;
            memset(want + 3 * (y * 10 + x), black ? 0 : 255, 3);
        }
    in = pnm("P4\n10 2\n", bits, sizeof bits);
    out = encode(in, msg, sizeof msg);
    assert_non_null(out.b);
    assert_int_equal(decode_equals(out, 10, 2, want), PNG_COLOR_TYPE_GRAY);
    free(out.b);
    free(in.b);
}

/* The indexes are packed to 1, 2, 4 or 8 bits by the palette's size; widths
** that leave a partial last byte, and rows equal to the one above, decode
** to the same pixels. */
static void test_packed_depths(void **state)
{
    (void)state;
    static const struct { int colours, depth; } c[] = {{2, 1}, {3, 2}, {4, 2}, {5, 4},
                                                       {16, 4}, {17, 8}};
    enum { W = 13, H = 6 };
    for (size_t t = 0; t < sizeof c / sizeof *c; t++) {
        unsigned char rgb[W * H * 3];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int i = y == 3 ? 2 * W + x : y * W + x; /* row 3 repeats row 2 */
                int k = (i * 7) % c[t].colours; /* 7 is prime to every count: all appear */
                unsigned char *p = rgb + 3 * (y * W + x);
                p[0] = (unsigned char)(k * 15);
                p[1] = (unsigned char)(255 - k);
                p[2] = (unsigned char)(k & 1 ? 200 : 7);
            }
        buf in = pnm("P6\n13 6\n255\n", rgb, sizeof rgb);
        char msg[256];
        buf out = encode(in, msg, sizeof msg);
        assert_non_null(out.b);
        assert_int_equal(decode_equals(out, W, H, rgb), PNG_COLOR_TYPE_PALETTE);
        assert_int_equal(out.b[24], c[t].depth); /* IHDR bit depth */
        free(out.b);
        free(in.b);
    }
}

static void test_malformed(void **state)
{
    (void)state;
    static const unsigned char px[12] = {0};
    const char *bad[] = {"P3\n2 2\n255\n", "P6\n2 2\n65535\n", "P6\n2\n", "P6\n0 2\n255\n",
                         "P6\n2 3\n255\n" /* raster 12 bytes, needs 18 */};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf in = pnm(bad[i], px, sizeof px);
        char msg[256] = "";
        buf out = encode(in, msg, sizeof msg);
        assert_null(out.b);
        assert_non_null(strstr(msg, "t.png: malformed PNM"));
        free(in.b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_few_colours_indexed),
        cmocka_unit_test(test_many_colours_rgb),
        cmocka_unit_test(test_grey_and_bitmap),
        cmocka_unit_test(test_packed_depths),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
