/*
** scn_override.h - apply `KEY=VALUE` settings to a scenario's YAML text
** before it is loaded, so sweeps and capacity searches can vary any key of
** the scenario language and every check and rule still runs on the result.
**
** KEY is a dotted path. A segment names a mapping key; on a sequence it
** selects the item whose `name:` equals the segment, or an index written
** `[i]`:  consumers.workers.count, consumers[0].prefetch, run.start_at,
** instance.spec_tps, producers.web.rate. A first segment `change` names
** the scenario's change block whatever its type (its key is found through
** the registry, io/change/scn_changes.c): change.at. A missing final key is added to
** its mapping; a missing intermediate one is an error naming the path.
** VALUE replaces the scalar as written (units included: `30s`, `2h`).
**
** Ownership: on success *out is a malloc'ed, NUL-terminated YAML text the
** caller frees. The input text should already have passed scn_load (limits,
** syntax), since this parses it with libyaml's document API.
*/
#ifndef SCN_OVERRIDE_H
#define SCN_OVERRIDE_H

#include "sim/sim_err.h"

#include <stddef.h>

/* One "KEY=VALUE" setting split into its parts (pointers into `spec`). */
int scn_override_apply(const char *text, size_t len, const char *const *keys,
                       const char *const *values, size_t n, char **out,
                       size_t *outlen, sim_err *err);

/* Load the scenario at `path` with n settings applied (n may be 0), after
** checking the unmodified file first so that its own errors are reported
** against its own lines. Messages about the modified text name it
** "path [k=v, ...]". 0 ok; -1 with err filled (*out left empty). */
struct mq_scenario;
int scn_load_with(const char *path, const char *const *keys, const char *const *values,
                  size_t n, struct mq_scenario *out, sim_err *err);

#endif
