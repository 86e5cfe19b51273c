/*
** mq_changes.c - the registry of change types: the one place that lists
** them. Adding a change type adds its table here (one line) and its files
** under models/change/ and io/change/ (see docs/MODEL.md, "How to add a
** change type"); nothing else in models/ names a change type.
*/
#include "models/change/mq_change.h"
#include "models/change/mq_rabbitmq.h"
#include "models/change/mq_rocketmq.h"
#include "models/change/mq_rolling_restart.h"

#include <string.h>

const mq_change_ops mq_change_none = {.key = ""};

const mq_change_ops *const mq_changes[] = {
    &mq_rabbitmq_ops,
    &mq_rocketmq_ops,
    &mq_rolling_restart_ops,
    NULL,
};

const mq_change_ops *mq_change_find(const char *key)
{
    for (size_t i = 0; key && mq_changes[i]; i++)
        if (strcmp(mq_changes[i]->key, key) == 0) return mq_changes[i];
    return NULL;
}
