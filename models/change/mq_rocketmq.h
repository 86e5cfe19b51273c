/*
** mq_rocketmq.h - a RocketMQ-style instance configuration change (seed
** rocketmq-modify-instance-configurations): the change itself, the rules
** that decide whether it is allowed, what it does to clients in virtual
** time, and what it costs.
**
** Two files:
**   - models/change/mq_rocketmq_rules.c: the change as a value - defaults, the
**     seed's rules (mq_rocketmq_check reports every broken rule; the loader
**     io/change/scn_rocketmq.c turns each into "FILE:LINE:COL: rocketmq_change.KEY:
**     rule"), warnings and the seed's advice for `check`
**     (mq_rocketmq_warnings), billing, and static estimates of what a
**     client group's own retry and reconnect settings do to it;
**   - models/change/mq_rocketmq.c: the model, reached by the base model
**     through its change-type table (mq_rocketmq_ops): brokers restart in rolling batches, TCP producers fail over to
**     another broker, consumers see pull errors, wait for the next
**     rebalance and roll back to their last committed offset, HTTP clients
**     lose access for `http_disruption`, the instance's spec, Internet
**     bandwidth and Internet access change, and losses and long cut-offs
**     are charged to their cause and group. Details in docs/MODEL.md.
**
** Billing (mq_rocketmq_billing_delta) follows the seed's table; prices are
** scenario inputs, never built in.
**
** Ownership: a change belongs to its mq_scenario (mq_scenario.change, type
** mq_rocketmq_ops) and is released by mq_scenario_free() through the
** table's cfg_free (mq_rocketmq_change_free). It owns no pointers.
*/
#ifndef MQ_ROCKETMQ_H
#define MQ_ROCKETMQ_H

#include "models/change/mq_change.h"
#include "models/mq_scenario.h"
#include "sim/sim_table.h"

#include <stdbool.h>
#include <stddef.h>

/* Defaults (each with its source; see docs/SCENARIO.md). */
#define MQ_ROCKETMQ_BATCH_SIZE 1          /* assumption: one node at a time (#27 "batches") */
#define MQ_ROCKETMQ_NODE_DOWNTIME_S 5.0   /* assumption within #27 "disconnects of seconds" */
#define MQ_ROCKETMQ_BATCH_INTERVAL_S 60.0 /* assumption: whole change well under #27's 30 min */
#define MQ_ROCKETMQ_HTTP_DISRUPTION_S 30.0/* assumption within the seed's "< 1 min" (#27) */

/* Prices and the billing cycle; all optional as a block. */
typedef struct mq_rocketmq_billing {
    bool present;
    mq_loc loc;
    char currency[16];     /* unit of billing_delta, e.g. "CNY" */
    double price_from;     /* price per month of the current configuration */
    double price_to;       /* price per month of the target configuration */
    double cycle_months;   /* length of the current billing cycle */
    double elapsed_months; /* part of the cycle already used at the change */
} mq_rocketmq_billing;

typedef struct mq_rocketmq_change {
    mq_loc loc;
    double at_s;           /* the change starts (first batch restarts) */
    /* Target configuration: has_* false = unchanged. */
    bool has_edition, has_sub_category, has_spec_tps, has_internet,
        has_bandwidth, has_storage;
    mq_edition edition;
    mq_subcat sub_category;
    double spec_tps;       /* msg/s for the whole instance; 0 = unlimited */
    bool internet;
    double bandwidth_mbps; /* 0 = unlimited */
    double storage_bytes;  /* only ever rejected (not changeable) */
    mq_loc edition_loc, sub_category_loc, spec_tps_loc, internet_loc,
        bandwidth_loc, storage_loc;
    /* Rolling restart of the brokers (service nodes). */
    int batch_size;        /* brokers restarted together */
    double node_downtime_s;/* how long each restarted broker is down */
    double batch_interval_s; /* from one batch's start to the next one's */
    double http_disruption_s; /* HTTP access lost from the change's start */
    mq_rocketmq_billing billing;
    /* The paired baseline: nothing changes, but the current configuration's
    ** limits (spec, Internet access, bandwidth) hold all run. */
    bool baseline;
} mq_rocketmq_change;

/* A change with every default and nothing changed (at_s = 0). */
void mq_rocketmq_change_init(mq_rocketmq_change *ch);
/* Turn ch into the paired baseline's (see `baseline`); NULL is a no-op. */
void mq_rocketmq_change_to_baseline(mq_rocketmq_change *ch);
/* Release a heap-allocated change; NULL is a no-op. */
void mq_rocketmq_change_free(mq_rocketmq_change *ch);

/* Which rule a change breaks. */
typedef enum mq_rocketmq_rule {
    MQ_ROCKETMQ_OK = 0,
    MQ_ROCKETMQ_EDITION_DOWNGRADE,   /* primary edition: upgrade only */
    MQ_ROCKETMQ_SUBCATEGORY,         /* sub-category may not change */
    MQ_ROCKETMQ_SUBCATEGORY_UNKNOWN, /* to.sub_category without instance.sub_category */
    MQ_ROCKETMQ_STORAGE,             /* storage is not changeable */
    MQ_ROCKETMQ_SERVERLESS_ONLY_EDITION, /* serverless: only the edition */
    MQ_ROCKETMQ_SERVERLESS_EDITION,  /* serverless: Standard <-> Professional only */
    MQ_ROCKETMQ_BANDWIDTH_NO_INTERNET, /* bandwidth without Internet access */
    MQ_ROCKETMQ_NO_CHANGE            /* every target value is the current one */
} mq_rocketmq_rule;

/* One broken rule: which, the key it concerns (relative to
** rocketmq_change, e.g. "to.edition"; "to" for the change as a whole; the
** loader turns it into file:line:col), and the rule in plain words. */
typedef struct mq_rocketmq_violation {
    mq_rocketmq_rule rule;
    const char *key;
    char msg[320];
} mq_rocketmq_violation;

#define MQ_ROCKETMQ_MAX_VIOLATIONS 8

/* Check `ch` against the seed's rules for an instance currently configured
** as `from`: every rule broken is written to v[] (at most `max`, in key
** order), and the number written is returned (0 = allowed). A change whose
** every target value equals the current one (same edition, or Enterprise
** <-> Platinum, which rank equal; same spec, Internet on -> on, same
** bandwidth) breaks MQ_ROCKETMQ_NO_CHANGE: it is not a restart. O(1). */
size_t mq_rocketmq_check(const mq_instance *from, const mq_rocketmq_change *ch,
                         mq_rocketmq_violation *v, size_t max);

/* Whether a target value differs from the instance's current one (the
** model restarts nothing for a change without any). */
bool mq_rocketmq_changes_something(const mq_instance *from, const mq_rocketmq_change *ch);

/* Direction of a change: +1 every changed value goes up (edition, spec,
** Internet on, bandwidth), -1 every one goes down, 0 mixed or none. */
int mq_rocketmq_direction(const mq_instance *from, const mq_rocketmq_change *ch);

/* Time a disconnected producer of group g keeps a send alive: retries x
** (send_timeout + retry_backoff) for RocketMQ clients (each failed attempt
** waits for its timeout, then backs off; seed line 37, model-reference
** #16); 0 when it drops sends; INFINITY when it buffers them. */
double mq_rocketmq_send_cover(const mq_producer_group *g);

/* Static estimate of how long a client with reconnect settings r stays cut
** off by an outage of `outage_s` (no jitter: the worst case of +/- jitter
** is reported by the caller from r->jitter): the first attempt at or after
** the outage's end; INFINITY when its attempts run out first and nothing
** restarts the application. */
double mq_rocketmq_cutoff(const mq_reconnect *r, double outage_s);

/* Whether the instance bills as serverless (series or billing method). */
bool mq_rocketmq_serverless(const mq_instance *in);

/* Number of restart batches (ceil(brokers / batch_size)), and the change's
** length: from at_s to the last batch's broker back up, or to the end of the
** HTTP disruption when that is later (HTTP clients present). */
int mq_rocketmq_batches(const mq_scenario *s, const mq_rocketmq_change *ch);
double mq_rocketmq_rolling_len(const mq_scenario *s, const mq_rocketmq_change *ch);
bool mq_rocketmq_has_http(const mq_scenario *s);
double mq_rocketmq_duration(const mq_scenario *s, const mq_rocketmq_change *ch);

/* One sentence on why a producer of group g loses sends to an outage of
** outage_s and which setting avoids it (on_disconnect, retries x
** (send_timeout + retry_backoff) against the outage). */
void mq_rocketmq_explain_send_loss(const mq_producer_group *g, double outage_s, char *buf,
                                   size_t len);
/* One sentence naming the reconnect setting that makes a cut-off long
** (no automatic reconnect, max_attempts, the back-off's growth). */
void mq_rocketmq_explain_reconnect(const mq_reconnect *r, char *buf, size_t len);

/* Append warnings for an allowed change (see the list in the file header)
** to *out. 0, or -1 on out-of-memory. */
int mq_rocketmq_warnings(const mq_scenario *s, const mq_rocketmq_change *ch,
                         sim_strs *out);

/* One-off amount paid (> 0) or refunded (< 0) at the change, in the
** billing currency, for billing method `method` (serverless instances use
** MQ_BILL_SERVERLESS whatever their billing key says):
**   subscription  (price_to - price_from) x (cycle - elapsed) months;
**   payg          0: no difference or refund, the new price applies from
**                 the change on;
**   serverless    the current cycle is charged at the highest price used:
**                 (max(from, to) - from) x cycle months; the new price
**                 applies from the next cycle.
** NAN when b->present is false. */
double mq_rocketmq_billing_delta(mq_billing method, const mq_rocketmq_billing *b);

/* The change type (models/change/mq_changes.c lists it), and the type its
** paired baseline becomes (to_baseline): the instance's current limits
** only, not a change. */
extern const mq_change_ops mq_rocketmq_ops;
extern const mq_change_ops mq_rocketmq_limits_ops;

/* The scenario's change (or its baseline), or NULL when it has none. */
static inline mq_rocketmq_change *mq_rocketmq_of(const mq_scenario *s)
{
    void *c = mq_change_cfg(s, &mq_rocketmq_ops);
    return c ? c : mq_change_cfg(s, &mq_rocketmq_limits_ops);
}

#endif
