/*
** mq_profile.c - the client profile table (see mq_profile.h).
**
** Values trace to /work/shared/docs/model-reference.md rows ("#N"); anything
** not in it says "assumption" and why the value was picked. docs/SCENARIO.md
** reproduces this table for users; keep the two in step.
**
** Decisions worth knowing:
** - prefetch must be >= 1 in a scenario, so the AMQP profiles whose library
**   default is 0 = unlimited (raw Java client, pika, amqp091-go) use Spring's
**   250 (#8), the middle of RabbitMQ's recommended 100-300.
** - Silent-peer detection follows each library's own timer (checked
**   against the real libraries, docs/VALIDATION.md): Java 2.25 x heartbeat,
**   pika 1.5 x (heartbeat + 5 s) on average, Go 1.5 x heartbeat; see
**   mq_profile_heartbeat_s for the code each rule comes from.
** - HTTP clients retry 10 times by default, each failed attempt taking its
**   5 s request timeout plus a 1 s back-off: 10 x 6 s = 60 s, so a send made
**   at the start of a RocketMQ change's HTTP disruption (< 1 min, seed
**   rocketmq-modify-instance-configurations line 41, #27) is still retried
**   after it ends. The seed asks for retries on HTTP clients ("Make sure
**   reconnection and retry mechanisms are configured"); the profile assumes
**   the user configured enough of them to outlast the documented bound. No
**   HTTP SDK default was found; a group with fewer retries gets a `check`
**   warning that names its losses.
*/
#include "models/mq_profile.h"

#include <string.h>

#define NEVER (-1.0)

static const mq_profile profiles[] = {
    {
        .name = "rocketmq-4",
        .summary = "RocketMQ 4.x remoting client (DefaultMQProducer / DefaultMQPushConsumer)",
        .kinds = MQ_PROFILE_ROCKETMQ,
        .protocol = MQ_PROTO_TCP, .endpoint = MQ_EP_VPC,
        .send_timeout_s = 3.0, .retries = 2, .retry_backoff_s = 0.0,
        .confirms = true, .confirm_latency_s = 0.005, .ondown = MQ_ONDOWN_RETRY,
        .confirm_wait_times_out = true,
        .prefetch = 1000, .concurrency = 20, .ack = MQ_ACK_MANUAL,
        .commit_interval_s = 5.0, .process_buffer_on_close = true, .close_drain_s = -1.0,
        .route_refresh_s = 30.0, .rebalance_s = 20.0, .pull_backoff_s = 3.0,
        .reconnect = {
            .automatic = true, .backoff = MQ_BACKOFF_FIXED,
            .interval_s = 3.0, .max_interval_s = 3.0, .multiplier = 1.0,
            .jitter = 0.0, .max_attempts = 0, .detect_silent_s = 30.0,
            .app_restart_s = NEVER,
        },
        .src = {
            .protocol = "model-reference #16 (remoting over TCP)",
            .endpoint = "assumption: clients in the same VPC",
            .send_timeout = "model-reference #16 (sendMsgTimeout 3000 ms)",
            .retries = "model-reference #16 (retryTimesWhenSendFailed 2)",
            .retry_backoff = "model-reference #16 (retry goes at once to another broker)",
            .confirms = "model-reference #16 (sync send)",
            .confirm_latency = "assumption: 5 ms store-and-reply",
            .ondown = "model-reference #16 (failed sends are retried)",
            .confirm_wait_times_out = "assumption: sync send gives up after sendMsgTimeout",
            .prefetch = "model-reference #21 (cache 1000 msgs per queue)",
            .concurrency = "model-reference #22 (consumeThread 20)",
            .ack = "model-reference #19 (offset committed after consume)",
            .commit_interval = "model-reference #19 (persistConsumerOffsetInterval 5 s)",
            .process_buffer_on_close = "not applicable (RocketMQ: no server-side close of a pull)",
            .close_drain = "not applicable (RocketMQ)",
            .route_refresh = "model-reference #17 (pollNameServerInterval 30 s)",
            .rebalance = "model-reference #20 (rebalance every 20 s)",
            .pull_backoff = "model-reference #21 (3 s after a pull error)",
            .automatic = "model-reference #21 (the client keeps pulling and reconnects)",
            .backoff = "model-reference #21 (fixed 3 s pull-error delay)",
            .interval = "model-reference #21 (3 s after a pull error)",
            .max_interval = "model-reference #21 (fixed)",
            .multiplier = "model-reference #21 (fixed)",
            .jitter = "assumption: none",
            .max_attempts = "model-reference #21 (unlimited)",
            .detect_silent = "model-reference #21 (long-poll client timeout 30 s)",
            .app_restart = "assumption: the application is not restarted",
        },
    },
    {
        .name = "rocketmq-5",
        .summary = "RocketMQ 5.x gRPC client (rocketmq-clients)",
        .kinds = MQ_PROFILE_ROCKETMQ,
        .protocol = MQ_PROTO_TCP, .endpoint = MQ_EP_VPC,
        .send_timeout_s = 3.0, .retries = 2, .retry_backoff_s = 0.0,
        .confirms = true, .confirm_latency_s = 0.005, .ondown = MQ_ONDOWN_RETRY,
        .confirm_wait_times_out = true,
        .prefetch = 1024, .concurrency = 20, .ack = MQ_ACK_MANUAL,
        .commit_interval_s = 0.0, .process_buffer_on_close = true, .close_drain_s = -1.0,
        .route_refresh_s = 30.0, .rebalance_s = 5.0, .pull_backoff_s = 1.0,
        .reconnect = {
            .automatic = true, .backoff = MQ_BACKOFF_EXPONENTIAL,
            .interval_s = 1.0, .max_interval_s = 120.0, .multiplier = 1.6,
            .jitter = 0.2, .max_attempts = 0, .detect_silent_s = 20.0,
            .app_restart_s = NEVER,
        },
        .src = {
            .protocol = "model-reference #26 (gRPC over TCP)",
            .endpoint = "assumption: clients in the same VPC",
            .send_timeout = "model-reference #26 (requestTimeout 3 s)",
            .retries = "model-reference #26 (maxAttempts 3 = 2 retries)",
            .retry_backoff = "model-reference #26 (immediate retry)",
            .confirms = "model-reference #26 (send returns a receipt)",
            .confirm_latency = "assumption: 5 ms store-and-reply",
            .ondown = "model-reference #26 (failed sends are retried)",
            .confirm_wait_times_out = "assumption: the receipt wait gives up after requestTimeout",
            .prefetch = "rocketmq-clients java up to 5.2.0: PushConsumerBuilderImpl maxCacheMessageCount 1024 (5.2.1 raised it to 4096)",
            .concurrency = "assumption: consumptionThreadCount 20, as 4.x (#22)",
            .ack = "assumption: per-message ack to the server",
            .commit_interval = "assumption: server-side acks, no offset commit (0 = per ack)",
            .process_buffer_on_close = "not applicable (RocketMQ)",
            .close_drain = "not applicable (RocketMQ)",
            .route_refresh = "model-reference #26 (route refresh 30 s)",
            .rebalance = "rocketmq-clients java 5.0.0-5.2.1 PushConsumerImpl: scanAssignments every 5 s (scheduleWithFixedDelay(..., 1, 5, SECONDS))",
            .pull_backoff = "assumption: 1 s receive retry",
            .automatic = "model-reference #26 (gRPC channel reconnects)",
            .backoff = "model-reference #26 (grpc-java backoff 1 s x1.6 to 120 s)",
            .interval = "model-reference #26 (1 s)",
            .max_interval = "model-reference #26 (120 s)",
            .multiplier = "model-reference #26 (x1.6)",
            .jitter = "assumption: grpc-java default jitter 0.2",
            .max_attempts = "model-reference #26 (unlimited)",
            .detect_silent = "assumption: 2 x heartbeat 10 s (#26)",
            .app_restart = "assumption: the application is not restarted",
        },
    },
    {
        .name = "rabbitmq-java",
        .summary = "RabbitMQ Java client >= 4.0 with automatic recovery (Spring-like prefetch)",
        .kinds = MQ_PROFILE_RABBITMQ,
        .protocol = MQ_PROTO_TCP, .endpoint = MQ_EP_VPC,
        .send_timeout_s = 5.0, .retries = 3, .retry_backoff_s = 2.0,
        .confirms = true, .confirm_latency_s = 0.005, .ondown = MQ_ONDOWN_RETRY,
        .confirm_wait_times_out = true,
        .prefetch = 250, .concurrency = 1, .ack = MQ_ACK_MANUAL,
        .commit_interval_s = 0.0, .process_buffer_on_close = true, .close_drain_s = 10.0,
        .route_refresh_s = 0.0, .rebalance_s = 0.0, .pull_backoff_s = 0.0,
        .reconnect = {
            .automatic = true, .backoff = MQ_BACKOFF_FIXED,
            .interval_s = 5.0, .max_interval_s = 5.0, .multiplier = 1.0,
            .jitter = 0.0, .max_attempts = 0, .detect_silent_s = 135.0,
            .app_restart_s = NEVER,
        },
        .src = {
            .protocol = "model-reference #1 (AMQP 0-9-1 over TCP)",
            .endpoint = "assumption: clients in the same VPC",
            .send_timeout = "assumption: app waits 5 s for a confirm",
            .retries = "assumption: app republishes 3 times (#3: publishing during recovery throws)",
            .retry_backoff = "assumption: 2 s between republish attempts",
            .confirms = "model-reference #9 (publisher confirms on)",
            .confirm_latency = "assumption: 5 ms (#9: persistent msgs can take a few hundred ms)",
            .ondown = "model-reference #3 (publish throws; the app retries)",
            .confirm_wait_times_out = "amqp-client 5.0: Channel.waitForConfirms(timeout) throws TimeoutException (checked, docs/VALIDATION.md)",
            .prefetch = "model-reference #8 (Spring default 250; raw Java client 0 = unlimited)",
            .concurrency = "assumption: one delivery processed at a time per channel",
            .ack = "model-reference #6 (manual acks)",
            .commit_interval = "not applicable (AMQP acks per message)",
            .process_buffer_on_close = "amqp-client 5.0: the ConsumerWorkService dispatches what was read before the close (measured: 48-50 processed after a close, docs/VALIDATION.md)",
            .close_drain = "amqp-client 5.0 ConsumerWorkService: at a close the channel waits DEFAULT_SHUTDOWN_TIMEOUT 10000 ms for its dispatcher, then WorkPool.unregisterAllKeys drops the deliveries not yet started",
            .route_refresh = "not applicable",
            .rebalance = "not applicable",
            .pull_backoff = "not applicable",
            .automatic = "model-reference #1 (automaticRecovery on since 4.0.0)",
            .backoff = "model-reference #2 (fixed)",
            .interval = "model-reference #2 (networkRecoveryInterval 5000 ms)",
            .max_interval = "model-reference #2 (fixed)",
            .multiplier = "model-reference #2 (fixed)",
            .jitter = "model-reference #2 (none)",
            .max_attempts = "model-reference #2 (no limit)",
            .detect_silent = "amqp-client 5.0: 9 read timeouts of hb/4 = 2.25 x hb 60 s = 135 s (measured 135 s, docs/VALIDATION.md)",
            .app_restart = "assumption: the application is not restarted",
        },
    },
    {
        .name = "pika",
        .summary = "pika (Python AMQP 0-9-1), no automatic recovery",
        .kinds = MQ_PROFILE_RABBITMQ,
        .protocol = MQ_PROTO_TCP, .endpoint = MQ_EP_VPC,
        .send_timeout_s = 5.0, .retries = 0, .retry_backoff_s = 0.0,
        .confirms = false, .confirm_latency_s = 0.005, .ondown = MQ_ONDOWN_DROP,
        .confirm_wait_times_out = false,
        .prefetch = 250, .concurrency = 1, .ack = MQ_ACK_MANUAL,
        .commit_interval_s = 0.0, .process_buffer_on_close = false, .close_drain_s = -1.0,
        .route_refresh_s = 0.0, .rebalance_s = 0.0, .pull_backoff_s = 0.0,
        .reconnect = {
            .automatic = false, .backoff = MQ_BACKOFF_FIXED,
            .interval_s = 2.0, .max_interval_s = 2.0, .multiplier = 1.0,
            .jitter = 0.0, .max_attempts = 1, .detect_silent_s = 97.5,
            .app_restart_s = NEVER,
        },
        .src = {
            .protocol = "model-reference #12",
            .endpoint = "assumption: clients in the same VPC",
            .send_timeout = "assumption: 5 s",
            .retries = "model-reference #12 (no recovery; publish raises)",
            .retry_backoff = "model-reference #12 (nothing retries)",
            .confirms = "assumption: confirm_delivery() not enabled",
            .confirm_latency = "assumption: 5 ms",
            .ondown = "model-reference #12 (publish on a closed channel raises; nothing retries)",
            .confirm_wait_times_out = "pika 1.2 blocking_connection.py: BlockingChannel.basic_publish with confirm_delivery() waits without a timeout",
            .prefetch = "assumption: 250 as Spring (#8); pika's own default 0 = unlimited",
            .concurrency = "assumption: one delivery at a time (single-threaded callback)",
            .ack = "assumption: manual acks",
            .commit_interval = "not applicable",
            .process_buffer_on_close = "pika 1.2 blocking_connection.py: _flush_output raises the close before pending deliveries are dispatched",
            .close_drain = "not applicable (the buffer is not processed on close)",
            .route_refresh = "not applicable",
            .rebalance = "not applicable",
            .pull_backoff = "not applicable",
            .automatic = "model-reference #12 (no automatic recovery)",
            .backoff = "model-reference #12 (fixed)",
            .interval = "model-reference #12 (2 s retry delay, first connect only)",
            .max_interval = "model-reference #12",
            .multiplier = "model-reference #12",
            .jitter = "assumption: none",
            .max_attempts = "model-reference #12 (1 connect attempt)",
            .detect_silent = "pika 1.2 heartbeat.py: checked every hb + 5 s, closed at the first idle check: 65-130 s for hb 60 s (#4, #12), mean 97.5 s",
            .app_restart = "model-reference #12 (outage lasts until the app acts; default never)",
        },
    },
    {
        .name = "go-amqp091",
        .summary = "amqp091-go (Go AMQP 0-9-1), no automatic recovery",
        .kinds = MQ_PROFILE_RABBITMQ,
        .protocol = MQ_PROTO_TCP, .endpoint = MQ_EP_VPC,
        .send_timeout_s = 5.0, .retries = 0, .retry_backoff_s = 0.0,
        .confirms = false, .confirm_latency_s = 0.005, .ondown = MQ_ONDOWN_DROP,
        .confirm_wait_times_out = true,
        .prefetch = 250, .concurrency = 1, .ack = MQ_ACK_MANUAL,
        .commit_interval_s = 0.0, .process_buffer_on_close = false, .close_drain_s = -1.0,
        .route_refresh_s = 0.0, .rebalance_s = 0.0, .pull_backoff_s = 0.0,
        .reconnect = {
            .automatic = false, .backoff = MQ_BACKOFF_FIXED,
            .interval_s = 0.0, .max_interval_s = 0.0, .multiplier = 1.0,
            .jitter = 0.0, .max_attempts = 1, .detect_silent_s = 15.0,
            .app_restart_s = NEVER,
        },
        .src = {
            .protocol = "model-reference #13",
            .endpoint = "assumption: clients in the same VPC",
            .send_timeout = "assumption: 5 s",
            .retries = "model-reference #13 (no recovery; publish returns an error)",
            .retry_backoff = "model-reference #13 (nothing retries)",
            .confirms = "assumption: Confirm() not enabled",
            .confirm_latency = "assumption: 5 ms",
            .ondown = "model-reference #13 (nothing retries)",
            .confirm_wait_times_out = "assumption: the app selects on DeferredConfirmation with a send_timeout timer (Wait() itself has no timeout, confirms.go)",
            .prefetch = "assumption: 250 as Spring (#8); library default 0 = unlimited",
            .concurrency = "assumption: one delivery at a time per channel",
            .ack = "assumption: manual acks",
            .commit_interval = "not applicable",
            .process_buffer_on_close = "amqp091-go 1.5 consumers.go buffer: \"closed before drained, drop in-flight\"",
            .close_drain = "not applicable (the buffer is not processed on close)",
            .route_refresh = "not applicable",
            .rebalance = "not applicable",
            .pull_backoff = "not applicable",
            .automatic = "model-reference #13 (no AR in classic releases)",
            .backoff = "model-reference #13",
            .interval = "model-reference #13 (none)",
            .max_interval = "model-reference #13",
            .multiplier = "model-reference #13",
            .jitter = "assumption: none",
            .max_attempts = "model-reference #13 (one dial)",
            .detect_silent = "amqp091-go 1.5 connection.go heartbeater: read deadline 3 x hb/2 = 15 s for hb 10 s (#13; measured 15.0 s)",
            .app_restart = "assumption: the application is not restarted",
        },
    },
    {
        .name = "http",
        .summary = "HTTP client (ApsaraMQ HTTP SDK); stateless requests over the public endpoint",
        .kinds = MQ_PROFILE_ROCKETMQ | MQ_PROFILE_RABBITMQ,
        .protocol = MQ_PROTO_HTTP, .endpoint = MQ_EP_PUBLIC,
        .send_timeout_s = 5.0, .retries = 10, .retry_backoff_s = 1.0,
        .confirms = true, .confirm_latency_s = 0.010, .ondown = MQ_ONDOWN_RETRY,
        .confirm_wait_times_out = true,
        .prefetch = 16, .concurrency = 1, .ack = MQ_ACK_MANUAL,
        .commit_interval_s = 0.0, .process_buffer_on_close = true, .close_drain_s = -1.0,
        .route_refresh_s = 0.0, .rebalance_s = 0.0, .pull_backoff_s = 1.0,
        .reconnect = {
            .automatic = true, .backoff = MQ_BACKOFF_FIXED,
            .interval_s = 1.0, .max_interval_s = 1.0, .multiplier = 1.0,
            .jitter = 0.0, .max_attempts = 0, .detect_silent_s = 5.0,
            .app_restart_s = NEVER,
        },
        .src = {
            .protocol = "model-reference #27 (HTTP access)",
            .endpoint = "assumption: HTTP clients use the public endpoint",
            .send_timeout = "assumption: 5 s request timeout",
            .retries = "assumption: 10 retries x (5 s timeout + 1 s back-off) = 60 s, the seed's < 1 min HTTP disruption (#27); the seed asks for retries on HTTP clients",
            .retry_backoff = "assumption: 1 s between retries",
            .confirms = "assumption: the HTTP response acknowledges the send",
            .confirm_latency = "assumption: 10 ms request round trip",
            .ondown = "assumption: failed requests are retried",
            .confirm_wait_times_out = "assumption: the HTTP request times out",
            .prefetch = "assumption: 16 messages per consume request",
            .concurrency = "assumption: one request at a time",
            .ack = "assumption: explicit ack request",
            .commit_interval = "not applicable",
            .process_buffer_on_close = "not applicable (HTTP)",
            .close_drain = "not applicable (no server-side close of a request)",
            .route_refresh = "not applicable",
            .rebalance = "not applicable",
            .pull_backoff = "assumption: 1 s after a failed consume request",
            .automatic = "assumption: every request opens or reuses a connection",
            .backoff = "assumption: fixed",
            .interval = "assumption: 1 s",
            .max_interval = "assumption: fixed",
            .multiplier = "assumption: fixed",
            .jitter = "assumption: none",
            .max_attempts = "assumption: unlimited",
            .detect_silent = "assumption: = request timeout 5 s",
            .app_restart = "assumption: the application is not restarted",
        },
    },
};

#define NPROFILES (sizeof profiles / sizeof profiles[0])

const mq_profile *mq_profile_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < NPROFILES; i++)
        if (strcmp(profiles[i].name, name) == 0) return &profiles[i];
    return NULL;
}

size_t mq_profile_count(void) { return NPROFILES; }

const mq_profile *mq_profile_at(size_t i)
{
    return i < NPROFILES ? &profiles[i] : NULL;
}

const char *mq_profile_library(const mq_profile *p)
{
    if (!p) return NULL;
    if (strcmp(p->name, "rabbitmq-java") == 0) return "java";
    if (strcmp(p->name, "pika") == 0) return "pika";
    if (strcmp(p->name, "go-amqp091") == 0) return "go";
    return NULL;
}

/* Detection rules, from each library's code (the forward direction):
**   java: the socket read times out every heartbeat/4 and the connection is
**         declared dead after more than 8 timeouts in a row, i.e. on the 9th:
**         detect = 2.25 x heartbeat (AMQConnection in amqp-client 5.0,
**         /usr/share/java/amqp-client.jar; measured 135 s for 60 s);
**   pika: HeartbeatChecker checks every heartbeat + 5 s and closes at the
**         first check that saw no byte since the previous one, so detection
**         lands in [hb + 5, 2 (hb + 5)] after the silence starts: mean
**         1.5 (hb + 5) (/usr/lib/python3/dist-packages/pika/heartbeat.py,
**         _check_interval = timeout + 5);
**   go:   the heartbeater runs every heartbeat/2 and sets a read deadline of
**         3 x that interval: detect = 1.5 x heartbeat
**         (/usr/share/gocode/src/github.com/rabbitmq/amqp091-go/connection.go,
**         heartbeater, maxServerHeartbeatsInFlight = 3). */
double mq_profile_heartbeat_s(const char *lib, double detect_silent_s)
{
    if (!lib) return detect_silent_s / 2;
    if (strcmp(lib, "java") == 0) return detect_silent_s / 2.25;
    if (strcmp(lib, "pika") == 0) return detect_silent_s / 1.5 - 5;
    if (strcmp(lib, "go") == 0) return detect_silent_s / 1.5;
    return detect_silent_s / 2;
}

const mq_profile *mq_profile_default(mq_kind kind)
{
    return mq_profile_find(kind == MQ_KIND_ROCKETMQ ? "rocketmq-4" : "rabbitmq-java");
}

bool mq_profile_fits(const mq_profile *p, mq_kind kind)
{
    unsigned bit = kind == MQ_KIND_ROCKETMQ ? MQ_PROFILE_ROCKETMQ : MQ_PROFILE_RABBITMQ;
    return p && (p->kinds & bit);
}
