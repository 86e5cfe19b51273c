/*
** lt_http.c - GET + JSON over libcurl for the management API (see
** lt_http.h).
**
** The body is collected into a growable buffer capped at MAX_BODY (a
** management API answer for a few thousand connections is a few MB; more
** than the cap is refused, never truncated into a wrong parse). libcurl is
** initialised once per process (curl_global_init is not thread-safe, so it
** runs from the first open, which `mqsim capture` does before any thread
** exists).
*/
#include "load/lt_http.h"
#include "load/lt_client.h"
#include "sim/sim_mem.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY (64u << 20)

struct lt_http {
    CURL *c;
    char base[256];
    char auth[320];
    char *buf;
    size_t len, cap;
    int too_big;
    double timeout_s;
};

static int curl_ready;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    lt_http *h = ud;
    size_t k = size * n;
    if (h->len + k + 1 > MAX_BODY) {
        h->too_big = 1;
        return 0; /* aborts the transfer */
    }
    SIM_NEED_OK(sim_grow((void **)&h->buf, &h->cap, h->len + k + 1, 1));
    memcpy(h->buf + h->len, p, k);
    h->len += k;
    h->buf[h->len] = '\0';
    return k;
}

int lt_http_check_target(const char *url, bool allow_remote, char *base, size_t n,
                         sim_err *err)
{
    const char *p;
    bool tls = false;
    if (!strncmp(url, "http://", 7)) p = url + 7;
    else if (!strncmp(url, "https://", 8)) p = url + 8, tls = true;
    else return sim_err_set(err, "broker '%s': expected http://HOST:PORT (the management API)", url);
    char host[256];
    size_t k;
    if (*p == '[') { /* [v6] */
        k = strcspn(p + 1, "]");
        if (p[1 + k] != ']' || k == 0 || k >= sizeof host)
            return sim_err_set(err, "broker '%s': bad [IPv6] address", url);
        memcpy(host, p + 1, k);
        host[k] = '\0';
        p += k + 2;
    } else {
        k = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
        if (k == 0 || k >= sizeof host)
            return sim_err_set(err, "broker '%s': expected a host name or address", url);
        memcpy(host, p, k);
        host[k] = '\0';
        p += k;
    }
    long port = tls ? 443 : 15672;
    if (*p == ':') {
        char *end;
        port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535)
            return sim_err_set(err, "broker '%s': port must be 1..65535", url);
        p = end;
    }
    if (*p == '/') p++;
    if (*p)
        return sim_err_set(err, "broker '%s': unexpected '%s' after the address (no user "
                           "info or path: the API paths are added by mqsim)", url, p);
    if (!allow_remote && !lt_host_is_loopback(host))
        return sim_err_set(err, "refusing broker host '%s': not a loopback address (127.0.0.0/8, "
                           "::1, localhost); pass --allow-remote to capture a remote broker", host);
    if (strchr(host, ':'))
        snprintf(base, n, "%s://[%s]:%ld", tls ? "https" : "http", host, port);
    else
        snprintf(base, n, "%s://%s:%ld", tls ? "https" : "http", host, port);
    return 0;
}

lt_http *lt_http_open(const char *base, const char *user, const char *password,
                      double timeout_s, sim_err *err)
{
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            sim_err_set(err, "libcurl failed to initialise");
            return NULL;
        }
        curl_ready = 1;
    }
    if (strlen(base) >= sizeof ((lt_http *)0)->base ||
        strlen(user) + strlen(password) + 2 > sizeof ((lt_http *)0)->auth) {
        sim_err_set(err, "broker address, user or password too long");
        return NULL;
    }
    lt_http *h = calloc(1, sizeof *h);
    SIM_NEED(h && (h->c = curl_easy_init()), "out of memory");
    snprintf(h->base, sizeof h->base, "%s", base);
    size_t bl = strlen(h->base);
    while (bl > 0 && h->base[bl - 1] == '/') h->base[--bl] = '\0';
    snprintf(h->auth, sizeof h->auth, "%s:%s", user, password);
    h->timeout_s = timeout_s;
    long ms = (long)(timeout_s * 1000);
    if (ms < 1) ms = 1;
    curl_easy_setopt(h->c, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(h->c, CURLOPT_CONNECTTIMEOUT_MS, ms);
    curl_easy_setopt(h->c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(h->c, CURLOPT_USERPWD, h->auth);
    curl_easy_setopt(h->c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h->c, CURLOPT_WRITEDATA, h);
    /* only http(s), no redirect: an answer from elsewhere is not this broker */
    curl_easy_setopt(h->c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h->c, CURLOPT_FOLLOWLOCATION, 0L);
    return h;
}

void lt_http_close(lt_http *h)
{
    if (!h) return;
    curl_easy_cleanup(h->c);
    memset(h->auth, 0, sizeof h->auth);
    free(h->buf);
    free(h);
}

const char *lt_http_base(const lt_http *h)
{
    return h->base;
}

json_t *lt_http_get(lt_http *h, const char *path, sim_err *err)
{
    char url[1024];
    if (snprintf(url, sizeof url, "%s%s", h->base, path) >= (int)sizeof url) {
        sim_err_set(err, "request path too long");
        return NULL;
    }
    h->len = 0;
    h->too_big = 0;
    if (h->buf) h->buf[0] = '\0';
    curl_easy_setopt(h->c, CURLOPT_URL, url);
    CURLcode rc = curl_easy_perform(h->c);
    if (rc != CURLE_OK) {
        if (h->too_big)
            sim_err_set(err, "%s: answer larger than %u MiB", url, MAX_BODY >> 20);
        else if (rc == CURLE_OPERATION_TIMEDOUT)
            sim_err_set(err, "no answer from %s within %g s (the request's time limit, "
                        "--timeout); is the broker overloaded or is this not its management "
                        "API?", h->base, h->timeout_s);
        else
            sim_err_set(err, "cannot reach the management API at %s (%s); is the broker up "
                        "and the management plugin enabled?", h->base, curl_easy_strerror(rc));
        return NULL;
    }
    long status = 0;
    curl_easy_getinfo(h->c, CURLINFO_RESPONSE_CODE, &status);
    if (status == 401) {
        sim_err_set(err, "%s refused the login (HTTP 401): check --user and --password-file",
                    h->base);
        return NULL;
    }
    if (status < 200 || status > 299) {
        sim_err_set(err, "%s: HTTP %ld", url, status);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(h->buf ? h->buf : "", h->len, 0, &je);
    if (!j) {
        sim_err_set(err, "%s: the answer is not JSON (%s at byte %d); is this a RabbitMQ "
                    "management API?", url, je.text, je.position);
        return NULL;
    }
    return j;
}
