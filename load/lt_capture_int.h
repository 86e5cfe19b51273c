/*
** lt_capture_int.h - what the sampling (lt_capture.c) and the derivation
** (lt_capture_derive.c) of `mqsim capture` share: one sample of the
** management API, the per-object counter tracker, and small JSON readers.
** Nothing outside load/lt_capture*.c includes it.
**
** Ownership: a cap_sample owns its four JSON arrays (the sampling loop
** frees them); the tracker is the sampling loop's, borrowed by the
** derivation.
*/
#ifndef LT_CAPTURE_INT_H
#define LT_CAPTURE_INT_H

#include "load/lt_capture.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

/* One sample: the vhost's connections, channels, consumers and queues. */
typedef struct cap_sample {
    json_t *conns, *chans, *cons, *queues;
    double t, tq; /* when the channels and the queues were read */
} cap_sample;

/* Counters tracked per channel ("c") and queue ("q"). */
enum { C_PUBLISH, C_ACK, C_NOACK, NCTR };

typedef struct cap_ctr {
    double prev, t0, v0, t_fc, v_fc, t_lc, v_lc;
    int changes;
} cap_ctr;

typedef struct cap_ent {
    cap_ctr c[NCTR];
    double unacked_sum;
    int unacked_n;
} cap_ent;

/* Every channel ("c:NAME") and queue ("q:NAME") seen, by key. */
typedef struct cap_tracker {
    json_t *idx;   /* key -> index into v */
    cap_ent *v;
    size_t n, cap;
} cap_tracker;

/* Rate of counter k of object (kind, name), msg/s: the count between the
** first and the last refresh seen over the time between them; with one
** refresh only, from the first sample to t_end. 0 when it never moved. */
double cap_rate(cap_tracker *tr, const char *kind, const char *name, int k, double t_end);
/* Mean unacked count of channel name over the samples (0 if never seen). */
double cap_unacked(cap_tracker *tr, const char *name);

/* Derive queues, producer and consumer groups from the first and last
** samples and the tracker into c (lt_capture_derive.c). 0 ok; -1 out of
** memory. */
int cap_derive(lt_capture *c, const cap_sample *first, const cap_sample *last, cap_tracker *tr);

/* obj.a.b... as a number (integer or real); NAN when absent. */
static inline double cap_jnum(const json_t *o, const char *path)
{
    char key[64];
    const char *p = path;
    while (o && *p) {
        size_t k = strcspn(p, ".");
        if (k >= sizeof key) return NAN;
        memcpy(key, p, k);
        key[k] = '\0';
        o = json_object_get(o, key);
        p += k + (p[k] == '.');
    }
    return o && json_is_number(o) ? json_number_value(o) : NAN;
}

static inline const char *cap_jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The element of array a whose "name" is name (NULL: none). */
static inline json_t *cap_by_name(const json_t *a, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        if (!strcmp(cap_jstr(v, "name"), name)) return v;
    return NULL;
}

#endif
