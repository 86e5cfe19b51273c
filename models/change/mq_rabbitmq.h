/*
** mq_rabbitmq.h - RabbitMQ-style shared <-> dedicated cluster conversion
** (seed: rabbitmq-shared-dedicated-conversion.txt; model-reference #28, #29).
**
** The conversion is an explicit state machine driven by timed engine events:
**   [upgrade only] creating the destination cluster (create_s)
**   phase 1  dual-write, dual-read            (dual_write_s)
**   phase 2  single-write (source read-only)  (single_write_s)
**   phase 3  wait for the source to drain     (emerges from the model: ends
**            when the source holds no ready message, no scheduled message
**            that is neither due nor expired, and no delivery taken from it
**            that is still unacked)
**   phase 4  destination only (source stops serving)
** A target in the instance's own deployment is a specification change
** (seed: "smooth"): no migration, the new spec applies at `at`.
** The destination is modelled as a twin of every scenario queue on one extra
** runtime broker, created inside the world by the type's create; the user
** declares nothing. Connection migration per endpoint type and direction is
** applied at the phase boundaries (see models/change/mq_rabbitmq.c and
** docs/MODEL.md, "RabbitMQ shared <-> dedicated conversion").
**
** Ownership: the loader (io/change/scn_rabbitmq.c) allocates the struct and
** hangs it on mq_scenario.change with mq_rabbitmq_ops; mq_scenario_free()
** releases it through the table. The model's run-time state is the world's
** change state, released by the table's destroy.
*/
#ifndef MQ_RABBITMQ_H
#define MQ_RABBITMQ_H

#include "models/change/mq_change.h"
#include "models/mq_scenario.h"
#include "sim/sim_dist.h"
#include "sim/sim_err.h"

#include <stdbool.h>

/* What happens to VPC/public connections still on the source when it stops
** serving (phase 4). The seed: "the server-side does not actively
** disconnect existing connections"; in phase 4 "all sends and consumes are
** routed through the destination cluster". SERVE is that; RESET and
** SILENT are what-if options beyond the document. */
typedef enum mq_rb_stop {
    MQ_RB_STOP_RESET,  /* what-if: the server closes them; clients notice at once */
    MQ_RB_STOP_SILENT, /* what-if: the source goes silent; heartbeat detection */
    MQ_RB_STOP_SERVE   /* the document (default): they keep working, their
                          sends and consumes served by the destination */
} mq_rb_stop;

/* When a downgrade's server-side disconnect of source connections happens. */
typedef enum mq_rb_when {
    MQ_RB_WHEN_START,       /* at the start of phase 1 (default) */
    MQ_RB_WHEN_SOURCE_STOP  /* at the start of phase 4 */
} mq_rb_when;

typedef struct mq_rabbitmq_conversion {
    mq_loc loc;
    double at_s;              /* conversion requested (run time, s) */
    mq_series series;         /* the instance's series (no cross-series) */
    mq_deploy from, to;       /* shared -> dedicated = upgrade */
    bool migrates;            /* false: a specification change within one
                                 deployment (seed: "smooth"), no migration */
    mq_edition to_edition;    /* subscription target edition */
    double from_tps, to_tps;  /* the instance's spec before and after,
                                 msg/s; 0 = unlimited */
    bool old_instance;        /* older subscription instance (warning) */
    double create_s;          /* upgrade: creating the dedicated cluster */
    double capacity_tps;      /* the destination cluster's capacity, msg/s;
                                 0 = unlimited */
    double other_tenants_tps; /* downgrade: taken by other tenants, msg/s */
    double dual_write_s;      /* phase 1 length */
    double single_write_s;    /* phase 2 length */
    sim_dist privatelink_outage; /* PrivateLink cut-off length (U, #28) */
    mq_rb_stop source_stop;
    mq_rb_when server_disconnect; /* downgrade only */
    double source_upgrade_at_s;   /* unexpected disconnect of clients still
                                     on the source; < 0 = none */
} mq_rabbitmq_conversion;

/* NULL is a no-op. */
void mq_rabbitmq_conversion_free(mq_rabbitmq_conversion *c);

/* The destination's capacity for this instance, msg/s (0 = unlimited): the
** lower of its new spec (to_tps) and what other tenants leave of the
** cluster's capacity. */
double mq_rabbitmq_destination_tps(const mq_rabbitmq_conversion *c);

/* The change type (models/change/mq_changes.c lists it). */
extern const mq_change_ops mq_rabbitmq_ops;

/* The scenario's conversion, or NULL when it has none. */
static inline mq_rabbitmq_conversion *mq_rabbitmq_of(const mq_scenario *s)
{
    return mq_change_cfg(s, &mq_rabbitmq_ops);
}

/* The timeline label of phase 0 (creating the destination) .. 4
** (destination only), as the model writes it in timeseries and bands; ""
** for any other number. The load tester labels its phases with it. */
const char *mq_rabbitmq_phase_label(int phase);
#define MQ_RABBITMQ_NPHASES 5

#endif
