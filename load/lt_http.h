/*
** lt_http.h - the management HTTP API client of `mqsim capture`: one GET
** with basic authentication and a time limit, answered as parsed JSON.
**
** Why libcurl and jansson: HTTP (redirects, chunked bodies, keep-alive,
** authentication) and JSON are easy to get subtly wrong by hand; both are
** Debian packages the project already builds with (jansson) or installs
** (libcurl4-openssl-dev). One handle is reused for every request of a
** capture, so the samples share one TCP connection.
**
** Failures are told apart, because the user's fix differs: the broker is
** down or unreachable (connect refused, timeout), the login is refused
** (HTTP 401), another HTTP status, or the answer is not JSON (not a
** management API at that address).
**
** Ownership: lt_http_open returns a handle the caller closes with
** lt_http_close; user and password are copied. lt_http_get returns a new
** JSON reference the caller releases with json_decref.
*/
#ifndef LT_HTTP_H
#define LT_HTTP_H

#include "sim/sim_err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct lt_http lt_http;

/* Parse the API's address, http[s]://HOST[:PORT][/] (port 15672 by
** default; no user info, no path), into base ("http://HOST:PORT") and apply
** the load tester's loopback rule (lt_host_is_loopback): a host that is not
** a literal loopback address is refused unless allow_remote. Nothing is
** resolved or connected. 0 ok; -1 with a message ("refusing ..." for a
** remote host). */
int lt_http_check_target(const char *url, bool allow_remote, char *base, size_t n,
                         sim_err *err);

/* A client for base (http://HOST:PORT, no trailing path) with basic
** authentication user:password and a time limit of timeout_s for every
** request (connect included). NULL with a message on failure. */
lt_http *lt_http_open(const char *base, const char *user, const char *password,
                      double timeout_s, sim_err *err);
void lt_http_close(lt_http *h);

/* GET base + path (path starts with "/api/"); the parsed JSON, or NULL with
** a message: "cannot reach ...", "... refused the login (HTTP 401) ...",
** "HTTP <status> ...", "... is not JSON ...". */
json_t *lt_http_get(lt_http *h, const char *path, sim_err *err);

/* The address the client talks to (for messages). */
const char *lt_http_base(const lt_http *h);

#endif
