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
    {"messages_published", "msgs", MQ_MI_NO, "", "messages the producers created (sent or failed), preloaded backlog excluded"},
    {"messages_preloaded", "msgs", MQ_MI_NO, "", "messages of the initial backlogs and scheduled messages"},
    {"messages_consumed", "msgs", MQ_MI_HI, "", "distinct messages processed by a consumer"},
    {"duplicates", "msgs", MQ_MI_LO, "", "extra deliveries of a message already processed (all causes)"},
    {"duplicate_rate", "ratio", MQ_MI_LO, "", "duplicates per consumed message"},
    {"duplicates_requeue", "msgs", MQ_MI_LO, "", "duplicates from deliveries requeued after a consumer dropped mid-processing"},
    {"duplicates_republish", "msgs", MQ_MI_LO, "", "duplicates from producers republishing a send whose confirm was lost"},
    {"duplicates_send_retry", "msgs", MQ_MI_LO, "", "duplicates from a producer retrying a send that had been stored"},
    {"redelivered", "msgs", MQ_MI_LO, "", "deliveries flagged as redelivered"},
    {"lost", "msgs", MQ_MI_LO, "", "messages that will never be delivered (all causes)"},
    {"lost_send_failed", "msgs", MQ_MI_LO, "", "sends that failed for good (no retry or buffer left)"},
    {"lost_autoack_buffer", "msgs", MQ_MI_LO, "", "auto-acked deliveries in the buffer of a consumer that dropped"},
    {"expired", "msgs", MQ_MI_LO, "", "messages removed by TTL or retention (all causes)"},
    {"expired_ttl", "msgs", MQ_MI_LO, "", "messages removed by their TTL"},
    {"expired_retention", "msgs", MQ_MI_LO, "", "messages removed by the retention period"},
    {"still_stored", "msgs", MQ_MI_NO, "", "messages still pending at the end (in the broker or clients)"},
    {"still_in_producers", "msgs", MQ_MI_LO, "", "messages still held by producers (buffers, retries) at the end"},
    {"delay_mean_s", "s", MQ_MI_LO, "", "mean end-to-end delay (intended send to processing) of delivered messages sent after warm-up"},
    {"delay_p50_s", "s", MQ_MI_LO, "", "median delay of delivered messages"},
    {"delay_p90_s", "s", MQ_MI_LO, "", "90th percentile delay of delivered messages"},
    {"delay_p99_s", "s", MQ_MI_LO, "", "99th percentile delay of delivered messages (read it with undelivered_fraction)"},
    {"delay_p999_s", "s", MQ_MI_LO, "", "99.9th percentile delay of delivered messages"},
    {"delay_p9999_s", "s", MQ_MI_LO, "", "99.99th percentile delay of delivered messages"},
    {"delay_max_s", "s", MQ_MI_LO, "", "largest delay of a delivered message"},
    {"undelivered_fraction", "ratio", MQ_MI_LO, "", "messages sent after warm-up that were lost, expired or not delivered by the end, per message sent after warm-up"},
    {"delay_all_p50_s", "s", MQ_MI_LO, "", "median delay over every message sent after warm-up, undelivered ones counted as delayed to the end of the run"},
    {"delay_all_p99_s", "s", MQ_MI_LO, "", "99th percentile delay over every message sent after warm-up, undelivered ones counted as delayed to the end of the run (losing messages cannot lower it)"},
    {"delay_all_p999_s", "s", MQ_MI_LO, "", "99.9th percentile of the same"},
    {"disruption_max_s", "s", MQ_MI_LO, MQ_MI_CEN, "longest time one client was cut off; censored when a client was still cut off at the end"},
    {"disruption_client_s", "s", MQ_MI_LO, MQ_MI_CEN, "client-seconds cut off, summed over clients; censored as above"},
    {"clients_disrupted", "clients", MQ_MI_LO, "", "clients cut off at least once"},
    {"clients_cut_off_at_end", "clients", MQ_MI_LO, "", "clients still cut off when the run ended (never reconnected)"},
    {"reconnects", "count", MQ_MI_NO, "", "successful reconnections"},
    {"exceptions_logged", "count", MQ_MI_LO, "", "client exceptions (failed sends, dropped connections)"},
    {"throttled_sends", "count", MQ_MI_LO, "", "send attempts rejected by a capacity limit; a held send is retried until admitted (RabbitMQ: every retry_backoff, at least 50 ms), so under a lasting overload this counts attempts, many per message, not messages"},
    {"throttled_sends_overload", "count", MQ_MI_LO, "", "of those, attempts refused while the producers offered the limit that refused them more than its capacity (the rest came in bursts the limit could not absorb at once, or from a bandwidth limit)"},
    {"throttled_overload_broker", "count", MQ_MI_LO, "", "of the overload refusals, those by a broker's own capacity (brokers[].capacity_tps, or the room a conversion's destination cluster has left); the rest by the instance's spec"},
    {"overload_from_s", "s", MQ_MI_NO, MQ_MI_NA, "run time of the first send refused for overload; not_applicable without one"},
    {"overload_offered_rate", "msg/s", MQ_MI_NO, MQ_MI_NA, "rate the producers offered the limit that refused a send for overload, at the overload refusal where it was highest (only the producers whose sends that limit checks)"},
    {"overload_capacity", "msg/s", MQ_MI_NO, MQ_MI_NA, "capacity (msg/s) of that limit at that refusal"},
    {"backlog_at_drain_start", "msgs", MQ_MI_NO, "", "ready messages when the drain clock starts (run.drain_from)"},
    {"drain_time_s", "s", MQ_MI_LO, MQ_MI_NR, "time from run.drain_from until the backlog first empties; not_reached when it never does"},
    {"drain_time_fluid_s", "s", MQ_MI_LO, "", "fluid estimate backlog / (capacity - offered rate); inf when the consumers cannot keep up"},
    {"consume_capacity", "msg/s", MQ_MI_NO, "", "the consumers' capacity from concurrency, prefetch and processing time"},
    {"offered_rate_at_drain_start", "msg/s", MQ_MI_NO, "", "producers' send rate at run.drain_from"},
    {"backlog_max", "msgs", MQ_MI_LO, "", "largest number of ready messages"},
    {"backlog_mean", "msgs", MQ_MI_LO, "", "time-averaged ready messages after warm-up"},
    {"in_system_mean", "msgs", MQ_MI_LO, "", "time-averaged ready plus unacknowledged messages after warm-up"},
    {"sim_events", "events", MQ_MI_NO, "", "engine events executed (cost of the run)"},
};

/* measured by `mqsim load` only, whatever the change (a change type's own
** load-tester rows are in its table) */
static const mq_metric_info load_rows[] = {
    {"republished", "msgs", MQ_MI_NO, "", "load tester: sends the real client library published again"},
    {"consumer_overhead_s", "s", MQ_MI_NO, "", "load tester: measured per-message client cost"},
    {"consumer_closes", "count", MQ_MI_NO, MQ_MI_NA, "load tester: consumer connections the server closed, as the consumers saw them"},
    {"close_held_unacked", "msgs", MQ_MI_NO, MQ_MI_NA, "load tester: deliveries the closed consumers held unacked at the close (being processed + buffered)"},
    {"close_held_buffered", "msgs", MQ_MI_NO, MQ_MI_NA, "load tester: deliveries the closed consumers had read into their buffers at the close"},
    {"duplicates_given_close_state", "msgs", MQ_MI_NO, MQ_MI_NA, "load tester: duplicates the model's close rule predicts from what the closed consumers held"},
    {"delay_p99_unstalled_s", "s", MQ_MI_NO, MQ_MI_NA, "load tester: p99 delay of the messages intended outside the tester's own stalls and their drain"},
    {"delays_unstalled", "msgs", MQ_MI_NO, MQ_MI_NA, "load tester: measured messages intended outside the tester's own stalls (delay_p99_unstalled_s counts these)"},
    {"delays_measured", "msgs", MQ_MI_NO, MQ_MI_NA, "load tester: messages whose delay was measured (consumed, intended after warm-up)"},
    {"close_lag_s", "s", MQ_MI_NO, MQ_MI_NA, "load tester: largest late wake-up of a closed consumer in the 2-4 s before its close"},
    {"broker_startup_s", "s", MQ_MI_NO, "", "load tester: time the broker took to start"},
    {"disruption_lag_s", "s", MQ_MI_NO, "", "load tester: largest lag of an injected disruption behind its schedule"},
    {"ctl_latency_s", "s", MQ_MI_NO, "", "load tester: control-channel latency"},
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
