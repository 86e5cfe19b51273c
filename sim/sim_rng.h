/*
** sim_rng.h - random streams named by meaning, wrapped as a GSL generator.
**
** A stream is identified by (master seed, replication, entity id, purpose)
** and its state is derived from those four numbers through a splitmix64-style
** 64-bit mix - never from creation order. Adding a client therefore leaves
** every other client's numbers unchanged, and a baseline run and a change run
** share common random numbers entity by entity.
**
** The generator is small (xoshiro256**: 32 bytes, not Mersenne Twister's 5 KB)
** and is registered as a gsl_rng_type, so every gsl_ran_* distribution works
** on it. GSL's own seeding (gsl_rng_set, 32-bit seeds) is bypassed:
** sim_rng_new() writes the full 64-bit-derived state directly.
**
** Ownership: sim_rng_new() returns a gsl_rng the caller frees with
** gsl_rng_free(); NULL on out-of-memory. sim_rng_embed() builds the same
** generator inside storage the caller owns (never freed on its own): for
** entities on the hot path, whose draws then touch cache lines the entity
** already has in cache instead of two separate heap blocks.
*/
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* The splitmix64 finaliser: a bijective 64-bit mix. */
uint64_t sim_mix64(uint64_t x);
/* Stable 64-bit id of a name (FNV-1a then mixed), for entity ids and
** purposes: sim_hash_str("arrivals"). */
uint64_t sim_hash_str(const char *s);
/* The key of a stream. Distinct inputs give distinct keys with overwhelming
** probability; each argument passes through the mix separately. */
uint64_t sim_stream_key(uint64_t master_seed, uint64_t replication,
                        uint64_t entity, uint64_t purpose);

/* The mqsim generator as a GSL type (name "mqsim"). */
extern const gsl_rng_type *sim_rng_type;

/* A new generator on the stream (master, replication, entity, purpose). */
gsl_rng *sim_rng_new(uint64_t master_seed, uint64_t replication,
                     uint64_t entity, uint64_t purpose);
/* Storage for an embedded generator (header and state, 48 bytes). */
typedef struct sim_rng_embedded {
    gsl_rng gen;
    uint64_t state[4];
} sim_rng_embedded;
/* The generator of the stream (master, replication, entity, purpose) built
** in *slot; returns &slot->gen, valid as long as *slot. Do not pass it to
** gsl_rng_free. It draws exactly the numbers sim_rng_new's would. */
gsl_rng *sim_rng_embed(sim_rng_embedded *slot, uint64_t master_seed, uint64_t replication,
                       uint64_t entity, uint64_t purpose);
/* Reset an existing sim_rng_type generator to the start of the stream with
** this key (sim_stream_key(...)); a foreign generator type aborts. */
void sim_rng_reseed(gsl_rng *r, uint64_t key);

/* Fast paths for the hot loop (r must be a sim_rng_type generator; any
** other type is an invariant violation and aborts). */
uint64_t sim_rng_u64(gsl_rng *r);
/* Uniform on the open interval (0, 1), 53-bit resolution. */
double sim_rng_uniform_pos(gsl_rng *r);
/* Exponential with the given MEAN (not rate), like gsl_ran_exponential but
** faster (ziggurat). */
double sim_rng_exp(gsl_rng *r, double mean);

#endif
