/*
** scn_rabbitmq.c - load and check the `rabbitmq_conversion:` section (see
** scn_rabbitmq.h).
**
** The rules, in the seed's words (rabbitmq-shared-dedicated-conversion.txt):
**   - series: subscription = professional, enterprise (shared) and platinum
**     (dedicated); serverless = shared and dedicated;
**   - no conversion across series (subscription <-> serverless);
**   - the instance is serverless by series or by serverless billing;
**     to.series and to.billing must name its series;
**   - the target in the same deployment is a spec change within the series
**     ("smooth"): simulated with no migration, its migration keys ignored
**     with a warning;
**   - to.spec_tps (default: instance.spec_tps): an upgrade never lowers it;
**   - source_stop defaults to the seed's (existing connections are not
**     disconnected); reset and silent warn that they go beyond it;
**   - only an instance that is in service can be converted;
**   - older subscription instances may fail the change: a warning.
** Every error names the key at fault with its line:col. The few numbers the
** seed does not give (creation time, phase lengths, PrivateLink outage)
** have defaults marked as assumptions in docs/SCENARIO.md.
*/
#include "io/change/scn_rabbitmq.h"
#include "io/out_json.h"

#include "io/scn_schema.h"
#include "io/units.h"
#include "models/change/mq_rabbitmq.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER)
#define QTY(key, st, m) CYAML_FIELD_STRING_PTR(key, OPT, st, m, 1, 64)
#define ENUM_OPT(key, st, m, tab) \
    CYAML_FIELD_ENUM_PTR(key, OPT | CYAML_FLAG_STRICT, st, m, tab, CYAML_ARRAY_LEN(tab))

#define DAY 86400.0
#define SEC "rabbitmq_conversion"

/* ---- schema ------------------------------------------------------------ */

static const cyaml_strval_t age_strs[] = {{"new", 0}, {"old", 1}};
static const cyaml_strval_t stop_strs[] = {
    {"reset", MQ_RB_STOP_RESET}, {"silent", MQ_RB_STOP_SILENT}, {"serve", MQ_RB_STOP_SERVE},
};
static const cyaml_strval_t when_strs[] = {
    {"start", MQ_RB_WHEN_START}, {"source_stop", MQ_RB_WHEN_SOURCE_STOP},
};
static const cyaml_strval_t dist_strs[] = {
    {"constant", SIM_DIST_CONSTANT}, {"uniform", SIM_DIST_UNIFORM},
    {"exponential", SIM_DIST_EXPONENTIAL},
};

static const cyaml_schema_field_t to_fields[] = {
    ENUM_OPT("edition", scn_raw_rb_to, edition, scn_edition_strs),
    ENUM_OPT("series", scn_raw_rb_to, series, scn_series_strs),
    ENUM_OPT("deployment", scn_raw_rb_to, deployment, scn_deploy_strs),
    ENUM_OPT("billing", scn_raw_rb_to, billing, scn_billing_strs),
    QTY("spec_tps", scn_raw_rb_to, spec_tps),
    CYAML_FIELD_END
};
static const cyaml_schema_field_t dest_fields[] = {
    QTY("create_time", scn_raw_rb_dest, create_time),
    QTY("capacity_tps", scn_raw_rb_dest, capacity_tps),
    QTY("other_tenants_tps", scn_raw_rb_dest, other_tenants_tps),
    CYAML_FIELD_END
};
static const cyaml_schema_field_t phases_fields[] = {
    QTY("dual_write", scn_raw_rb_phases, dual_write),
    QTY("single_write", scn_raw_rb_phases, single_write),
    CYAML_FIELD_END
};
static const cyaml_schema_field_t dist_fields[] = {
    CYAML_FIELD_ENUM("dist", CYAML_FLAG_STRICT, scn_raw_rb_dist, dist, dist_strs,
                     CYAML_ARRAY_LEN(dist_strs)),
    QTY("value", scn_raw_rb_dist, value),
    QTY("min", scn_raw_rb_dist, min),
    QTY("max", scn_raw_rb_dist, max),
    QTY("mean", scn_raw_rb_dist, mean),
    CYAML_FIELD_END
};
static const cyaml_schema_field_t at_fields[] = {
    CYAML_FIELD_STRING_PTR("at", CYAML_FLAG_POINTER, scn_raw_rb_at, at, 1, 64),
    CYAML_FIELD_END
};

const cyaml_schema_field_t scn_rabbitmq_fields[] = {
    CYAML_FIELD_STRING_PTR("at", CYAML_FLAG_POINTER, scn_raw_rabbitmq, at, 1, 64),
    CYAML_FIELD_MAPPING_PTR("to", CYAML_FLAG_POINTER, scn_raw_rabbitmq, to, to_fields),
    ENUM_OPT("instance_age", scn_raw_rabbitmq, instance_age, age_strs),
    CYAML_FIELD_MAPPING_PTR("destination", OPT, scn_raw_rabbitmq, destination, dest_fields),
    CYAML_FIELD_MAPPING_PTR("phases", OPT, scn_raw_rabbitmq, phases, phases_fields),
    CYAML_FIELD_MAPPING_PTR("privatelink_outage", OPT, scn_raw_rabbitmq, privatelink_outage,
                            dist_fields),
    ENUM_OPT("source_stop", scn_raw_rabbitmq, source_stop, stop_strs),
    ENUM_OPT("server_disconnect", scn_raw_rabbitmq, server_disconnect, when_strs),
    CYAML_FIELD_MAPPING_PTR("source_upgrade_disconnect", OPT, scn_raw_rabbitmq,
                            source_upgrade_disconnect, at_fields),
    CYAML_FIELD_END
};

/* ---- error helpers ----------------------------------------------------- */

typedef scn_change_ctx rctx;

/* Report at path (its value for scalars, its key for collections; the
** nearest enclosing node when absent): scn_change_fail. */
#define fail(c, path, ...) scn_change_fail((c)->file, (c)->idx, (c)->err, path, __VA_ARGS__)

/* A warning at path (as fail() locates it), appended to s->warnings. */
__attribute__((format(printf, 4, 5)))
static int warn(const rctx *c, mq_scenario *s, const char *path, const char *fmt, ...)
{
    const scn_node *nd = scn_index_get(c->idx, path);
    int line = nd ? (nd->kind == SCN_SCALAR ? nd->line : nd->kline) : 0;
    int col = nd ? (nd->kind == SCN_SCALAR ? nd->col : nd->kcol) : 0;
    char msg[SIM_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (sim_strs_add(&s->warnings, "%s:%d:%d: %s: %s", c->file, line, col, path, msg) < 0)
        sim_oom(__FILE__, __LINE__, "out of memory");
    return 0;
}

static int dur(const rctx *c, const char *path, const char *text, double lo, double hi,
               double dflt, double *out)
{
    if (!text) {
        *out = dflt;
        return 0;
    }
    sim_err e;
    if (units_duration(text, out, &e) < 0) return fail(c, path, "%s", e.msg);
    if (*out < lo || *out > hi) {
        char a[32], b[32];
        units_format_duration(lo, a, sizeof a);
        units_format_duration(hi, b, sizeof b);
        return fail(c, path, "%s is out of range; expected %s..%s", text, a, b);
    }
    return 0;
}

static int num(const rctx *c, const char *path, const char *text, double dflt, double *out)
{
    if (!text) {
        *out = dflt;
        return 0;
    }
    sim_err e;
    if (units_number(text, out, &e) < 0) return fail(c, path, "%s", e.msg);
    if (*out < 0 || *out > 1e9)
        return fail(c, path, "%s is out of range; expected 0..1e9 msg/s", text);
    return 0;
}

static const char *edition_name(mq_edition e) { return SCN_ENUM_STR(scn_edition_strs, e, "?"); }
static const char *deploy_name(mq_deploy d) { return SCN_ENUM_STR(scn_deploy_strs, d, "?"); }
static const char *series_name(mq_series s) { return SCN_ENUM_STR(scn_series_strs, s, "?"); }

/* The series a billing method belongs to: serverless billing is the
** serverless series; subscription and pay-as-you-go are not. */
static mq_series billing_series(mq_billing b)
{
    return b == MQ_BILL_SERVERLESS ? MQ_SERIES_SERVERLESS : MQ_SERIES_SUBSCRIPTION;
}

/* Deployment of a subscription edition (seed: Professional and Enterprise
** are shared, Platinum is dedicated). */
static int edition_deploy(const rctx *c, const char *path, mq_edition e, mq_deploy *out)
{
    if (mq_subscription_deployment(e, out)) return 0;
    return fail(c, path, "%s", MQ_NOT_A_SUBSCRIPTION_EDITION);
}

/* ---- the rules ---------------------------------------------------------- */

static int source_side(const rctx *c, const mq_scenario *s, mq_series *series,
                       mq_deploy *from)
{
    const mq_instance *in = &s->instance;
    if (in->kind != MQ_KIND_RABBITMQ)
        return fail(c, SEC, "a shared <-> dedicated conversion applies to rabbitmq "
                    "instances only; instance.kind is rocketmq");
    if (in->state != MQ_STATE_IN_SERVICE) {
        const scn_node *nd = scn_index_get(c->idx, "instance.state");
        return fail(c, "instance.state", "only an instance that is in service can be "
                    "converted; the instance is '%s'", nd && nd->value ? nd->value : "other");
    }
    *series = in->series; /* the loader makes series and billing agree, */
    *from = in->deployment; /* and a subscription edition and its deployment */
    return 0;
}

static int cross_series(const rctx *c, const char *path, mq_series from, mq_series to)
{
    return fail(c, path, "cross-series conversion is not supported: the instance is %s and "
                "the target %s; only shared <-> dedicated within one series (different "
                "specifications within a series change smoothly)", series_name(from),
                series_name(to));
}

static int target_side(const rctx *c, const mq_scenario *s, const scn_raw_rb_to *to,
                       mq_series series, mq_deploy from, mq_rabbitmq_conversion *cv)
{
    if (to->series && (mq_series)*to->series != series)
        return cross_series(c, SEC ".to.series", series, (mq_series)*to->series);
    if (to->billing && billing_series((mq_billing)*to->billing) != series)
        return cross_series(c, SEC ".to.billing", series,
                            billing_series((mq_billing)*to->billing));
    cv->series = series;
    mq_deploy target = MQ_DEPLOY_SHARED;
    if (series == MQ_SERIES_SUBSCRIPTION) {
        if (!to->edition && !to->deployment)
            return fail(c, SEC ".to", "a subscription target needs 'edition' "
                        "(professional, enterprise: shared; platinum: dedicated)");
        if (to->edition) {
            cv->to_edition = (mq_edition)*to->edition;
            if (edition_deploy(c, SEC ".to.edition", cv->to_edition, &target) < 0) return -1;
            if (to->deployment && (mq_deploy)*to->deployment != target)
                return fail(c, SEC ".to.deployment", "the %s edition is %s, not %s",
                            edition_name(cv->to_edition), deploy_name(target),
                            deploy_name((mq_deploy)*to->deployment));
        } else {
            target = (mq_deploy)*to->deployment;
            cv->to_edition = target == MQ_DEPLOY_DEDICATED ? MQ_EDITION_PLATINUM
                                                           : MQ_EDITION_PROFESSIONAL;
        }
    } else {
        if (to->edition)
            return fail(c, SEC ".to.edition", "editions belong to the subscription series; "
                        "a serverless target names its deployment (shared or dedicated)");
        if (!to->deployment)
            return fail(c, SEC ".to", "a serverless target needs 'deployment' "
                        "(shared or dedicated)");
        target = (mq_deploy)*to->deployment;
        cv->to_edition = s->instance.edition;
    }
    /* Seed: "different specifications within the same instance series
    ** support smooth upgrade or downgrade": no migration. */
    cv->migrates = target != from;
    cv->from = from;
    cv->to = target;
    return 0;
}

/* The instance's spec before and after (to.spec_tps; default: the current
** one). An upgrade never lowers it. */
static int spec_side(const rctx *c, mq_scenario *s, const scn_raw_rb_to *to,
                     mq_rabbitmq_conversion *cv)
{
    cv->from_tps = s->instance.spec_tps;
    if (num(c, SEC ".to.spec_tps", to->spec_tps, cv->from_tps, &cv->to_tps) < 0) return -1;
    bool upgrade = cv->migrates && cv->from == MQ_DEPLOY_SHARED;
    bool lower = cv->to_tps > 0 && (cv->from_tps <= 0 || cv->to_tps < cv->from_tps);
    if (upgrade && lower && cv->from_tps > 0)
        return fail(c, SEC ".to.spec_tps", "an upgrade never lowers the specification: %g "
                    "msg/s is below instance.spec_tps (%g msg/s)", cv->to_tps, cv->from_tps);
    if (upgrade && lower &&
        warn(c, s, SEC ".to.spec_tps", "instance.spec_tps is not set (unlimited): the "
             "destination's %g msg/s limits sends the source admitted without limit",
             cv->to_tps) < 0)
        return -1;
    double peak = mq_scenario_peak_rate(s);
    if (cv->to_tps > 0 && peak > cv->to_tps && cv->to_tps != cv->from_tps &&
        warn(c, s, SEC ".to.spec_tps", "the new spec (%g msg/s) is below the offered peak "
             "(%g msg/s): sends %s are throttled", cv->to_tps, peak,
             cv->migrates ? "stored on the destination" : "after the change") < 0)
        return -1;
    if (cv->from_tps > 0 && peak > cv->from_tps &&
        warn(c, s, "instance.spec_tps", "the offered peak (%g msg/s) exceeds the instance's "
             "spec (%g msg/s): sends stored on the source are throttled from t = 0",
             peak, cv->from_tps) < 0)
        return -1;
    if (!cv->migrates && to->spec_tps == NULL && cv->to_edition == s->instance.edition &&
        warn(c, s, SEC ".to", "the target has the instance's deployment, edition and "
             "specification: nothing changes") < 0)
        return -1;
    return 0;
}

static int outage_dist(const rctx *c, const scn_raw_rb_dist *d, sim_dist *out)
{
    const char *b = SEC ".privatelink_outage";
    char p[128];
    double a = 0, z = 0;
    switch ((sim_dist_kind)d->dist) {
    case SIM_DIST_CONSTANT:
        if (!d->value) return fail(c, b, "a constant distribution needs 'value'");
        snprintf(p, sizeof p, "%s.value", b);
        if (dur(c, p, d->value, 0, DAY, 0, &a) < 0) return -1;
        *out = sim_dist_constant(a);
        return 0;
    case SIM_DIST_EXPONENTIAL:
        if (!d->mean) return fail(c, b, "an exponential distribution needs 'mean'");
        snprintf(p, sizeof p, "%s.mean", b);
        if (dur(c, p, d->mean, 1e-3, DAY, 0, &a) < 0) return -1;
        *out = sim_dist_exponential(a);
        return 0;
    case SIM_DIST_UNIFORM:
        if (!d->min || !d->max) return fail(c, b, "a uniform distribution needs 'min' and 'max'");
        snprintf(p, sizeof p, "%s.min", b);
        if (dur(c, p, d->min, 0, DAY, 0, &a) < 0) return -1;
        snprintf(p, sizeof p, "%s.max", b);
        if (dur(c, p, d->max, 0, DAY, 0, &z) < 0) return -1;
        if (z < a) return fail(c, p, "max (%s) is below min (%s)", d->max, d->min);
        *out = sim_dist_uniform(a, z);
        return 0;
    default:
        return fail(c, b, "unsupported distribution (constant, uniform or exponential)");
    }
}

/* Record every default of the block that the scenario relied on, with its
** source (the same words as docs/SCENARIO.md's table). */
static int record_defaults(mq_scenario *s, const scn_raw_rabbitmq *raw, const scn_raw_rb_dest *d,
                           const scn_raw_rb_phases *ph, bool upgrade)
{
    const mq_rabbitmq_conversion *cv = mq_rabbitmq_of(s);
    char a[32], b[32], v[80];
    struct { bool absent; const char *key; double secs; const char *text; const char *source; } t[] = {
        {upgrade && !d->create_time, "destination.create_time", cv->create_s, NULL,
         "assumption (the seed gives no figure)"},
        {!d->capacity_tps, "destination.capacity_tps", NAN,
         upgrade ? "instance.spec_tps" : "0 (unlimited)",
         upgrade ? "seed: capacity follows the new spec"
                 : "assumption: the shared cluster does not limit this instance"},
        {!ph->dual_write, "phases.dual_write", cv->dual_write_s, NULL, "assumption"},
        {!ph->single_write, "phases.single_write", cv->single_write_s, NULL, "assumption"},
        {!raw->privatelink_outage, "privatelink_outage", NAN, NULL,
         "assumption: model-reference #28 is U (\"several minutes\")"},
        {!raw->source_stop, "source_stop", NAN, SCN_ENUM_STR(stop_strs, cv->source_stop, "?"),
         "assumption (the seed only says they must reconnect)"},
        {!upgrade && !raw->server_disconnect, "server_disconnect", NAN, "start",
         "assumption: at the start of phase 1"},
    };
    units_format_duration(120, a, sizeof a);
    units_format_duration(300, b, sizeof b);
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        if (!t[i].absent) continue;
        const char *text = t[i].text;
        if (!isnan(t[i].secs)) units_format_duration(t[i].secs, v, sizeof v), text = v;
        else if (!text) snprintf(v, sizeof v, "uniform %s..%s", a, b), text = v;
        char key[96];
        snprintf(key, sizeof key, SEC ".%s", t[i].key);
        if (mq_scenario_add_default(s, key, text, t[i].source)) return -1;
    }
    return 0;
}

/* A specification change within one deployment: the migration's keys do
** not apply (a warning each, so a conversion turned into a spec change
** still runs); only `at` and the target matter. */
static int spec_change_only(const rctx *c, mq_scenario *s, const scn_raw_rabbitmq *raw)
{
    static const char *const keys[] = {"destination", "phases", "privatelink_outage",
                                       "source_stop", "server_disconnect",
                                       "source_upgrade_disconnect"};
    const void *set[] = {raw->destination, raw->phases, raw->privatelink_outage,
                         raw->source_stop, raw->server_disconnect,
                         raw->source_upgrade_disconnect};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char p[96];
        snprintf(p, sizeof p, SEC ".%s", keys[i]);
        if (set[i] && warn(c, s, p, "ignored: a specification change within one "
                           "deployment has no migration") < 0)
            return -1;
    }
    mq_rabbitmq_conversion *cv = mq_rabbitmq_of(s);
    cv->source_stop = MQ_RB_STOP_SERVE;
    cv->source_upgrade_at_s = -1;
    return 0;
}

static int load(const char *file, const scn_index *idx, const void *raw_v, mq_scenario *s,
                sim_err *err)
{
    const scn_raw_rabbitmq *raw = raw_v;
    rctx c = {file, idx, err};
    mq_rabbitmq_conversion *cv = calloc(1, sizeof *cv);
    SIM_NEED(cv != NULL, "out of memory");
    s->change = (mq_change){&mq_rabbitmq_ops, cv}; /* owned by s from here, even on error */
    cv->loc = (mq_loc){0, 0};
    const scn_node *nd = scn_index_get(idx, SEC);
    if (nd) cv->loc = (mq_loc){nd->kline, nd->kcol};

    mq_deploy from = MQ_DEPLOY_SHARED;
    mq_series series = MQ_SERIES_SUBSCRIPTION;
    if (source_side(&c, s, &series, &from) < 0 ||
        target_side(&c, s, raw->to, series, from, cv) < 0 || spec_side(&c, s, raw->to, cv) < 0)
        return -1;
    bool upgrade = from == MQ_DEPLOY_SHARED;

    if (dur(&c, SEC ".at", raw->at, 0, s->run.duration_s, 0, &cv->at_s) < 0) return -1;
    cv->old_instance = raw->instance_age && *raw->instance_age == 1;
    if (cv->old_instance && cv->series == MQ_SERIES_SUBSCRIPTION &&
        sim_strs_add(&s->warnings, "%s:%d:%d: %s.instance_age: older subscription instances "
                     "might encounter errors during the conversion; if it cannot be "
                     "performed, a ticket is needed (the simulated timeline assumes it runs)",
                     file, cv->loc.line, cv->loc.col, SEC) < 0)
        sim_oom(__FILE__, __LINE__, "out of memory");

    if (!cv->migrates) return spec_change_only(&c, s, raw);

    const scn_raw_rb_dest *d = raw->destination;
    static const scn_raw_rb_dest none = {0};
    if (!d) d = &none;
    if (!upgrade && d->create_time)
        return fail(&c, SEC ".destination.create_time", "a downgrade moves into the existing "
                    "shared cluster; only an upgrade creates a new (dedicated) cluster");
    if (upgrade && d->other_tenants_tps)
        return fail(&c, SEC ".destination.other_tenants_tps", "an upgrade gets a new "
                    "dedicated cluster; other tenants share the destination only in a downgrade");
    if (dur(&c, SEC ".destination.create_time", d->create_time, 0, DAY, 600, &cv->create_s) < 0 ||
        num(&c, SEC ".destination.capacity_tps", d->capacity_tps, 0, &cv->capacity_tps) < 0 ||
        num(&c, SEC ".destination.other_tenants_tps", d->other_tenants_tps, 0,
            &cv->other_tenants_tps) < 0)
        return -1;
    if (!upgrade) cv->create_s = 0;
    if (cv->other_tenants_tps > 0 && cv->capacity_tps <= 0)
        return fail(&c, SEC ".destination.other_tenants_tps", "other tenants take capacity "
                    "from a limited cluster: set destination.capacity_tps (the shared "
                    "cluster's capacity available to this instance)");
    if (cv->capacity_tps > 0 && cv->other_tenants_tps >= cv->capacity_tps)
        return fail(&c, SEC ".destination.other_tenants_tps", "other tenants (%g msg/s) take "
                    "all of the destination's capacity (%g msg/s)", cv->other_tenants_tps,
                    cv->capacity_tps);

    const scn_raw_rb_phases *ph = raw->phases;
    static const scn_raw_rb_phases noph = {0};
    if (!ph) ph = &noph;
    if (dur(&c, SEC ".phases.dual_write", ph->dual_write, 0, 30 * DAY, 120, &cv->dual_write_s) < 0 ||
        dur(&c, SEC ".phases.single_write", ph->single_write, 0, 30 * DAY, 60,
            &cv->single_write_s) < 0)
        return -1;

    cv->privatelink_outage = sim_dist_uniform(120, 300);
    if (raw->privatelink_outage && outage_dist(&c, raw->privatelink_outage,
                                               &cv->privatelink_outage) < 0)
        return -1;
    /* Seed: PrivateLink connections "experience disconnections lasting
    ** several minutes"; a shorter outage is a what-if, said so */
    const sim_dist *po = &cv->privatelink_outage;
    double shortest = po->kind == SIM_DIST_EXPONENTIAL ? 0 : po->p1;
    if (shortest < 60 &&
        warn(&c, s, SEC ".privatelink_outage", "can be shorter than a minute (%g s at the "
             "least), while the document says PrivateLink connections are disconnected for "
             "several minutes during the migration: a what-if beyond the document", shortest) < 0)
        return -1;
    double left = cv->capacity_tps > 0 ? cv->capacity_tps - cv->other_tenants_tps : 0;
    double peak = mq_scenario_peak_rate(s);
    if (upgrade && cv->capacity_tps > 0 && (cv->from_tps <= 0 || cv->capacity_tps < cv->from_tps) &&
        warn(&c, s, SEC ".destination.capacity_tps", "the dedicated cluster (%g msg/s) has less "
             "capacity than the instance had (%s): an upgrade that lowers capacity",
             cv->capacity_tps, cv->from_tps > 0 ? "its spec_tps" : "unlimited") < 0)
        return -1;
    if (left > 0 && peak > left &&
        warn(&c, s, SEC ".destination", "the destination cluster has %g msg/s left for this "
             "instance, below the offered peak (%g msg/s): sends stored there are throttled",
             left, peak) < 0)
        return -1;
    /* Seed (shared -> dedicated): "the server-side does not actively
    ** disconnect existing connections" */
    cv->source_stop = raw->source_stop ? (mq_rb_stop)*raw->source_stop : MQ_RB_STOP_SERVE;
    if (upgrade && cv->source_stop != MQ_RB_STOP_SERVE &&
        warn(&c, s, SEC ".source_stop", "'%s' is a what-if beyond the document, which says "
             "the server does not actively disconnect existing connections in a shared -> "
             "dedicated conversion (the default, 'serve', follows it)",
             SCN_ENUM_STR(stop_strs, cv->source_stop, "?")) < 0)
        return -1;
    if (raw->server_disconnect && upgrade)
        return fail(&c, SEC ".server_disconnect", "applies to a downgrade (dedicated -> "
                    "shared); in an upgrade the server does not move existing connections");
    cv->server_disconnect =
        raw->server_disconnect ? (mq_rb_when)*raw->server_disconnect : MQ_RB_WHEN_START;
    if (!upgrade && cv->source_stop == MQ_RB_STOP_SILENT &&
        cv->server_disconnect == MQ_RB_WHEN_SOURCE_STOP &&
        warn(&c, s, SEC ".source_stop", "'silent' is a what-if beyond the document, which says "
             "the server actively disconnects the source's connections in a dedicated -> "
             "shared conversion") < 0)
        return -1;
    cv->source_upgrade_at_s = -1;
    if (raw->source_upgrade_disconnect &&
        dur(&c, SEC ".source_upgrade_disconnect.at", raw->source_upgrade_disconnect->at, 0,
            s->run.duration_s, 0, &cv->source_upgrade_at_s) < 0)
        return -1;
    /* the document's source upgrade happens during the migration: before
    ** it begins (phase 1, after the destination's creation), a reset
    ** reconnects to the source and migrates nobody */
    if (cv->source_upgrade_at_s >= 0 && cv->source_upgrade_at_s < cv->at_s + cv->create_s) {
        char begin[32];
        units_format_duration(cv->at_s + cv->create_s, begin, sizeof begin);
        return fail(&c, SEC ".source_upgrade_disconnect.at", "%s is before the migration "
                    "begins (" SEC ".at%s: %s); a source-cluster upgrade moves connections "
                    "only once the migration has begun, before that a reset reconnects them "
                    "to the source", raw->source_upgrade_disconnect->at,
                    cv->create_s > 0 ? " + destination.create_time" : "", begin);
    }
    if (record_defaults(s, raw, d, ph, upgrade) < 0)
        sim_oom(__FILE__, __LINE__, "out of memory");
    return 0;
}

/* ---- the summary's view, and the report's advice ----------------------- */

static json_t *to_json(const mq_scenario *s, const void *cfg)
{
    (void)s;
    const mq_rabbitmq_conversion *cv = cfg;
    json_t *o = out_json_obj();
    out_json_put(o, "at_s", out_json_num(cv->at_s));
    out_json_put(o, "series", json_string(out_json_series_name(cv->series)));
    out_json_put(o, "from", json_string(out_json_deploy_name(cv->from)));
    out_json_put(o, "to", json_string(out_json_deploy_name(cv->to)));
    out_json_put(o, "to_edition", json_string(out_json_edition_name(cv->to_edition)));
    out_json_put(o, "old_instance", json_boolean(cv->old_instance));
    out_json_put(o, "create_s", out_json_num(cv->create_s));
    out_json_put(o, "capacity_tps", out_json_num(cv->capacity_tps));
    out_json_put(o, "other_tenants_tps", out_json_num(cv->other_tenants_tps));
    out_json_put(o, "dual_write_s", out_json_num(cv->dual_write_s));
    out_json_put(o, "single_write_s", out_json_num(cv->single_write_s));
    out_json_put(o, "privatelink_outage", out_json_dist(&cv->privatelink_outage));
    out_json_put(o, "source_stop", json_string(SCN_ENUM_STR(stop_strs, cv->source_stop, "?")));
    out_json_put(o, "server_disconnect", json_string(SCN_ENUM_STR(when_strs, cv->server_disconnect, "?")));
    out_json_put(o, "source_upgrade_at_s", cv->source_upgrade_at_s < 0
                                               ? json_null()
                                               : out_json_num(cv->source_upgrade_at_s));
    return o;
}

static const char *json_text(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

/* A shared -> dedicated conversion leaves existing connections where they
** are (seed: "restart your application to reconnect"): clients still on
** the source when the run ended, when the source keeps serving or phase 4
** was not reached, need an application restart, and only one after the
** migration begins (phase 1: "after instance migration begins, all new
** connections connect directly to the destination") moves them. */
static bool json_advice(json_t *rb, json_t *metrics, char *buf, size_t n)
{
    json_t *left_m = out_metrics_find(metrics, "clients_left_on_source");
    double left = json_number_value(json_object_get(left_m, "value"));
    json_t *p4 = out_metrics_find(metrics, "phase4_start_s");
    json_t *p1 = out_metrics_find(metrics, "clients_on_source_phase1");
    if (!(left > 0) || strcmp(json_text(rb, "from"), "shared") ||
        strcmp(json_text(rb, "to"), "dedicated") ||
        (strcmp(json_text(rb, "source_stop"), "serve") &&
         strcmp(json_text(p4, "status"), "not_reached")))
        return false;
    if (!strcmp(json_text(p1, "status"), "not_reached"))
        snprintf(buf, n, "The migration had not begun when the run ended (the destination was "
                 "still being created): all %.0f connected clients are on the source cluster, "
                 "and a restart before phase 1 reconnects them there. Restart the applications "
                 "after phase 1 begins, during off-peak hours; the server does not move "
                 "existing connections.", left);
    else
        snprintf(buf, n, "Restart the applications during off-peak hours: %.0f clients are "
                 "still connected to the source cluster when the run ends, and the server does "
                 "not move existing connections; only an application or server-side restart "
                 "after the migration began brings them to the destination.", left);
    return true;
}

const scn_change_io scn_rabbitmq_io = {
    .ops = &mq_rabbitmq_ops,
    .fields = scn_rabbitmq_fields,
    .raw_size = sizeof(scn_raw_rabbitmq),
    .load = load,
    .to_json = to_json,
    .json_advice = json_advice,
};
