/*
** mq_metric_info.c - the metric table (see mq_metric_info.h): the base
** model's rows, in the order it writes them, then each change type's own
** rows (mq_change_ops.metrics_info, in registry order), then the load tester's.
*/
#include "models/mq_metric_info.h"
#include "models/change/mq_change.h"

#include <stdbool.h>
#include <string.h>


static const mq_metric_info table[] = {
    {"messages_published", "msgs", MQ_MI_NO, "", "every message that entered the run: the producers' (sent or failed) and the preloaded ones (messages_preloaded, included here)", NULL},
    {"messages_preloaded", "msgs", MQ_MI_NO, "", "messages of the initial backlogs and scheduled messages", NULL},
    {"messages_consumed", "msgs", MQ_MI_HI, "", "distinct messages processed by a consumer", NULL},
    {"duplicates", "msgs", MQ_MI_LO, "", "extra deliveries of a message already processed (all causes)", NULL},
    {"duplicate_rate", "ratio", MQ_MI_LO, MQ_MI_NA, "duplicates per consumed message; not_applicable when nothing was consumed", NULL},
    {"duplicates_requeue", "msgs", MQ_MI_LO, "", "duplicates from deliveries requeued after a consumer dropped mid-processing", "duplicates"},
    {"duplicates_republish", "msgs", MQ_MI_LO, "", "duplicates from producers republishing a send whose confirm was lost", "duplicates"},
    {"duplicates_send_retry", "msgs", MQ_MI_LO, "", "duplicates from a producer retrying a send that had been stored", "duplicates"},
    {"duplicates_redelivery", "msgs", MQ_MI_LO, "", "RocketMQ instances: duplicates from redelivery of messages a dropped consumer had not acknowledged", "duplicates"},
    {"redelivered", "msgs", MQ_MI_LO, "", "deliveries flagged as redelivered", NULL},
    {"lost", "msgs", MQ_MI_LO, "", "messages that will never be delivered (all causes)", NULL},
    {"lost_send_failed", "msgs", MQ_MI_LO, "", "sends that failed for good (no retry or buffer left)", "lost"},
    {"lost_autoack_buffer", "msgs", MQ_MI_LO, "", "auto-acked deliveries in the buffer of a consumer that dropped", "lost"},
    {"expired", "msgs", MQ_MI_LO, "", "messages removed by TTL or retention (all causes)", NULL},
    {"expired_ttl", "msgs", MQ_MI_LO, "", "messages removed by their TTL", "expired"},
    {"expired_retention", "msgs", MQ_MI_LO, "", "messages removed by the retention period", "expired"},
    {"still_stored", "msgs", MQ_MI_NO, "", "messages still pending at the end (in the broker or clients)", NULL},
    {"still_in_producers", "msgs", MQ_MI_LO, "", "messages not yet consumed, lost or expired that producers still hold (buffers, retries) at the end; they are among still_stored", NULL},
    {"delay_mean_s", "s", MQ_MI_LO, "", "mean end-to-end delay (intended send to processing) of delivered messages sent after warm-up", NULL},
    {"delay_p50_s", "s", MQ_MI_LO, "", "median delay of delivered messages", NULL},
    {"delay_p90_s", "s", MQ_MI_LO, "", "90th percentile delay of delivered messages", NULL},
    {"delay_p99_s", "s", MQ_MI_LO, "", "99th percentile delay of delivered messages (read it with undelivered_fraction)", NULL},
    {"delay_p999_s", "s", MQ_MI_LO, "", "99.9th percentile delay of delivered messages", NULL},
    {"delay_p9999_s", "s", MQ_MI_LO, "", "99.99th percentile delay of delivered messages", NULL},
    {"delay_max_s", "s", MQ_MI_LO, "", "largest delay of a delivered message", NULL},
    {"undelivered_fraction", "ratio", MQ_MI_LO, "", "messages sent after warm-up that were lost, expired or not delivered by the end, per message sent after warm-up; a delayed or scheduled message not yet due when the run ends counts in neither", NULL},
    {"delay_all_p50_s", "s", MQ_MI_LO, "", "median delay over every message sent after warm-up, undelivered ones counted as delayed to the end of the run", NULL},
    {"delay_all_p99_s", "s", MQ_MI_LO, "", "99th percentile delay over every message sent after warm-up, undelivered ones counted as delayed to the end of the run (losing messages cannot lower it)", NULL},
    {"delay_all_p999_s", "s", MQ_MI_LO, "", "99.9th percentile of the same", NULL},
    {"delay_all_mean_s", "s", MQ_MI_LO, "", "mean delay over every message sent after warm-up, undelivered ones counted as delayed to the end of the run", NULL},
    {"delay_all_max_s", "s", MQ_MI_LO, "", "largest delay over every message sent after warm-up, undelivered ones counted as delayed to the end of the run", NULL},
    {"disruption_max_s", "s", MQ_MI_LO, MQ_MI_CEN, "longest time one client was cut off; censored when a client was still cut off at the end", NULL},
    {"disruption_client_s", "s", MQ_MI_LO, MQ_MI_CEN, "client-seconds cut off, summed over clients; censored as above", NULL},
    {"clients_disrupted", "clients", MQ_MI_LO, "", "clients cut off at least once", NULL},
    {"clients_cut_off_at_end", "clients", MQ_MI_LO, "", "clients still cut off when the run ended (never reconnected)", NULL},
    {"reconnects", "count", MQ_MI_NO, "", "successful reconnections", NULL},
    {"exceptions_logged", "count", MQ_MI_LO, "", "client exceptions (failed sends, dropped connections)", NULL},
    {"throttled_sends", "count", MQ_MI_LO, "", "send attempts rejected by a capacity limit; a held send is retried until admitted (RabbitMQ: every retry_backoff, at least 50 ms), so under a lasting overload this counts attempts, many per message, not messages", NULL},
    {"throttled_sends_overload", "count", MQ_MI_LO, "", "of those, attempts refused while the producers offered the limit that refused them more than its capacity (the rest came in bursts the limit could not absorb at once, or from a bandwidth limit)", NULL},
    {"throttled_overload_broker", "count", MQ_MI_LO, "", "of the overload refusals, those by a broker's own capacity (brokers[].capacity_tps, or the room a conversion's destination cluster has left); the rest by the instance's spec", NULL},
    {"overload_from_s", "s", MQ_MI_NO, MQ_MI_NA, "run time of the first send refused for overload; not_applicable without one", NULL},
    {"overload_offered_rate", "msg/s", MQ_MI_NO, MQ_MI_NA, "rate the producers offered the limit that refused a send for overload, at the overload refusal where it was highest (only the producers whose sends that limit checks)", NULL},
    {"overload_capacity", "msg/s", MQ_MI_NO, MQ_MI_NA, "capacity (msg/s) of that limit at that refusal", NULL},
    {"backlog_at_drain_start", "msgs", MQ_MI_NO, "", "ready messages when the drain clock starts (run.drain_from)", NULL},
    {"drain_time_s", "s", MQ_MI_LO, MQ_MI_NR, "time from run.drain_from until the backlog first empties; not_reached when it never does", NULL},
    {"drain_time_fluid_s", "s", MQ_MI_LO, "", "fluid estimate backlog / (capacity - offered rate); inf when the consumers cannot keep up", NULL},
    {"consume_capacity", "msg/s", MQ_MI_NO, "", "the consumers' capacity from concurrency, prefetch and processing time", NULL},
    {"offered_rate_at_drain_start", "msg/s", MQ_MI_NO, "", "producers' send rate at run.drain_from", NULL},
    {"backlog_max", "msgs", MQ_MI_LO, "", "largest number of ready messages", NULL},
    {"backlog_mean", "msgs", MQ_MI_LO, "", "time-averaged ready messages after warm-up", NULL},
    {"in_system_mean", "msgs", MQ_MI_LO, "", "time-averaged ready plus unacknowledged messages after warm-up", NULL},
    {"sim_events", "events", MQ_MI_NO, "", "engine events executed (cost of the run)", NULL},
    {"change_completed", "ratio", MQ_MI_HI, MQ_MI_NA, "1 when the scenario's change had completed when the run ended (a RabbitMQ conversion reached phase 4 or its spec change took effect, a RocketMQ change or a rolling restart finished), 0 when the run ended first: its effects after the end are not in the figures, so every budget line fails; over replications, the fraction that completed; not_applicable without a change block", NULL},
};

/* measured by `mqsim load` only, whatever the change (a change type's own
** load-tester rows are in its table) */
static const mq_metric_info load_rows[] = {
    {"republished", "msgs", MQ_MI_NO, "", "load tester: sends the real client library published again", NULL},
    {"consumer_overhead_s", "s", MQ_MI_NO, "", "load tester: measured per-message client cost", NULL},
    {"consumer_closes", "count", MQ_MI_NO, MQ_MI_NA, "load tester: consumer connections the server closed, as the consumers saw them", NULL},
    {"close_held_unacked", "msgs", MQ_MI_NO, MQ_MI_NA, "load tester: deliveries the closed consumers held unacked at the close (being processed + buffered)", NULL},
    {"close_held_buffered", "msgs", MQ_MI_NO, MQ_MI_NA, "load tester: deliveries the closed consumers had read into their buffers at the close", NULL},
    {"duplicates_given_close_state", "msgs", MQ_MI_NO, MQ_MI_NA, "load tester: duplicates the model's close rule predicts from what the closed consumers held", NULL},
    {"delay_p99_unstalled_s", "s", MQ_MI_NO, MQ_MI_NA, "load tester: p99 delay of the messages intended outside the tester's own stalls and their drain", NULL},
    {"delays_unstalled", "msgs", MQ_MI_NO, MQ_MI_NA, "load tester: measured messages intended outside the tester's own stalls (delay_p99_unstalled_s counts these)", NULL},
    {"delays_measured", "msgs", MQ_MI_NO, MQ_MI_NA, "load tester: messages whose delay was measured (consumed, intended after warm-up)", NULL},
    {"close_lag_s", "s", MQ_MI_NO, MQ_MI_NA, "load tester: largest late wake-up of a closed consumer in the 2-4 s before its close", NULL},
    {"broker_startup_s", "s", MQ_MI_NO, "", "load tester: time the broker took to start", NULL},
    {"disruption_lag_s", "s", MQ_MI_NO, "", "load tester: largest lag of an injected disruption behind its schedule", NULL},
    {"ctl_latency_s", "s", MQ_MI_NO, "", "load tester: control-channel latency", NULL},
};

#define NBASE (sizeof table / sizeof *table)
#define NLOAD (sizeof load_rows / sizeof *load_rows)

const mq_metric_info *mq_metric_info_at(size_t i)
{
    if (i < NBASE) return &table[i];
    i -= NBASE;
    for (size_t k = 0; mq_changes[k]; k++) {
        if (i < mq_changes[k]->nmetrics) return &mq_changes[k]->metrics_info[i];
        i -= mq_changes[k]->nmetrics;
    }
    return i < NLOAD ? &load_rows[i] : NULL;
}

bool mq_undelivered_moves_p99(const sim_metrics *m)
{
    const sim_metric *uf = sim_metrics_find(m, "undelivered_fraction"),
                     *p = sim_metrics_find(m, "delay_p99_s"),
                     *all = sim_metrics_find(m, "delay_all_p99_s");
    return uf && p && all && uf->status == SIM_MEASURED && uf->value > 0 &&
           p->status == SIM_MEASURED && all->status == SIM_MEASURED && all->value != p->value;
}

bool mq_metric_is_delivered_delay(const char *name)
{
    return !strncmp(name, "delay_", 6) && strncmp(name, "delay_all_", 10);
}

int mq_metric_parts_check(const sim_metrics *m, sim_err *err)
{
    for (size_t i = 0; i < m->n; i++) {
        const sim_metric *total = &m->v[i];
        double sum = 0;
        size_t parts = 0;
        for (size_t j = 0; j < m->n; j++) {
            const mq_metric_info *info = mq_metric_info_find(m->v[j].name);
            if (!info || !info->part_of || strcmp(info->part_of, total->name)) continue;
            sum += m->v[j].value;
            parts++;
        }
        if (parts && sum != total->value)
            return sim_err_set(err, "accounting violated: %s is %.17g but its %zu causes add up "
                               "to %.17g", total->name, total->value, parts, sum);
    }
    return 0;
}

const mq_metric_info *mq_metric_info_find(const char *name)
{
    for (size_t i = 0; mq_metric_info_at(i); i++)
        if (!strcmp(mq_metric_info_at(i)->name, name)) return mq_metric_info_at(i);
    return NULL;
}

/* Units of quantities that are never negative (a currency is not one: a
** refund is a negative price difference). */
static bool never_negative(const char *unit)
{
    static const char *const units[] = {"s", "msgs", "msg/s", "count", "clients", "events",
                                        "ratio"};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (!strcmp(unit, units[i])) return true;
    return false;
}

int mq_rep_result(const sim_rep *r, sim_metrics *out)
{
    if (sim_rep_result(r, out)) return -1;
    for (size_t i = 0; i < out->n; i++) {
        sim_metric *x = &out->v[i];
        if (x->ci_lo < 0 && never_negative(x->unit)) x->ci_lo = 0;
    }
    return 0;
}
