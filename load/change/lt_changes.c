/*
** lt_changes.c - the registry of change types the load tester can replay
** (lt_change.h): the one load/ file that lists them.
*/
#include "load/change/lt_change.h"
#include "load/change/lt_conv.h"
#include "models/change/mq_change.h"

#include <string.h>

static const lt_change_ops *const lt_changes[] = {
    &lt_conv_ops,
    NULL,
};

const lt_change_ops *lt_change_find(const mq_scenario *s)
{
    for (size_t i = 0; s->change.ops && lt_changes[i]; i++)
        if (strcmp(lt_changes[i]->key, s->change.ops->key) == 0) return lt_changes[i];
    return NULL;
}
