/*
** scn_rocketmq.c - load and check a scenario's `rocketmq_change:` section
** (see scn_rocketmq.h; keys in docs/SCENARIO.md).
**
** Order of checks: shape and key names (done earlier by the pre-pass from
** scn_rocketmq_fields), then the instance kind, then each value's unit and
** range at its own line:col, then the seed's change rules
** (mq_rocketmq_check, reported at the offending key), then warnings.
** Every position comes from the pre-pass index: O(log n) per lookup.
*/
#include "io/change/scn_rocketmq.h"
#include "io/out_json.h"

#include "io/scn_schema.h"
#include "io/units.h"
#include "models/change/mq_rocketmq.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER)
#define QTY(key, st, m) CYAML_FIELD_STRING_PTR(key, OPT, st, m, 1, 64)
#define ENUM_OPT(key, st, m, tab) \
    CYAML_FIELD_ENUM_PTR(key, OPT | CYAML_FLAG_STRICT, st, m, tab, CYAML_ARRAY_LEN(tab))

static const cyaml_schema_field_t to_fields[] = {
    ENUM_OPT("edition", scn_raw_rocketmq_to, edition, scn_edition_strs),
    ENUM_OPT("sub_category", scn_raw_rocketmq_to, sub_category, scn_subcat_strs),
    QTY("spec_tps", scn_raw_rocketmq_to, spec_tps),
    CYAML_FIELD_BOOL_PTR("internet", OPT, scn_raw_rocketmq_to, internet),
    QTY("bandwidth", scn_raw_rocketmq_to, bandwidth),
    QTY("storage", scn_raw_rocketmq_to, storage),
    CYAML_FIELD_END
};

static const cyaml_schema_field_t rolling_fields[] = {
    CYAML_FIELD_INT_PTR("batch_size", OPT, scn_raw_rocketmq_rolling, batch_size),
    QTY("node_downtime", scn_raw_rocketmq_rolling, node_downtime),
    QTY("batch_interval", scn_raw_rocketmq_rolling, batch_interval),
    CYAML_FIELD_END
};

static const cyaml_schema_field_t price_fields[] = {
    CYAML_FIELD_STRING_PTR("from", CYAML_FLAG_POINTER, scn_raw_rocketmq_price, from, 1, 64),
    CYAML_FIELD_STRING_PTR("to", CYAML_FLAG_POINTER, scn_raw_rocketmq_price, to, 1, 64),
    CYAML_FIELD_END
};

static const cyaml_schema_field_t billing_fields[] = {
    CYAML_FIELD_STRING_PTR("currency", CYAML_FLAG_POINTER, scn_raw_rocketmq_billing, currency, 1, 15),
    CYAML_FIELD_MAPPING_PTR("price_per_month", CYAML_FLAG_POINTER, scn_raw_rocketmq_billing,
                            price_per_month, price_fields),
    QTY("cycle_months", scn_raw_rocketmq_billing, cycle_months),
    QTY("elapsed_months", scn_raw_rocketmq_billing, elapsed_months),
    CYAML_FIELD_END
};

const cyaml_schema_field_t scn_rocketmq_fields[] = {
    CYAML_FIELD_STRING_PTR("at", CYAML_FLAG_POINTER, scn_raw_rocketmq, at, 1, 64),
    CYAML_FIELD_MAPPING_PTR("to", CYAML_FLAG_POINTER, scn_raw_rocketmq, to, to_fields),
    CYAML_FIELD_MAPPING_PTR("rolling", OPT, scn_raw_rocketmq, rolling, rolling_fields),
    QTY("http_disruption", scn_raw_rocketmq, http_disruption),
    CYAML_FIELD_MAPPING_PTR("billing", OPT, scn_raw_rocketmq, billing, billing_fields),
    CYAML_FIELD_END
};

/* ------------------------------------------------------------------ */

typedef scn_change_ctx rctx;

#define ROOT "rocketmq_change"

/* The full path of a key of the block ("" = the block itself). */
static const char *key_path(const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", ROOT, *key ? "." : "", key);
    return buf;
}

/* Position of a key's value (scalars) or key (collections), or of the
** nearest enclosing node when the key is absent (scn_change_where). */
static mq_loc where(const rctx *c, const char *key)
{
    char p[128];
    return scn_change_where(c->idx, key_path(key, p, sizeof p));
}

/* "FILE:LINE:COL: rocketmq_change.KEY: message" (scn_change_fail). */
#define bad(c, key, ...) \
    scn_change_fail((c)->file, (c)->idx, (c)->err, key_path(key, (char[128]){0}, 128), __VA_ARGS__)

/* Duration at key in [lo, hi] (lo excluded when lo_open). */
static int dur(const rctx *c, const char *key, const char *text, double lo, bool lo_open,
               double hi, double *out)
{
    char p[128];
    return scn_change_duration(c->file, c->idx, c->err, key_path(key, p, sizeof p), text, lo,
                               lo_open, hi, out);
}

static int num(const rctx *c, const char *key, const char *text, double hi, double *out)
{
    if (!text) return 0;
    sim_err e;
    if (units_number(text, out, &e) < 0) return bad(c, key, "%s", e.msg);
    if (*out > hi) return bad(c, key, "%s is out of range; expected at most %g", text, hi);
    return 0;
}

static int load_to(const rctx *c, const scn_raw_rocketmq_to *r, mq_rocketmq_change *ch)
{
    if (r->edition) {
        ch->has_edition = true;
        ch->edition = (mq_edition)*r->edition;
        ch->edition_loc = where(c, "to.edition");
    }
    if (r->sub_category) {
        ch->has_sub_category = true;
        ch->sub_category = (mq_subcat)*r->sub_category;
        ch->sub_category_loc = where(c, "to.sub_category");
    }
    if (r->spec_tps) {
        ch->has_spec_tps = true;
        ch->spec_tps_loc = where(c, "to.spec_tps");
        if (num(c, "to.spec_tps", r->spec_tps, 1e9, &ch->spec_tps) < 0) return -1;
        if (ch->spec_tps <= 0)
            return bad(c, "to.spec_tps", "%s is out of range; expected a number > 0 "
                       "(msg/s for the whole instance)", r->spec_tps);
    }
    if (r->internet) {
        ch->has_internet = true;
        ch->internet = *r->internet;
        ch->internet_loc = where(c, "to.internet");
    }
    if (r->bandwidth) {
        sim_err e;
        ch->has_bandwidth = true;
        ch->bandwidth_loc = where(c, "to.bandwidth");
        if (units_bandwidth(r->bandwidth, &ch->bandwidth_mbps, &e) < 0)
            return bad(c, "to.bandwidth", "%s", e.msg);
    }
    if (r->storage) {
        ch->has_storage = true;
        ch->storage_loc = where(c, "to.storage");
    }
    if (!ch->has_edition && !ch->has_sub_category && !ch->has_spec_tps && !ch->has_internet &&
        !ch->has_bandwidth && !ch->has_storage)
        return bad(c, "to", "the change changes nothing; give at least one of edition, "
                   "spec_tps, internet, bandwidth");
    return 0;
}

static int load_billing(const rctx *c, const scn_raw_rocketmq_billing *r, mq_rocketmq_billing *b)
{
    b->present = true;
    b->loc = where(c, "billing");
    snprintf(b->currency, sizeof b->currency, "%s", r->currency);
    b->cycle_months = 1;
    b->elapsed_months = 0;
    if (num(c, "billing.price_per_month.from", r->price_per_month->from, 1e12, &b->price_from) < 0 ||
        num(c, "billing.price_per_month.to", r->price_per_month->to, 1e12, &b->price_to) < 0 ||
        num(c, "billing.cycle_months", r->cycle_months, 1200, &b->cycle_months) < 0 ||
        num(c, "billing.elapsed_months", r->elapsed_months, 1200, &b->elapsed_months) < 0)
        return -1;
    if (b->cycle_months <= 0)
        return bad(c, "billing.cycle_months", "%s is out of range; expected a number > 0",
                   r->cycle_months);
    if (b->elapsed_months > b->cycle_months)
        return bad(c, "billing.elapsed_months", "%g months elapsed is longer than the "
                   "billing cycle (%g months)", b->elapsed_months, b->cycle_months);
    return 0;
}

/* Record every default of the block that the scenario relied on, with its
** source (the same words as docs/SCENARIO.md's table). */
static int record_defaults(mq_scenario *s, const scn_raw_rocketmq *raw)
{
    const mq_rocketmq_change *ch = mq_rocketmq_of(s);
    const scn_raw_rocketmq_rolling *r = raw->rolling;
    char v[64];
    struct { bool absent; const char *key; double secs; const char *source; } t[] = {
        {!r || !r->batch_size, "rolling.batch_size", NAN,
         "assumption: the seed and model-reference #27 say \"batches\" without a size"},
        {!r || !r->node_downtime, "rolling.node_downtime", ch->node_downtime_s,
         "assumption within #27 \"transient disconnects of seconds\""},
        {!r || !r->batch_interval, "rolling.batch_interval", ch->batch_interval_s,
         "assumption keeping the change well under #27's \"< 30 min\""},
        {!raw->http_disruption, "http_disruption", ch->http_disruption_s,
         "assumption within the seed's \"< 1 min\" (#27)"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        if (!t[i].absent) continue;
        if (isnan(t[i].secs)) snprintf(v, sizeof v, "%d", ch->batch_size);
        else units_format_duration(t[i].secs, v, sizeof v);
        char key[96];
        snprintf(key, sizeof key, "rocketmq_change.%s", t[i].key);
        if (mq_scenario_add_default(s, key, v, t[i].source)) return -1;
    }
    return 0;
}

/* `instance.internet` left out of a scenario with a RocketMQ change: read
** from what the scenario says elsewhere, never as "off" by default, which
** would cut off every public-endpoint client the user described as working.
** A `to.internet` names the new state, so the current one is the other;
** otherwise access is on when a client group uses the public endpoint today.
** The assumption is printed by `check` and kept in the results. */
static int infer_internet(const rctx *c, mq_scenario *s, const mq_rocketmq_change *ch)
{
    const char *group = NULL;
    for (size_t i = 0; i < s->nproducers && !group; i++)
        if (s->producers[i].endpoint == MQ_EP_PUBLIC) group = s->producers[i].name;
    for (size_t i = 0; i < s->nconsumers && !group; i++)
        if (s->consumers[i].endpoint == MQ_EP_PUBLIC) group = s->consumers[i].name;
    const char *why;
    if (ch->has_internet) {
        s->instance.internet = !ch->internet;
        why = ch->internet ? "rocketmq_change.to.internet enables it"
                           : "rocketmq_change.to.internet disables it";
    } else if (ch->has_bandwidth) {
        s->instance.internet = true;
        why = "rocketmq_change.to.bandwidth changes the Internet bandwidth, which only an "
              "instance with Internet access has";
    } else if (group) {
        s->instance.internet = true;
        why = "a client group uses the public endpoint";
    } else {
        return 0; /* no public client and no change of access: nothing depends on it */
    }
    if (sim_strs_add(&s->warnings, "%s: instance.internet is not set; assumed %s because %s%s%s "
                     "(set instance.internet to say otherwise)", c->file,
                     s->instance.internet ? "on" : "off", why, group && !ch->has_internet ? ": " : "",
                     group && !ch->has_internet ? group : "") < 0)
        sim_oom(__FILE__, __LINE__, "out of memory");
    return 0;
}

static int load(const char *file, const scn_index *idx, const void *raw_v, mq_scenario *s,
                sim_err *err)
{
    const scn_raw_rocketmq *raw = raw_v;
    rctx c = {file, idx, err};
    if (s->instance.kind != MQ_KIND_ROCKETMQ)
        return bad(&c, "", "a rocketmq_change needs instance.kind: rocketmq (this instance "
                   "is rabbitmq)");
    mq_rocketmq_change *ch = malloc(sizeof *ch);
    SIM_NEED(ch != NULL, "out of memory");
    mq_rocketmq_change_init(ch);
    s->change = (mq_change){&mq_rocketmq_ops, ch};
    ch->loc = where(&c, "");
    if (dur(&c, "at", raw->at, 0, false, s->run.duration_s, &ch->at_s) < 0 ||
        load_to(&c, raw->to, ch) < 0 ||
        dur(&c, "http_disruption", raw->http_disruption, 0, true, 86400, &ch->http_disruption_s) < 0)
        return -1;
    if (raw->rolling) {
        const scn_raw_rocketmq_rolling *r = raw->rolling;
        if (r->batch_size) {
            if (*r->batch_size < 1 || *r->batch_size > 100000)
                return bad(&c, "rolling.batch_size", "%d is out of range; expected 1..100000",
                           *r->batch_size);
            ch->batch_size = *r->batch_size;
        }
        if (dur(&c, "rolling.node_downtime", r->node_downtime, 0, true, 86400,
                &ch->node_downtime_s) < 0 ||
            dur(&c, "rolling.batch_interval", r->batch_interval, 0, false, 86400,
                &ch->batch_interval_s) < 0)
            return -1;
    }
    if (raw->billing && load_billing(&c, raw->billing, &ch->billing) < 0) return -1;
    SIM_NEED(record_defaults(s, raw) >= 0, "out of memory");
    if (s->instance.internet_unset && infer_internet(&c, s, ch) < 0) return -1;

    /* every broken rule, one "FILE:LINE:COL: rocketmq_change.KEY: rule" line
    ** each, in the order mq_rocketmq_check found them */
    mq_rocketmq_violation v[MQ_ROCKETMQ_MAX_VIOLATIONS];
    size_t nv = mq_rocketmq_check(&s->instance, ch, v, MQ_ROCKETMQ_MAX_VIOLATIONS);
    if (nv > MQ_ROCKETMQ_MAX_VIOLATIONS) nv = MQ_ROCKETMQ_MAX_VIOLATIONS;
    char all[SIM_ERR_LEN] = "";
    size_t used = 0;
    for (size_t i = 0; i < nv && used < sizeof all; i++) {
        sim_err one;
        rctx c1 = {file, idx, &one};
        bad(&c1, v[i].key, "%s", v[i].msg);
        used += (size_t)snprintf(all + used, sizeof all - used, "%s%s", i ? "\n" : "", one.msg);
    }
    if (nv > 0) return sim_err_set(err, "%s", all);
    if (mq_rocketmq_warnings(s, ch, &s->warnings) < 0)
        sim_oom(__FILE__, __LINE__, "out of memory");
    return 0;
}

/* ---- the summary's view --------------------------------------------------- */

static json_t *to_json(const mq_scenario *s, const void *cfg)
{
    (void)s;
    const mq_rocketmq_change *ch = cfg;
    json_t *o = out_json_obj(), *to = out_json_obj(), *r = out_json_obj();
    out_json_put(o, "at_s", out_json_num(ch->at_s));
    if (ch->has_edition) out_json_put(to, "edition", json_string(out_json_edition_name(ch->edition)));
    if (ch->has_sub_category)
        out_json_put(to, "sub_category", json_string(out_json_subcat_name(ch->sub_category)));
    if (ch->has_spec_tps) out_json_put(to, "spec_tps", out_json_num(ch->spec_tps));
    if (ch->has_internet) out_json_put(to, "internet", json_boolean(ch->internet));
    if (ch->has_bandwidth) out_json_put(to, "bandwidth_mbps", out_json_num(ch->bandwidth_mbps));
    out_json_put(o, "to", to);
    out_json_put(r, "batch_size", json_integer(ch->batch_size));
    out_json_put(r, "node_downtime_s", out_json_num(ch->node_downtime_s));
    out_json_put(r, "batch_interval_s", out_json_num(ch->batch_interval_s));
    out_json_put(o, "rolling", r);
    out_json_put(o, "http_disruption_s", out_json_num(ch->http_disruption_s));
    if (ch->billing.present) {
        json_t *b = out_json_obj();
        out_json_put(b, "currency", json_string(ch->billing.currency));
        out_json_put(b, "price_per_month_from", out_json_num(ch->billing.price_from));
        out_json_put(b, "price_per_month_to", out_json_num(ch->billing.price_to));
        out_json_put(b, "cycle_months", out_json_num(ch->billing.cycle_months));
        out_json_put(b, "elapsed_months", out_json_num(ch->billing.elapsed_months));
        out_json_put(o, "billing", b);
    }
    return o;
}

const scn_change_io scn_rocketmq_io = {
    .ops = &mq_rocketmq_ops,
    .fields = scn_rocketmq_fields,
    .raw_size = sizeof(scn_raw_rocketmq),
    .load = load,
    .to_json = to_json,
};
