/*
** png_out.c - binary PNM in, PNG out, fast and deterministic (see png_out.h).
**
** One pass over the pixels builds the palette in order of first appearance
** (so the bytes depend on the pixels alone) and the index image; charts are
** long runs of one colour, so a one-entry cache answers most lookups and a
** small open-addressing table the rest, and a row equal to the one above
** copies its indexes. The indexes are packed to the fewest bits the palette
** needs (a chart has 6 to 12 colours: 4 bits, half the bytes zlib and
** libpng go through). libpng then writes the rows with no filter (an
** indexed image gains little from one) at zlib level 1. libpng
** reports errors by longjmp: everything that could leak is allocated before
** the setjmp and freed after it on both paths. Out of memory ends the
** process (SIM_NEED, sim_err.h), as everywhere else.
*/
#include "io/png_out.h"

#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { HASH_SLOTS = 1024, ZLIB_LEVEL = 1 };

typedef struct pnm_img {
    int kind;                 /* 4 bitmap, 5 grey, 6 RGB */
    unsigned w, h;
    const unsigned char *px;  /* first pixel byte, inside the caller's buffer */
} pnm_img;

/* Next header token of a PNM (decimal or the magic), skipping whitespace and
** '#' comments. Returns -1 when the header ends early. */
static long pnm_number(const unsigned char *p, size_t len, size_t *at)
{
    for (;;) {
        while (*at < len && (p[*at] == ' ' || p[*at] == '\t' || p[*at] == '\n' || p[*at] == '\r'))
            (*at)++;
        if (*at < len && p[*at] == '#') {
            while (*at < len && p[*at] != '\n') (*at)++;
            continue;
        }
        break;
    }
    long v = 0;
    size_t start = *at;
    while (*at < len && p[*at] >= '0' && p[*at] <= '9' && v < 100000) v = v * 10 + (p[(*at)++] - '0');
    return *at > start ? v : -1;
}

static int pnm_parse(const unsigned char *p, size_t len, pnm_img *img)
{
    if (len < 3 || p[0] != 'P' || (p[1] != '4' && p[1] != '5' && p[1] != '6')) return -1;
    img->kind = p[1] - '0';
    size_t at = 2;
    long w = pnm_number(p, len, &at), h = pnm_number(p, len, &at);
    long maxval = img->kind == 4 ? 1 : pnm_number(p, len, &at);
    if (w <= 0 || h <= 0 || w > 65535 || h > 65535 || (img->kind != 4 && maxval != 255)) return -1;
    if (at >= len) return -1;
    at++; /* the single whitespace byte before the raster */
    size_t row = img->kind == 4 ? ((size_t)w + 7) / 8 : (size_t)w * (img->kind == 6 ? 3 : 1);
    if ((len - at) / row < (size_t)h) return -1;
    img->w = (unsigned)w;
    img->h = (unsigned)h;
    img->px = p + at;
    return 0;
}

/* Index image and palette of an RGB raster; 0, or -1 when it has more than
** 256 colours. idx has w*h bytes, pal room for 256 entries. */
static int index_rgb(const pnm_img *img, unsigned char *idx, png_color *pal, int *npal)
{
    uint32_t key[HASH_SLOTS];
    unsigned char val[HASH_SLOTS];
    memset(key, 0xff, sizeof key); /* 0xffffffff: empty (a colour is 24 bits) */
    int n = 0;
    uint32_t last = 0xffffffffu;
    unsigned char last_i = 0;
    size_t row = (size_t)img->w * 3;
    for (unsigned r = 0; r < img->h; r++) {
        const unsigned char *s = img->px + r * row;
        unsigned char *out = idx + (size_t)r * img->w;
        /* a row like the one above (background, frame sides, bars) */
        if (r > 0 && !memcmp(s, s - row, row)) {
            memcpy(out, out - img->w, img->w);
            continue;
        }
        for (unsigned x = 0; x < img->w; x++, s += 3) {
            uint32_t c = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2];
            if (c != last) {
                unsigned slot = (c * 2654435761u) >> 22; /* top 10 bits */
                while (key[slot] != c && key[slot] != 0xffffffffu)
                    slot = (slot + 1) & (HASH_SLOTS - 1);
                if (key[slot] != c) {
                    if (n == 256) return -1;
                    key[slot] = c;
                    val[slot] = (unsigned char)n;
                    pal[n] = (png_color){s[0], s[1], s[2]};
                    n++;
                }
                last = c;
                last_i = val[slot];
            }
            out[x] = last_i;
        }
    }
    *npal = n;
    return 0;
}

/* The fewest bits per index for npal colours: 1, 2, 4 or 8. */
static int index_depth(int npal)
{
    return npal <= 2 ? 1 : npal <= 4 ? 2 : npal <= 16 ? 4 : 8;
}

/* Pack the w x h index image (one byte per pixel) in place to `depth`
** bits per pixel, leftmost pixel in the high bits, each row padded to a
** whole byte (PNG's layout); rows then start every (w * depth + 7) / 8
** bytes. A packed row never outruns the unpacked one it reads. */
static void pack_rows(unsigned char *idx, unsigned w, unsigned h, int depth)
{
    size_t stride = ((size_t)w * (size_t)depth + 7) / 8;
    unsigned per = 8u / (unsigned)depth, whole = w / per; /* bytes without padding */
    for (unsigned r = 0; r < h; r++) {
        const unsigned char *s = idx + (size_t)r * w;
        unsigned char *d = idx + (size_t)r * stride;
        if (depth == 4) {
            for (unsigned b = 0; b < whole; b++) d[b] = (unsigned char)(s[2 * b] << 4 | s[2 * b + 1]);
        } else {
            for (unsigned b = 0; b < whole; b++) {
                unsigned v = 0;
                for (unsigned k = 0; k < per; k++) v = v << depth | s[b * per + k];
                d[b] = (unsigned char)v;
            }
        }
        if (whole < stride) { /* the last byte: the row's tail, then zero bits */
            unsigned v = 0;
            for (unsigned k = 0; k < per; k++) {
                unsigned x = whole * per + k;
                v = v << depth | (x < w ? s[x] : 0u);
            }
            d[whole] = (unsigned char)v;
        }
    }
}

typedef struct png_ctx {
    sim_err *err;
    const char *what;
} png_ctx;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    sim_err_set(c->err, "%s: PNG encoder: %s", c->what, msg);
    png_longjmp(png, 1);
}

/* Library code never prints: libpng's warnings are dropped. */
static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Rows: row r of the image starts at rows + r * stride. */
static int encode(FILE *fp, unsigned w, unsigned h, int depth, int color_type,
                  const png_color *pal, int npal, const unsigned char *rows, size_t stride,
                  png_ctx *ctx)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, ctx, on_png_error,
                                              on_png_warning);
    if (!png) return sim_err_set(ctx->err, "%s: cannot start the PNG encoder", ctx->what);
    png_infop info = png_create_info_struct(png);
    SIM_NEED(info != NULL, "%s: out of memory for the PNG encoder", ctx->what);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, w, h, depth, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_PLTE(png, info, pal, npal);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_set_compression_level(png, ZLIB_LEVEL);
    png_write_info(png, info);
    for (unsigned r = 0; r < h; r++) png_write_row(png, rows + (size_t)r * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int png_out_from_pnm(FILE *fp, const unsigned char *pnm, size_t len, const char *what,
                     sim_err *err)
{
    pnm_img img;
    if (pnm_parse(pnm, len, &img)) return sim_err_set(err, "%s: malformed PNM from libplot", what);
    png_ctx ctx = {err, what};
    size_t npx = (size_t)img.w * img.h;
    if (img.kind == 5)
        return encode(fp, img.w, img.h, 8, PNG_COLOR_TYPE_GRAY, NULL, 0, img.px, img.w, &ctx);
    unsigned char *buf = malloc(npx);
    SIM_NEED(buf != NULL, "%s: out of memory for a %zu-pixel image", what, npx);
    int rc;
    if (img.kind == 4) {
        /* PBM: bit set = black, rows padded to whole bytes */
        size_t stride = (img.w + 7) / 8;
        for (unsigned r = 0; r < img.h; r++)
            for (unsigned x = 0; x < img.w; x++)
                buf[(size_t)r * img.w + x] =
                    (img.px[r * stride + x / 8] >> (7 - x % 8)) & 1 ? 0 : 255;
        rc = encode(fp, img.w, img.h, 8, PNG_COLOR_TYPE_GRAY, NULL, 0, buf, img.w, &ctx);
    } else {
        png_color pal[256];
        int npal = 0;
        if (index_rgb(&img, buf, pal, &npal) == 0) {
            int depth = index_depth(npal);
            if (depth < 8) pack_rows(buf, img.w, img.h, depth);
            rc = encode(fp, img.w, img.h, depth, PNG_COLOR_TYPE_PALETTE, pal, npal, buf,
                        ((size_t)img.w * (size_t)depth + 7) / 8, &ctx);
        } else {
            rc = encode(fp, img.w, img.h, 8, PNG_COLOR_TYPE_RGB, NULL, 0, img.px,
                        (size_t)img.w * 3, &ctx);
        }
    }
    free(buf);
    return rc;
}
