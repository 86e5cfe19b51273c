/*
** lt_capture_client.c - which client profile a captured connection gets,
** from its client_properties (product, version, platform).
**
** The libraries are recognised by the product string each one sends (read
** from their sources: the Java client sends "RabbitMQ" with platform
** "Java", pika "Pika Python Client Library", amqp091-go
** "github.com/rabbitmq/amqp091-go" and its predecessor streadway/amqp
** "https://github.com/streadway/amqp", rabbitmq-c "rabbitmq-c"). There is
** no profile for rabbitmq-c: it gets pika's defaults, the closest library
** (no automatic recovery, no publisher confirms unless asked, one thread).
** Anything else gets rabbitmq-java, the default profile of a rabbitmq
** instance (docs/SCENARIO.md). The version matters where it changed a
** default: the Java client turns automatic recovery on by default from
** 4.0.0 (before, off).
*/
#include "load/lt_capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Major version of "4.12.0", "5.20.0-SNAPSHOT"; -1 when not a number. */
static int major_of(const char *v)
{
    if (*v < '0' || *v > '9') return -1;
    return atoi(v);
}

void lt_capture_profile(const lt_cap_client *c, lt_cap_profile *out)
{
    memset(out, 0, sizeof *out);
    out->automatic = -1;
    const char *pr = c->product, *ver = *c->version ? c->version : "unknown";
    lt_prov *pv = &out->prov;
    pv->kind = LT_MEASURED;
    if (!strcmp(pr, "RabbitMQ") && strstr(c->platform, "Java")) {
        out->profile = "rabbitmq-java";
        snprintf(pv->how, sizeof pv->how, "client_properties: RabbitMQ Java client %s", ver);
        int m = major_of(c->version);
        if (m >= 0 && m < 4) {
            out->automatic = 0;
            snprintf(out->automatic_how, sizeof out->automatic_how,
                     "Java client %s: automatic recovery is off by default before 4.0.0", ver);
        }
    } else if (strstr(pr, "Pika")) {
        out->profile = "pika";
        snprintf(pv->how, sizeof pv->how, "client_properties: pika %s", ver);
    } else if (strstr(pr, "amqp091-go")) {
        out->profile = "go-amqp091";
        snprintf(pv->how, sizeof pv->how, "client_properties: amqp091-go %s", ver);
    } else if (strstr(pr, "streadway/amqp")) {
        out->profile = "go-amqp091";
        pv->kind = LT_ESTIMATED;
        snprintf(pv->how, sizeof pv->how, "client_properties: streadway/amqp %s, the library "
                 "amqp091-go continues (same reconnect behaviour)", ver);
    } else if (!strcmp(pr, "rabbitmq-c")) {
        out->profile = "pika";
        pv->kind = LT_DEFAULT;
        snprintf(pv->how, sizeof pv->how, "client_properties: rabbitmq-c %s; no profile for it, "
                 "pika's defaults (also no automatic recovery, confirms off unless asked)", ver);
    } else {
        out->profile = "rabbitmq-java";
        pv->kind = LT_DEFAULT;
        snprintf(pv->how, sizeof pv->how, "client_properties: unknown client '%.60s' %s; the "
                 "default profile of a rabbitmq instance", *pr ? pr : "(no product)", ver);
    }
}
