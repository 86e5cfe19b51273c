/*
** mq_estimate.h - the analytic estimates printed beside simulated results:
** the saturated throughput of a consumer channel, the consumers' capacity
** and the fluid drain time B / (mu - lambda).
**
** A consumer channel (mq_consumer.c) is a closed network of `prefetch`
** circulating deliveries: a fixed delay of one round trip, then a FCFS
** station of `concurrency` processing slots. Its saturated throughput is
** not min(k/t, p/(RTT + t)): that is only an upper bound, reached when the
** processing time is constant. mq_estimate.c explains how each case is
** solved and how exact each answer is.
*/
#ifndef MQ_ESTIMATE_H
#define MQ_ESTIMATE_H

#include "sim/sim_dist.h"

#include <stdbool.h>
#include <stddef.h>

struct mq_world;
struct mq_consumer_group;

/* How a channel's throughput was obtained (names in mq_est_method_name). */
typedef enum mq_est_method {
    MQ_EST_NO_QUEUE,      /* prefetch <= concurrency: p / (RTT + E[S]), exact */
    MQ_EST_CONSTANT,      /* constant processing: min(k/t, p/(RTT+t)), exact */
    MQ_EST_MVA,           /* exponential processing: product form, exact */
    MQ_EST_NUMERIC,       /* any other: the channel's recursion solved
                             numerically, relative standard error rel_se */
    MQ_EST_SATURATED      /* a prefetch far beyond the balance point (more
                             than P_CAP credits): the side that binds, k/t
                             or p/(RTT+t), with the other side 10 standard
                             deviations away, so exact to far below rel_se */
} mq_est_method;

typedef struct mq_est_rate {
    double rate;          /* deliveries per second, one channel */
    double rel_se;        /* 0 for the exact methods */
    mq_est_method method;
} mq_est_rate;

/* Saturated throughput of one channel: processing time drawn from proc plus
** overhead_s per message, prefetch p >= 1, concurrency k >= 1, round trip
** rtt_s >= 0. Deterministic (fixed internal stream): same inputs, same
** bytes. */
mq_est_rate mq_est_channel(const sim_dist *proc, double overhead_s, int prefetch,
                           int concurrency, double rtt_s);

/* Largest prefetch mq_est_channel solves numerically (it costs O(prefetch)
** per batch: seconds here, minutes for a million). */
#define MQ_EST_PREFETCH_SOLVED 20000
/* Whether mq_est_channel(proc, 0, prefetch, concurrency, rtt_s) answers in
** bounded time: false only for a prefetch above MQ_EST_PREFETCH_SOLVED near
** the channel's balance point with a law that has no closed form. The
** loader refuses those scenarios up front. */
bool mq_est_channel_tractable(const sim_dist *proc, int prefetch, int concurrency, double rtt_s);

/* Exact throughput for exponential processing of mean mean_s (the product
** form of the closed network); any rtt distribution of mean rtt_s. */
double mq_est_channel_mva(double mean_s, int prefetch, int concurrency, double rtt_s);

/* The recursion solved numerically for any distribution (mq_estimate.c):
** the long-run rate of `services` services after a warm-up, and the
** relative standard error of that rate (batch means) in *rel_se. */
double mq_est_channel_numeric(const sim_dist *proc, double overhead_s, int prefetch,
                              int concurrency, double rtt_s, long services, double *rel_se);

/* The upper bound min(k/t, p/(RTT + t)), for comparisons only (exact only
** for constant processing). */
double mq_est_channel_bound(double mean_s, int prefetch, int concurrency, double rtt_s);

/* One consumer of group g: its channel's throughput. */
mq_est_rate mq_est_group_rate(const struct mq_consumer_group *g, double rtt_s, double overhead_s);

/* Fluid drain time of backlog b at consume rate mu against arrivals lambda:
** 0 for no backlog, b / (mu - lambda) when mu > lambda, else INFINITY
** ("never"). The one copy of this formula. */
double mq_est_fluid_drain(double backlog, double mu, double lambda);

/* A change at at_s (seconds from now): of the net drain rate, +rate when a
** consumer comes back, -rate when a producer starts offering again; and of
** the backlog, take (<= 0) when a returning consumer fills its prefetch. */
typedef struct mq_est_step {
    double at_s, rate, take;
} mq_est_step;

/* Fluid drain time with the rates changing in steps (sorted here, in
** place): the backlog grows while the consumers back take less than is
** offered and shrinks once they take more. INFINITY when it never empties.
** A single step at 0 of rate mu - lambda is mq_est_fluid_drain. */
double mq_est_fluid_drain_steps(double backlog, mq_est_step *steps, size_t n);

/* A fluid drain estimate taken inside a run. */
typedef struct mq_est_drain {
    double fluid_s;      /* time from now to an empty backlog; INFINITY = never */
    double mu;           /* capacity of the consumers that count, msg/s */
    double lambda;       /* offered by the producers that count, msg/s */
    char never[256];     /* why never, or "" */
    double cycle_s;      /* how long after the last take the last delivery
                            taken is processed: the stay behind the others
                            in its channel, p / X (Little) for a full one;
                            the longest over the queues */
    double pass_s;       /* longest round trip plus mean processing among
                            them: the stay of a delivery in an idle channel */
    double worst_se;     /* largest relative standard error of a group's
                            numerical channel solution (0: all exact) */
    int worst_group;     /* that group (index into consumers[]), or -1 */
} mq_est_drain;

/* A numerical channel solution above this relative error is reported. */
#define MQ_EST_TARGET_SE 1e-3

/* The estimate at the current time of w's run: every scenario queue drains
** on its own (its ready copies, with its twin's during a migration, by its
** consumers, against its producers), and the backlog is gone when the last
** queue is. The clients that count are those connected or sure to come
** back: their recovery under way and their broker letting them in before
** they give up, or an application restart armed or scheduled. Each joins at
** its return time (a producer that buffers its sends counts from now); a
** returning consumer takes its free credits at once. The time is when the
** ready copies are all taken (drain_time_s). */
void mq_est_world_drain(const struct mq_world *w, mq_est_drain *out);

const char *mq_est_method_name(mq_est_method m);

#endif
