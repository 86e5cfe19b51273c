/*
** cli_text.c - bounded label joining, one metric's console text and the
** shared console lines; see cli_text.h. Every append of the label goes
** through put(), which tracks the used length and never passes cap - 1.
*/
#include "cli/cli_text.h"
#include "io/out_text.h"
#include "io/units.h"
#include "models/mq_metric_info.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Append s to buf (used bytes *len, capacity cap). Returns 1 if cut. */
static int put(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t room = cap - 1 - *len, n = strlen(s);
    int cut = n > room;
    if (cut) n = room;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
    return cut;
}

const char *cli_metric_text(const sim_metrics *m, const char *name, char *buf, size_t n)
{
    const sim_metric *x = sim_metrics_find(m, name);
    char v[48];
    if (!x) {
        snprintf(buf, n, "-");
    } else if (x->status != SIM_MEASURED) {
        units_format_human(x->bound, x->unit, v, sizeof v);
        /* no bound: a paired difference whose baseline side the end of the
        ** run cut (sim_rep.h); words, not a status name */
        if (isnan(x->bound))
            snprintf(buf, n, "%s", x->status == SIM_NOT_APPLICABLE ? "not applicable"
                                   : x->status == SIM_NOT_REACHED
                                       ? "unknown (not reached within the run)"
                                       : "unknown (the baseline's was still going on when the "
                                         "run ended)");
        else snprintf(buf, n, ">= %s (%s)", v, x->status == SIM_NOT_REACHED
                                                   ? "not reached within the run"
                                                   : "not finished when the run ended");
    } else if (isinf(x->value) && x->value > 0 && !strcmp(x->unit, "s")) {
        snprintf(buf, n, "never"); /* a time that never comes: its warning says why */
    } else {
        out_fmt_value_ci(buf, n, x->value, x->ci_lo, x->ci_hi, x->unit);
        out_singular_head(buf, x->value, x->unit);
    }
    return buf;
}

int cli_label(char *buf, size_t cap, const char *const *keys, const char *const *vals, size_t n)
{
    size_t len = 0;
    int cut = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && !cut; i++)
        cut = (i > 0 && put(buf, cap, &len, ", ")) || put(buf, cap, &len, keys[i]) ||
              put(buf, cap, &len, "=") || put(buf, cap, &len, vals[i]);
    if (cut && cap > 4) memcpy(buf + cap - 4, "...", 4);
    return cut;
}

void cli_print_flow(const sim_metrics *m, cli_metric_text_fn text)
{
    char a[96], b[96], c[96], d[96], e[128] = "";
    /* published counts the preloaded backlog and scheduled messages too */
    const sim_metric *pre = sim_metrics_find(m, "messages_preloaded");
    if (pre && pre->status == SIM_MEASURED && pre->value > 0) {
        char p[96];
        snprintf(e, sizeof e, " (%s preloaded)", text(m, "messages_preloaded", p, sizeof p));
    }
    printf("  published %s%s, consumed %s, duplicates %s, lost %s\n",
           text(m, "messages_published", a, sizeof a), e,
           text(m, "messages_consumed", b, sizeof b), text(m, "duplicates", c, sizeof c),
           text(m, "lost", d, sizeof d));
    /* neither consumed, lost nor expired by the end: what becomes of them
    ** after it is not simulated (a scheduled message may yet expire) */
    const sim_metric *pending = sim_metrics_find(m, "still_stored");
    if (pending && pending->value > 0)
        printf("  still pending when the run ended %s (their fate after the end is not "
               "simulated; not counted as lost)\n", text(m, "still_stored", a, sizeof a));
    printf("  delay p50 %s, p99 %s, max %s", text(m, "delay_p50_s", a, sizeof a),
           text(m, "delay_p99_s", b, sizeof b), text(m, "delay_max_s", c, sizeof c));
    /* Undelivered messages have no delay of their own, so the percentiles
    ** above are of the delivered ones; where the others move the p99, the
    ** line says so, or "the change costs nothing" could be read off a run
    ** in which most messages never arrived. */
    if (mq_undelivered_moves_p99(m))
        printf(" over the delivered messages; %.3g %% of the messages sent after warm-up "
               "and due by the end were not delivered (the run's totals, preloaded and "
               "not yet due ones included: lost %s, expired %s, still pending %s): counting "
               "each as delayed until the end, p99 %s",
               100 * sim_metrics_find(m, "undelivered_fraction")->value,
               text(m, "lost", a, sizeof a), text(m, "expired", b, sizeof b),
               text(m, "still_stored", c, sizeof c), text(m, "delay_all_p99_s", d, sizeof d));
    printf("\n");
}
