/*
** mq_metric_info.c - the metric table (see mq_metric_info.h): the base
** model's rows, in the order it writes them, then each change type's own
** rows (mq_change_ops.metrics_info, in registry order), then the load tester's.
*/
#include "models/mq_metric_info.h"
#include "models/change/mq_change.h"

#include <string.h>

#define LO SIM_BETTER_LOWER
#define HI SIM_BETTER_HIGHER
#define NO SIM_BETTER_NONE
#define CEN "censored_at_end"
#define NR "not_reached"
#define NA "not_applicable"

static const mq_metric_info table[] = {
    {"messages_published", "msgs", NO, "", "messages the producers created (sent or failed), preloaded backlog excluded"},
    {"messages_preloaded", "msgs", NO, "", "messages of the initial backlogs and scheduled messages"},
    {"messages_consumed", "msgs", HI, "", "distinct messages processed by a consumer"},
    {"duplicates", "msgs", LO, "", "extra deliveries of a message already processed (all causes)"},
    {"duplicate_rate", "ratio", LO, "", "duplicates per consumed message"},
    {"duplicates_requeue", "msgs", LO, "", "duplicates from deliveries requeued after a consumer dropped mid-processing"},
    {"duplicates_republish", "msgs", LO, "", "duplicates from producers republishing a send whose confirm was lost"},
    {"duplicates_send_retry", "msgs", LO, "", "duplicates from a producer retrying a send that had been stored"},
    {"redelivered", "msgs", LO, "", "deliveries flagged as redelivered"},
    {"lost", "msgs", LO, "", "messages that will never be delivered (all causes)"},
    {"lost_send_failed", "msgs", LO, "", "sends that failed for good (no retry or buffer left)"},
    {"lost_autoack_buffer", "msgs", LO, "", "auto-acked deliveries in the buffer of a consumer that dropped"},
    {"expired", "msgs", LO, "", "messages removed by TTL or retention (all causes)"},
    {"expired_ttl", "msgs", LO, "", "messages removed by their TTL"},
    {"expired_retention", "msgs", LO, "", "messages removed by the retention period"},
    {"still_stored", "msgs", NO, "", "messages still pending at the end (in the broker or clients)"},
    {"still_in_producers", "msgs", LO, "", "messages still held by producers (buffers, retries) at the end"},
    {"delay_mean_s", "s", LO, "", "mean end-to-end delay (intended send to processing) of delivered messages sent after warm-up"},
    {"delay_p50_s", "s", LO, "", "median delay of delivered messages"},
    {"delay_p90_s", "s", LO, "", "90th percentile delay of delivered messages"},
    {"delay_p99_s", "s", LO, "", "99th percentile delay of delivered messages (read it with undelivered_fraction)"},
    {"delay_p999_s", "s", LO, "", "99.9th percentile delay of delivered messages"},
    {"delay_p9999_s", "s", LO, "", "99.99th percentile delay of delivered messages"},
    {"delay_max_s", "s", LO, "", "largest delay of a delivered message"},
    {"undelivered_fraction", "ratio", LO, "", "messages sent after warm-up that were lost, expired or not delivered by the end, per message sent after warm-up"},
    {"delay_all_p50_s", "s", LO, "", "median delay over every message sent after warm-up, undelivered ones counted as delayed to the end of the run"},
    {"delay_all_p99_s", "s", LO, "", "99th percentile delay over every message sent after warm-up, undelivered ones counted as delayed to the end of the run (losing messages cannot lower it)"},
    {"delay_all_p999_s", "s", LO, "", "99.9th percentile of the same"},
    {"disruption_max_s", "s", LO, CEN, "longest time one client was cut off; censored when a client was still cut off at the end"},
    {"disruption_client_s", "s", LO, CEN, "client-seconds cut off, summed over clients; censored as above"},
    {"clients_disrupted", "clients", LO, "", "clients cut off at least once"},
    {"clients_cut_off_at_end", "clients", LO, "", "clients still cut off when the run ended (never reconnected)"},
    {"reconnects", "count", NO, "", "successful reconnections"},
    {"exceptions_logged", "count", LO, "", "client exceptions (failed sends, dropped connections)"},
    {"throttled_sends", "count", LO, "", "send attempts rejected by the capacity limit"},
    {"backlog_at_drain_start", "msgs", NO, "", "ready messages when the drain clock starts (run.drain_from)"},
    {"drain_time_s", "s", LO, NR, "time from run.drain_from until the backlog first empties; not_reached when it never does"},
    {"drain_time_fluid_s", "s", LO, "", "fluid estimate backlog / (capacity - offered rate); inf when the consumers cannot keep up"},
    {"consume_capacity", "msg/s", NO, "", "the consumers' capacity from concurrency, prefetch and processing time"},
    {"offered_rate_at_drain_start", "msg/s", NO, "", "producers' send rate at run.drain_from"},
    {"backlog_max", "msgs", LO, "", "largest number of ready messages"},
    {"backlog_mean", "msgs", LO, "", "time-averaged ready messages after warm-up"},
    {"in_system_mean", "msgs", LO, "", "time-averaged ready plus unacknowledged messages after warm-up"},
    {"sim_events", "events", NO, "", "engine events executed (cost of the run)"},
};

/* measured by `mqsim load` only */
static const mq_metric_info load_rows[] = {
    {"republished", "msgs", NO, "", "load tester: sends the real client library published again"},
    {"consumer_overhead_s", "s", NO, "", "load tester: measured per-message client cost"},
    {"consumer_closes", "count", NO, NA, "load tester: consumer connections the server closed, as the consumers saw them"},
    {"close_held_unacked", "msgs", NO, NA, "load tester: deliveries the closed consumers held unacked at the close (being processed + buffered)"},
    {"close_held_buffered", "msgs", NO, NA, "load tester: deliveries the closed consumers had read into their buffers at the close"},
    {"duplicates_given_close_state", "msgs", NO, NA, "load tester: duplicates the model's close rule predicts from what the closed consumers held"},
    {"delay_p99_unstalled_s", "s", NO, NA, "load tester: p99 delay of the messages intended outside the tester's own stalls and their drain"},
    {"delays_unstalled", "msgs", NO, NA, "load tester: measured messages intended outside the tester's own stalls (delay_p99_unstalled_s counts these)"},
    {"delays_measured", "msgs", NO, NA, "load tester: messages whose delay was measured (consumed, intended after warm-up)"},
    {"close_lag_s", "s", NO, NA, "load tester: largest late wake-up of a closed consumer in the 2-4 s before its close"},
    {"broker_startup_s", "s", NO, "", "load tester: time the broker took to start"},
    {"disruption_lag_s", "s", NO, "", "load tester: largest lag of an injected disruption behind its schedule"},
    {"ctl_latency_s", "s", NO, "", "load tester: control-channel latency"},
    {"source_drain_fluid_measured_s", "s", LO, NR, "load tester: source drain estimate with the measured client cost"},
    {"conversion_lag_s", "s", NO, "", "load tester: largest lag of a conversion step behind its schedule"},
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
