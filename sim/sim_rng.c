/*
** sim_rng.c - mqsim's random streams (see sim_rng.h): key derivation,
** the xoshiro256** generator wrapped as a gsl_rng_type, and a 256-layer
** ziggurat for the exponential distribution.
**
** Keys. sim_stream_key() chains the four inputs through the splitmix64
** finaliser, each input first offset by its own odd constant and mixed on
** its own, then folded into the running hash and mixed again:
**     h = mix(mix(master + C0) ^ mix(rep + C1)) ...
** The chain is order-dependent, so (a, b) and (b, a) give different keys, and
** the per-position constants keep the finaliser's fixed point mix(0) = 0
** from making all-zero inputs degenerate.
**
** Generator. xoshiro256** (Blackman & Vigna): 32 bytes of state, period
** 2^256 - 1, passes BigCrush, about 1 ns per 64-bit output. The state is
** filled by running splitmix64 from the key (the seeding procedure the
** authors recommend); an all-zero state (the one fixed point) is replaced
** by a constant, although splitmix64 makes it practically unreachable.
** GSL sees the generator as type "mqsim" with get() returning the high 32
** bits (min 0, max 0xffffffff) and get_double() the top 53 bits scaled into
** [0, 1). GSL's set(state, seed) takes an unsigned long (64 bits here) and
** derives the state from mix(seed), so even gsl_rng_set() uses every bit;
** sim_rng_new() bypasses it and writes the state from the stream key.
**
** Exponential. Marsaglia & Tsang (2000), "The Ziggurat Method for Generating
** Random Variables", with 256 layers of equal area v under f(x) = exp(-x):
**     r = 7.69711747013104972 (right edge of the base strip)
**     v = f(r) * (r + 1)       (base strip r*f(r) plus the tail area f(r))
**     x[0] = v / f(r)          (pseudo-width of the base layer)
**     x[1] = r,  x[i+1] = -ln(f(x[i]) + v / x[i]),  x[256] = 0.
** Layer i is the rectangle [0, x[i]) x [f(x[i]), f(x[i+1])]. One 64-bit draw
** gives the layer (low 8 bits) and a 53-bit uniform u (top bits); x = u*x[i]
** is returned at once when x < x[i+1] (about 98.9% of draws: one multiply,
** one compare). Otherwise the wedge is tested against exp(-x) with a fresh
** uniform, and layer 0 past r falls into the tail, where memorylessness
** gives r + Exp(1): the draw restarts with r added (no logarithm). Unlike the original's 32-bit integer
** version, u has 53 bits, so there is no visible lattice in the output.
** The tables are computed once (pthread_once) from the formula above when
** the first mqsim generator is allocated - every sim_rng_type generator
** passes through set() inside gsl_rng_alloc() - so the hot path carries no
** initialisation check. Initialisation asserts that the top layer closes
** (x[255] * (1 - f(x[255])) == v to 1e-9).
*/
#include "sim/sim_rng.h"
#include "sim/sim_err.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

/* ---- mixing and keys ---------------------------------------------------- */

#define GOLDEN 0x9e3779b97f4a7c15ULL

uint64_t sim_mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t sim_hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 offset basis */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL; /* FNV-1a 64 prime */
    }
    return sim_mix64(h);
}

uint64_t sim_stream_key(uint64_t master_seed, uint64_t replication,
                        uint64_t entity, uint64_t purpose)
{
    uint64_t h = sim_mix64(master_seed + GOLDEN);
    h = sim_mix64(h ^ sim_mix64(replication + 2 * GOLDEN));
    h = sim_mix64(h ^ sim_mix64(entity + 3 * GOLDEN));
    h = sim_mix64(h ^ sim_mix64(purpose + 4 * GOLDEN));
    return h;
}

/* ---- xoshiro256** ------------------------------------------------------- */

typedef struct xoshiro {
    uint64_t s[4];
} xoshiro;

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t next(xoshiro *x)
{
    uint64_t *s = x->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void seed_state(xoshiro *x, uint64_t key)
{
    uint64_t sm = key;
    for (int i = 0; i < 4; i++) {
        sm += GOLDEN;
        x->s[i] = sim_mix64(sm);
    }
    if ((x->s[0] | x->s[1] | x->s[2] | x->s[3]) == 0) x->s[0] = GOLDEN;
}

/* ---- ziggurat tables ---------------------------------------------------- */

#define ZIG_LAYERS 256
#define ZIG_R 7.69711747013104972

static double zig_x[ZIG_LAYERS + 1]; /* layer right edges, x[256] = 0 */
static double zig_f[ZIG_LAYERS + 1]; /* exp(-x[i]) */
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;

static void zig_init(void)
{
    double v = exp(-ZIG_R) * (ZIG_R + 1.0);
    zig_x[0] = v / exp(-ZIG_R);
    zig_x[1] = ZIG_R;
    for (int i = 1; i < ZIG_LAYERS - 1; i++)
        zig_x[i + 1] = -log(exp(-zig_x[i]) + v / zig_x[i]);
    zig_x[ZIG_LAYERS] = 0.0;
    for (int i = 0; i <= ZIG_LAYERS; i++) zig_f[i] = exp(-zig_x[i]);
    double top = zig_x[ZIG_LAYERS - 1] * (1.0 - zig_f[ZIG_LAYERS - 1]);
    SIM_ASSERTF(fabs(top - v) < 1e-9,
                "ziggurat top layer does not close: area %.17g vs %.17g",
                top, v);
}

/* ---- the GSL generator type --------------------------------------------- */

static void gsl_set(void *state, unsigned long seed)
{
    pthread_once(&zig_once, zig_init);
    seed_state(state, sim_mix64((uint64_t)seed));
}

static unsigned long gsl_get(void *state)
{
    return (unsigned long)(next(state) >> 32);
}

static double gsl_get_double(void *state)
{
    return (double)(next(state) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type mqsim_type = {
    "mqsim",     /* name */
    0xffffffffUL, /* max */
    0,           /* min */
    sizeof(xoshiro),
    gsl_set,
    gsl_get,
    gsl_get_double,
};

const gsl_rng_type *sim_rng_type = &mqsim_type;

static inline xoshiro *state_of(gsl_rng *r)
{
    SIM_ASSERTF(r->type == &mqsim_type,
                "generator is \"%s\", not an mqsim stream", r->type->name);
    return r->state;
}

gsl_rng *sim_rng_new(uint64_t master_seed, uint64_t replication,
                     uint64_t entity, uint64_t purpose)
{
    gsl_rng *r = gsl_rng_alloc(sim_rng_type);
    if (!r) return NULL;
    seed_state(r->state,
               sim_stream_key(master_seed, replication, entity, purpose));
    return r;
}

gsl_rng *sim_rng_embed(sim_rng_embedded *slot, uint64_t master_seed, uint64_t replication,
                       uint64_t entity, uint64_t purpose)
{
    _Static_assert(sizeof slot->state == sizeof(xoshiro), "embedded state size");
    pthread_once(&zig_once, zig_init);
    slot->gen.type = sim_rng_type;
    slot->gen.state = slot->state;
    seed_state(slot->gen.state, sim_stream_key(master_seed, replication, entity, purpose));
    return &slot->gen;
}

void sim_rng_reseed(gsl_rng *r, uint64_t key)
{
    seed_state(state_of(r), key);
}

uint64_t sim_rng_u64(gsl_rng *r)
{
    return next(state_of(r));
}

double sim_rng_uniform_pos(gsl_rng *r)
{
    xoshiro *x = state_of(r);
    uint64_t k;
    do k = next(x) >> 11; /* 53 bits; 0 (odds 2^-53) is redrawn */
    while (k == 0);
    return (double)k * 0x1.0p-53; /* at most 1 - 2^-53 */
}

/* Standard exponential (mean 1) by the ziggurat described above. */
static double exp_std(xoshiro *x)
{
    double tail = 0.0;
    for (;;) {
        uint64_t b = next(x);
        unsigned i = (unsigned)(b & 0xff);
        double u = (double)(b >> 11) * 0x1.0p-53;
        double z = u * zig_x[i];
        if (z < zig_x[i + 1]) return tail + z;
        if (i == 0) {
            /* Tail beyond r: memoryless, so restart shifted by r. */
            tail += ZIG_R;
            continue;
        }
        double y = zig_f[i] + (double)(next(x) >> 11) * 0x1.0p-53 *
                                  (zig_f[i + 1] - zig_f[i]);
        if (y < exp(-z)) return tail + z;
    }
}

double sim_rng_exp(gsl_rng *r, double mean)
{
    return mean * exp_std(state_of(r));
}
