/*
** mq_rocketmq_rules.c - the RocketMQ configuration change as a value: its
** defaults, the seed's rules (every broken one reported), the static
** warnings and advice for `check`, the billing delta, and the static
** estimates of what a client group's own settings do to it (how long a send
** survives a disconnection, when a reconnect lands). The change's effect in
** virtual time is models/change/mq_rocketmq.c; both share mq_rocketmq.h.
**
** Seed: rocketmq-modify-instance-configurations ("line N" below is a line of
** /work/shared/seeds/rocketmq-modify-instance-configurations.txt).
*/
#include "models/change/mq_rocketmq.h"

#include "models/mq_world.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* the change value                                                    */

void mq_rocketmq_change_init(mq_rocketmq_change *ch)
{
    *ch = (mq_rocketmq_change){
        .batch_size = MQ_ROCKETMQ_BATCH_SIZE,
        .node_downtime_s = MQ_ROCKETMQ_NODE_DOWNTIME_S,
        .batch_interval_s = MQ_ROCKETMQ_BATCH_INTERVAL_S,
        .http_disruption_s = MQ_ROCKETMQ_HTTP_DISRUPTION_S,
    };
    ch->billing.price_from = ch->billing.price_to = NAN;
}

void mq_rocketmq_change_free(mq_rocketmq_change *ch) { free(ch); }

void mq_rocketmq_change_to_baseline(mq_rocketmq_change *ch)
{
    if (!ch) return;
    ch->has_edition = ch->has_sub_category = ch->has_spec_tps = ch->has_internet =
        ch->has_bandwidth = ch->has_storage = false;
    ch->baseline = true;
}

/* ------------------------------------------------------------------ */
/* rules                                                               */

static int edition_rank(mq_edition e)
{
    switch (e) {
    case MQ_EDITION_STANDARD: return 0;
    case MQ_EDITION_PROFESSIONAL: return 1;
    case MQ_EDITION_ENTERPRISE:
    case MQ_EDITION_PLATINUM: return 2; /* "Enterprise Platinum" */
    }
    return 0;
}

static const char *edition_name(mq_edition e)
{
    static const char *const n[] = {"Standard", "Professional", "Enterprise Platinum"};
    return n[edition_rank(e)];
}

static const char *subcat_name(mq_subcat c)
{
    switch (c) {
    case MQ_SUBCAT_STANDALONE: return "Standalone";
    case MQ_SUBCAT_CLUSTER: return "Cluster";
    case MQ_SUBCAT_NONE: break;
    }
    return "unset";
}

bool mq_rocketmq_serverless(const mq_instance *in)
{
    return in->series == MQ_SERIES_SERVERLESS || in->billing == MQ_BILL_SERVERLESS;
}

/* Append one broken rule to v (counted even when v is full). */
__attribute__((format(printf, 6, 7)))
static void violate(mq_rocketmq_violation *v, size_t max, size_t *n, mq_rocketmq_rule rule,
                    const char *key, const char *fmt, ...)
{
    if (*n < max) {
        v[*n].rule = rule;
        v[*n].key = key;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v[*n].msg, sizeof v[*n].msg, fmt, ap);
        va_end(ap);
    }
    ++*n;
}

/* Which target values differ from the current ones. */
typedef struct rocketmq_diff {
    bool edition, spec, internet, bandwidth;
} rocketmq_diff;

static bool current_internet(const mq_instance *from) { return from->internet; }

static rocketmq_diff diff_of(const mq_instance *from, const mq_rocketmq_change *ch)
{
    return (rocketmq_diff){
        .edition = ch->has_edition && edition_rank(ch->edition) != edition_rank(from->edition),
        .spec = ch->has_spec_tps && ch->spec_tps != from->spec_tps,
        .internet = ch->has_internet && ch->internet != current_internet(from),
        .bandwidth = ch->has_bandwidth && ch->bandwidth_mbps != from->bandwidth_mbps,
    };
}

bool mq_rocketmq_changes_something(const mq_instance *from, const mq_rocketmq_change *ch)
{
    rocketmq_diff d = diff_of(from, ch);
    return d.edition || d.spec || d.internet || d.bandwidth;
}

/* +1 up, -1 down, 0 unchanged; 0 = unlimited counts as the highest. */
static int cmp_limit(double from, double to)
{
    double a = from > 0 ? from : INFINITY, b = to > 0 ? to : INFINITY;
    return (b > a) - (b < a);
}

int mq_rocketmq_direction(const mq_instance *from, const mq_rocketmq_change *ch)
{
    rocketmq_diff d = diff_of(from, ch);
    int up = 0, down = 0, c;
    if (d.edition) *(edition_rank(ch->edition) > edition_rank(from->edition) ? &up : &down) += 1;
    if (d.spec && (c = cmp_limit(from->spec_tps, ch->spec_tps))) *(c > 0 ? &up : &down) += 1;
    if (d.internet) *(ch->internet ? &up : &down) += 1;
    if (d.bandwidth && (c = cmp_limit(from->bandwidth_mbps, ch->bandwidth_mbps)))
        *(c > 0 ? &up : &down) += 1;
    return up && !down ? 1 : down && !up ? -1 : 0;
}

size_t mq_rocketmq_check(const mq_instance *from, const mq_rocketmq_change *ch,
                         mq_rocketmq_violation *v, size_t max)
{
    size_t n = 0;
    if (mq_rocketmq_serverless(from)) {
        /* only what changes breaks the rule: a target that restates the
        ** current value changes nothing but the edition */
        rocketmq_diff d = diff_of(from, ch);
        const struct { bool has; const char *key, *what; } f[] = {
            {ch->has_sub_category && ch->sub_category != from->sub_category, "to.sub_category",
             "sub-category"},
            {d.spec, "to.spec_tps", "computing specification"},
            {d.internet, "to.internet", "Internet access"},
            {d.bandwidth, "to.bandwidth", "Internet bandwidth"},
        };
        if (ch->has_edition && (edition_rank(from->edition) > 1 || edition_rank(ch->edition) > 1))
            violate(v, max, &n, MQ_ROCKETMQ_SERVERLESS_EDITION, "to.edition",
                    "serverless instances can only change between the Standard and "
                    "Professional editions (%s → %s)", edition_name(from->edition),
                    edition_name(ch->edition));
        for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
            if (f[i].has)
                violate(v, max, &n, MQ_ROCKETMQ_SERVERLESS_ONLY_EDITION, f[i].key,
                        "serverless instances can only change the primary edition; the %s "
                        "cannot be changed", f[i].what);
        }
    } else {
        if (ch->has_edition && edition_rank(ch->edition) < edition_rank(from->edition))
            violate(v, max, &n, MQ_ROCKETMQ_EDITION_DOWNGRADE, "to.edition",
                    "primary edition cannot be downgraded (%s → %s); editions only go up: "
                    "Standard, Professional, Enterprise Platinum",
                    edition_name(from->edition), edition_name(ch->edition));
        if (ch->has_sub_category && from->sub_category == MQ_SUBCAT_NONE)
            violate(v, max, &n, MQ_ROCKETMQ_SUBCATEGORY_UNKNOWN, "to.sub_category",
                    "the sub-category cannot change, and instance.sub_category is not set, so "
                    "%s cannot be checked against it; set instance.sub_category",
                    subcat_name(ch->sub_category));
        else if (ch->has_sub_category && ch->sub_category != from->sub_category)
            violate(v, max, &n, MQ_ROCKETMQ_SUBCATEGORY, "to.sub_category",
                    "sub-category edition cannot change (%s → %s); only the primary edition "
                    "may change within the same sub-category",
                    subcat_name(from->sub_category), subcat_name(ch->sub_category));
        bool internet = ch->has_internet ? ch->internet : from->internet;
        /* any to.bandwidth, 0 (unlimited) included: without access there is none */
        if (ch->has_bandwidth && !internet)
            violate(v, max, &n, MQ_ROCKETMQ_BANDWIDTH_NO_INTERNET, "to.bandwidth",
                    "Internet bandwidth needs Internet access; set to.internet: true or "
                    "remove to.bandwidth");
    }
    if (ch->has_storage)
        violate(v, max, &n, MQ_ROCKETMQ_STORAGE, "to.storage",
                "storage space cannot be changed: it is billed pay-as-you-go; adjust the "
                "message storage duration (run.retention) to control storage usage");
    /* reported alone: a change rejected for another rule is no restart either */
    if (n == 0 && !mq_rocketmq_changes_something(from, ch)) {
        char what[160] = "";
        size_t k = 0;
        if (ch->has_edition)
            k += (size_t)snprintf(what + k, sizeof what - k, "%s%s edition", k ? ", " : "",
                                  edition_name(ch->edition));
        if (ch->has_sub_category && k < sizeof what)
            k += (size_t)snprintf(what + k, sizeof what - k, "%s%s", k ? ", " : "",
                                  subcat_name(ch->sub_category));
        if (ch->has_spec_tps && k < sizeof what)
            k += (size_t)snprintf(what + k, sizeof what - k, "%s%g TPS", k ? ", " : "",
                                  ch->spec_tps);
        if (ch->has_internet && k < sizeof what)
            k += (size_t)snprintf(what + k, sizeof what - k, "%sInternet %s", k ? ", " : "",
                                  ch->internet ? "on" : "off");
        if (ch->has_bandwidth && k < sizeof what)
            snprintf(what + k, sizeof what - k, "%s%g Mbps", k ? ", " : "", ch->bandwidth_mbps);
        bool ep = ch->has_edition && ch->edition != from->edition;
        violate(v, max, &n, MQ_ROCKETMQ_NO_CHANGE, "to",
                "no change: the target (%s) is the instance's current configuration%s; "
                "nothing would be restarted", what,
                ep ? " (Enterprise and Platinum are the same edition, Enterprise Platinum)" : "");
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* timing, warnings, billing                                           */

bool mq_rocketmq_has_http(const mq_scenario *s)
{
    for (size_t i = 0; i < s->nproducers; i++)
        if (s->producers[i].protocol == MQ_PROTO_HTTP) return true;
    for (size_t i = 0; i < s->nconsumers; i++)
        if (s->consumers[i].protocol == MQ_PROTO_HTTP) return true;
    return false;
}

int mq_rocketmq_batches(const mq_scenario *s, const mq_rocketmq_change *ch)
{
    int bs = ch->batch_size > 0 ? ch->batch_size : 1;
    return (int)((s->nbrokers + (size_t)bs - 1) / (size_t)bs);
}

double mq_rocketmq_rolling_len(const mq_scenario *s, const mq_rocketmq_change *ch)
{
    int nb = mq_rocketmq_batches(s, ch);
    return nb > 0 ? (nb - 1) * ch->batch_interval_s + ch->node_downtime_s : 0;
}

double mq_rocketmq_duration(const mq_scenario *s, const mq_rocketmq_change *ch)
{
    double d = mq_rocketmq_rolling_len(s, ch);
    if (mq_rocketmq_has_http(s)) d = fmax(d, ch->http_disruption_s);
    return d;
}

#define WARN(...) do { if (sim_strs_add(out, __VA_ARGS__)) return -1; } while (0)

/* Append ", 'name'" to a list buffer (truncated quietly). */
static void list_add(char *buf, size_t len, const char *name)
{
    size_t n = strlen(buf);
    if (n < len) snprintf(buf + n, len - n, "%s'%s'", n ? ", " : "", name);
}

double mq_rocketmq_send_cover(const mq_producer_group *g)
{
    switch (g->ondown) {
    case MQ_ONDOWN_BUFFER: return INFINITY;
    case MQ_ONDOWN_DROP: return 0;
    case MQ_ONDOWN_RETRY: break;
    }
    return g->retries * (g->send_timeout_s + g->retry_backoff_s);
}

/* Follows models/mq_conn.c's state machine without jitter. */
double mq_rocketmq_cutoff(const mq_reconnect *r, double outage_s)
{
    double t, wait = r->automatic ? r->interval_s : 0;
    if (r->automatic) t = r->interval_s;
    else if (r->app_restart_s >= 0) t = r->app_restart_s;
    else return INFINITY;
    for (int attempts = 1; attempts < 1000000; attempts++) {
        if (t >= outage_s) return t;
        if (r->max_attempts > 0 && attempts >= r->max_attempts) return INFINITY;
        if (wait <= 0) wait = r->interval_s;
        else if (r->backoff == MQ_BACKOFF_EXPONENTIAL)
            wait = fmin(wait * r->multiplier, r->max_interval_s);
        if (wait <= 0) return outage_s; /* attempts without a pause */
        t += wait;
    }
    return INFINITY;
}

void mq_rocketmq_explain_send_loss(const mq_producer_group *g, double outage_s, char *buf,
                                   size_t len)
{
    double gap = g->send_timeout_s + g->retry_backoff_s, cover = mq_rocketmq_send_cover(g);
    char out[48];
    if (isinf(outage_s)) snprintf(out, sizeof out, "an outage that does not end");
    else snprintf(out, sizeof out, "the %.0f s its connection is down", outage_s);
    if (g->ondown == MQ_ONDOWN_DROP)
        snprintf(buf, len, "on_disconnect: drop, nothing retries a failed send; "
                 "on_disconnect: retry with enough retries, or buffer, avoids it");
    else if (g->ondown == MQ_ONDOWN_BUFFER || cover >= outage_s)
        snprintf(buf, len, "its sends outlived their retries while the connection was "
                 "down (%s); on_disconnect: buffer avoids it", out);
    else if (gap <= 0)
        snprintf(buf, len, "retries %d with send_timeout and retry_backoff 0 s are spent at "
                 "once; a retry_backoff, or on_disconnect: buffer, avoids it", g->retries);
    else if (isinf(outage_s))
        snprintf(buf, len, "retries %d x (send_timeout %g s + retry_backoff %g s) = %g s "
                 "cannot outlast %s; on_disconnect: buffer keeps the sends", g->retries,
                 g->send_timeout_s, g->retry_backoff_s, cover, out);
    else
        snprintf(buf, len, "retries %d x (send_timeout %g s + retry_backoff %g s) = %g s keep "
                 "a send alive, less than %s; retries >= %.0f, or on_disconnect: buffer, "
                 "avoids it", g->retries, g->send_timeout_s, g->retry_backoff_s, cover, out,
                 ceil(outage_s / gap));
}

void mq_rocketmq_explain_reconnect(const mq_reconnect *r, char *buf, size_t len)
{
    if (!r->automatic && r->app_restart_s < 0)
        snprintf(buf, len, "reconnect.automatic is false and the application is never "
                 "restarted (reconnect.app_restart); automatic reconnection avoids it");
    else if (!r->automatic)
        snprintf(buf, len, "reconnect.automatic is false: only the application's restart "
                 "after reconnect.app_restart (%g s) brings it back", r->app_restart_s);
    else if (r->max_attempts > 0)
        snprintf(buf, len, "reconnect.max_attempts %d: it gives up after %d attempt%s, "
                 "%g s apart at first; max_attempts: 0 (unlimited) avoids it",
                 r->max_attempts, r->max_attempts, r->max_attempts == 1 ? "" : "s",
                 r->interval_s);
    else if (r->backoff == MQ_BACKOFF_EXPONENTIAL)
        snprintf(buf, len, "its reconnect back-off grows from reconnect.interval %g s "
                 "x%g up to reconnect.max_interval %g s, so it tries again long after the "
                 "outage ends; a lower max_interval shortens it", r->interval_s,
                 r->multiplier, r->max_interval_s);
    else
        snprintf(buf, len, "reconnect.interval %g s between attempts", r->interval_s);
}

/* HTTP groups (seed line 41): how long each stays cut off by the
** disruption, and whether a producer's retries outlast it. A public-endpoint
** group of an instance without Internet access is not connected when the
** disruption comes: the Internet warning below names it instead. */
static int http_warnings(const mq_scenario *s, const mq_rocketmq_change *ch, sim_strs *out)
{
    double d = ch->http_disruption_s;
    char why[400];
    for (size_t k = 0; k < s->nproducers + s->nconsumers; k++) {
        bool prod = k < s->nproducers;
        const mq_producer_group *pg = prod ? &s->producers[k] : NULL;
        const mq_consumer_group *cg = prod ? NULL : &s->consumers[k - s->nproducers];
        if ((prod ? pg->protocol : cg->protocol) != MQ_PROTO_HTTP) continue;
        if (!s->instance.internet && (prod ? pg->endpoint : cg->endpoint) == MQ_EP_PUBLIC)
            continue;
        const mq_reconnect *r = prod ? &pg->reconnect : &cg->reconnect;
        const char *name = prod ? pg->name : cg->name;
        double cut = mq_rocketmq_cutoff(r, d);
        if (cut > 60) {
            mq_rocketmq_explain_reconnect(r, why, sizeof why);
            char len_s[48];
            if (isinf(cut)) snprintf(len_s, sizeof len_s, "for good");
            else snprintf(len_s, sizeof len_s, "for about %.0f s%s", cut,
                          r->jitter > 0 ? " (before jitter)" : "");
            WARN("HTTP client group '%s' stays cut off %s by the %g s HTTP disruption, over "
                 "the 1 min the seed states for the service: %s", name, len_s, d, why);
        }
        if (prod && mq_rocketmq_send_cover(pg) < cut) {
            mq_rocketmq_explain_send_loss(pg, cut, why, sizeof why);
            WARN("HTTP producer group '%s' will lose sends to the %g s HTTP disruption: %s",
                 name, d, why);
        }
    }
    return 0;
}

/* A TCP group that goes down with its broker and whose reconnect settings
** keep it away over a minute (outage: the downtime, plus for consumers the
** wait for the next rebalance). */
static int restart_cutoff_warning(const char *name, const mq_reconnect *r, double outage_s,
                                  sim_strs *out)
{
    double cut = mq_rocketmq_cutoff(r, outage_s);
    if (cut <= 60) return 0;
    char why[300], len_s[48];
    mq_rocketmq_explain_reconnect(r, why, sizeof why);
    if (isinf(cut)) snprintf(len_s, sizeof len_s, "for good");
    else snprintf(len_s, sizeof len_s, "for about %.0f s%s", cut,
                  r->jitter > 0 ? " (before jitter)" : "");
    WARN("client group '%s' stays cut off %s after its broker restarts, where the seed "
         "expects transient disconnects: %s", name, len_s, why);
    return 0;
}

/* TCP producers that cannot fail over (one broker, retries: 0, or a batch
** that takes every broker down) go down with their broker; TCP consumers
** always do. */
static int restart_warnings(const mq_scenario *s, const mq_rocketmq_change *ch, sim_strs *out)
{
    bool all_down = (size_t)ch->batch_size >= s->nbrokers;
    char why[400];
    for (size_t g = 0; g < s->nconsumers; g++) {
        const mq_consumer_group *cg = &s->consumers[g];
        if (cg->protocol == MQ_PROTO_TCP &&
            restart_cutoff_warning(cg->name, &cg->reconnect,
                                   ch->node_downtime_s + cg->rebalance_s, out) < 0)
            return -1;
    }
    for (size_t g = 0; g < s->nproducers; g++) {
        const mq_producer_group *pg = &s->producers[g];
        if (pg->protocol != MQ_PROTO_TCP || (!all_down && pg->retries > 0)) continue;
        if (restart_cutoff_warning(pg->name, &pg->reconnect, ch->node_downtime_s, out) < 0)
            return -1;
        double cut = mq_rocketmq_cutoff(&pg->reconnect, ch->node_downtime_s);
        if (mq_rocketmq_send_cover(pg) >= cut) continue;
        mq_rocketmq_explain_send_loss(pg, cut, why, sizeof why);
        WARN("producer group '%s' can lose sends while its broker restarts (%g s down): %s; %s",
             pg->name, ch->node_downtime_s,
             s->nbrokers == 1 ? "a one-broker (Standalone) instance has no other broker to "
                                "fail over to"
             : all_down ? "rolling.batch_size restarts every broker at once"
                        : "with retries: 0 it does not fail over to another broker",
             why);
    }
    return 0;
}

/* The seed's advice (lines 45, 47, 55, 56) and a price table that
** contradicts the change's direction. */
static int advice(const mq_scenario *s, const mq_rocketmq_change *ch, sim_strs *out)
{
    double t0 = ch->at_s, t1 = ch->at_s + mq_rocketmq_duration(s, ch);
    WARN("advice (seed: Important): set up CloudMonitor alerts on critical business metrics "
         "before the change starts (t = %.0f s), for real-time visibility into the instance "
         "during it", t0);
    WARN("advice (seed: Important): do not create, delete or modify topics or groups in the "
         "console while the change runs (t = %.0f-%.0f s)", t0, t1);
    mq_billing method = mq_rocketmq_serverless(&s->instance) ? MQ_BILL_SERVERLESS
                                                             : s->instance.billing;
    if (method == MQ_BILL_PAYG)
        WARN("advice (seed: Billing impact): pay-as-you-go charges the new configuration "
             "from the change on; make sure the Alibaba Cloud account has a sufficient "
             "balance");
    else if (method == MQ_BILL_SERVERLESS)
        WARN("advice (seed: Billing impact): serverless charges the current cycle at the "
             "highest specification used, the new rules from the next cycle; make sure the "
             "Alibaba Cloud account has a sufficient balance");
    const mq_rocketmq_billing *b = &ch->billing;
    int dir = mq_rocketmq_direction(&s->instance, ch);
    if (b->present && dir != 0 && (dir > 0 ? b->price_to < b->price_from
                                           : b->price_to > b->price_from))
        WARN("rocketmq_change.billing (line %d): the change is %s but price_per_month goes "
             "from %g to %g %s, so the billing delta is %s; check the price table",
             b->loc.line, dir > 0 ? "an upgrade" : "a downgrade", b->price_from, b->price_to,
             b->currency, dir > 0 ? "a refund (or 0) for an upgrade"
                                  : "a payment for a downgrade");
    return 0;
}

int mq_rocketmq_warnings(const mq_scenario *s, const mq_rocketmq_change *ch, sim_strs *out)
{
    double t0 = ch->at_s, t1 = ch->at_s + mq_rocketmq_duration(s, ch);
    for (size_t i = 0; i < s->nevents; i++) {
        const mq_event *ev = &s->events[i];
        if (ev->type != MQ_EVENT_RESOURCE_OP || ev->at_s < t0 || ev->at_s > t1) continue;
        WARN("events[%zu] (line %d): resource operation '%s' at %.0f s falls inside the "
             "change window (%.0f-%.0f s); do not create, delete or modify topics or "
             "groups while the change is in progress", i, ev->loc.line,
             ev->label ? ev->label : "resource_op", ev->at_s, t0, t1);
    }
    char list[512] = "";
    for (size_t i = 0; i < s->nconsumers; i++)
        if (!s->consumers[i].idempotent) list_add(list, sizeof list, s->consumers[i].name);
    if (*list)
        WARN("consumer groups %s have no message idempotence (idempotent: false) while the "
             "change is expected to duplicate messages; implement idempotence before the "
             "change", list);
    if (mq_rocketmq_has_http(s) && http_warnings(s, ch, out) < 0) return -1;
    if (ch->http_disruption_s >= 60)
        WARN("rocketmq_change.http_disruption %.0f s is not below 1 min, the documented "
             "bound (model-reference #27)", ch->http_disruption_s);
    if (restart_warnings(s, ch, out) < 0) return -1;
    bool off_now = !s->instance.internet, off_after = ch->has_internet && !ch->internet;
    if (off_now || (off_after && s->instance.internet)) {
        long n = 0;
        list[0] = '\0';
        for (size_t i = 0; i < s->nproducers; i++)
            if (s->producers[i].endpoint == MQ_EP_PUBLIC) {
                n += s->producers[i].count;
                list_add(list, sizeof list, s->producers[i].name);
            }
        for (size_t i = 0; i < s->nconsumers; i++)
            if (s->consumers[i].endpoint == MQ_EP_PUBLIC) {
                n += s->consumers[i].count;
                list_add(list, sizeof list, s->consumers[i].name);
            }
        if (n > 0 && !off_now)
            WARN("SEVERE RISK: disabling Internet access cuts off %ld clients that use the "
                 "public endpoint, for good (groups %s)", n, list);
        else if (n > 0)
            WARN("SEVERE RISK: the instance has no Internet access (instance.internet: false), "
                 "so %ld clients that use the public endpoint cannot connect %s (groups %s)",
                 n, ch->has_internet && ch->internet
                        ? "until the change that enables it completes" : "at all", list);
    }
    double peak = mq_scenario_peak_rate(s);
    if (ch->has_spec_tps && ch->spec_tps > 0 && peak > ch->spec_tps)
        WARN("the new computing specification (%g TPS) is below the offered peak load "
             "(%g msg/s): sends will be throttled; the SDK retries them with its back-off and "
             "throws after its retries, so sends will be lost", ch->spec_tps,
             peak);
    return advice(s, ch, out);
}

double mq_rocketmq_billing_delta(mq_billing method, const mq_rocketmq_billing *b)
{
    if (!b->present) return NAN;
    switch (method) {
    case MQ_BILL_SUBSCRIPTION:
        return (b->price_to - b->price_from) * (b->cycle_months - b->elapsed_months);
    case MQ_BILL_PAYG:
        return 0;
    case MQ_BILL_SERVERLESS:
        return (fmax(b->price_from, b->price_to) - b->price_from) * b->cycle_months;
    }
    return NAN;
}

