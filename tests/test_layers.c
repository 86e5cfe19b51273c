/*
** test_layers.c - the direction of every dependency, the one
** out-of-memory policy and the change plug-ins' privacy, read from the sources.
**
** Lists each .c and .h file under sim/, models/, io/, load/ and cli/ (and
** their subfolders, e.g. models/change/), reads its `#include "..."` lines
** and fails, naming file:line, when one points the wrong way:
**   - sim/ includes only sim/ (the engine knows no message queues);
**   - models/ includes only sim/ and models/ (never io/, load/ or cli/);
**   - io/ and load/ never include cli/, and io/ never includes load/;
**   - models/mq_world.h, the model's private header, is included only by
**     files under models/;
**   - no file but sim/sim_err.h defines an out-of-memory check (a macro
**     named *OOM*): there is one policy, SIM_NEED / SIM_NEED_OK;
**   - nothing names a change type outside its own files (a `change/`
**     subfolder): no line elsewhere holds a change type's key (read from
**     the `.key = "..."` of the .c files in models/change/), the name of one of its
**     files (the stems under models/change/, io/change/ and load/change/,
**     except the registries and plug-in interfaces, whose stems say
**     "change"), the load tester's conversion phase names (LT_PH_,
**     lt_phase), or a metric of its own (a `{"name", "unit", ...}` row of
**     its metric table, looked for in quotes). A plug-in is reached
**     through its table only.
** A file's layer is the first folder of its path and an include's layer the
** first folder of the included path, so subfolders need no entry here.
** Tests (tests/) are white-box and exempt. The rule function is tested on
** made-up pairs first, so a rule that can never fire would show.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const layers[] = {"sim", "models", "io", "load", "cli"};
enum { N_LAYERS = sizeof layers / sizeof *layers };

/* The layer index of a path's first folder, or -1. */
static int layer_of(const char *path)
{
    for (int i = 0; i < N_LAYERS; i++) {
        size_t n = strlen(layers[i]);
        if (!strncmp(path, layers[i], n) && path[n] == '/') return i;
    }
    return -1;
}

/* NULL when `file` may include `inc`, else why not. */
static const char *violation(const char *file, const char *inc)
{
    int from = layer_of(file), to = layer_of(inc);
    if (!strcmp(inc, "models/mq_world.h") && from != 1)
        return "models/mq_world.h is private to models/";
    if (to < 0) return "includes a file outside sim/, models/, io/, load/ and cli/";
    static const char allowed[N_LAYERS][N_LAYERS] = {
        /*            sim models io load cli */
        /* sim    */ {1, 0, 0, 0, 0},
        /* models */ {1, 1, 0, 0, 0},
        /* io     */ {1, 1, 1, 0, 0},
        /* load   */ {1, 1, 1, 1, 0},
        /* cli    */ {1, 1, 1, 1, 1},
    };
    if (from < 0) return "is not in a layer";
    return allowed[from][to] ? NULL : "includes a layer above its own";
}

/* Names that belong to one change type (see the file header). */
typedef struct names {
    char v[160][64];
    int n;
} names;

static void names_add(names *nm, const char *name)
{
    if (!*name || nm->n == 160) return;
    for (int i = 0; i < nm->n; i++)
        if (!strcmp(nm->v[i], name)) return;
    snprintf(nm->v[nm->n++], sizeof nm->v[0], "%s", name);
}

/* Inside a change type's own files: a `change/` folder. */
static bool in_change_dir(const char *rel)
{
    return strstr(rel, "/change/") != NULL;
}

/* The change-type name that this line of file rel holds where it may not,
** or NULL. */
static const char *names_change(const char *rel, const char *line, const names *nm)
{
    if (in_change_dir(rel)) return NULL;
    for (int i = 0; i < nm->n; i++)
        if (strstr(line, nm->v[i])) return nm->v[i];
    return NULL;
}

static void test_rules(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"sim/sim.c", "models/mq_model.h"},         {"sim/sim_rep.h", "io/units.h"},
        {"models/mq_budget.c", "io/units.h"},       {"models/mq_x.c", "load/lt_run.h"},
        {"models/change/ch.c", "cli/cli.h"},        {"models/change/ch.c", "io/scn_yaml.h"},
        {"io/report.c", "cli/cli_text.h"},          {"io/a.c", "load/lt_run.h"},
        {"load/lt_run.c", "cli/cli_par.h"},         {"load/lt_run.c", "models/mq_world.h"},
        {"cli/cmd_run.c", "models/mq_world.h"},     {"io/deep/x.c", "models/mq_world.h"},
        {"models/a.c", "tests/test_util.h"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (!violation(bad[i][0], bad[i][1]))
            fail_msg("%s including %s should be refused", bad[i][0], bad[i][1]);
    static const char *const good[][2] = {
        {"sim/sim.c", "sim/sim_err.h"},             {"models/mq_model.c", "models/mq_world.h"},
        {"models/change/ch.c", "models/mq_world.h"}, {"models/change/ch.c", "sim/sim.h"},
        {"io/scn_budget.c", "models/mq_budget.h"},  {"load/lt_run.c", "io/out_run.h"},
        {"cli/cmd_run.c", "load/lt_run.h"},         {"cli/cmd_run.c", "models/mq_model.h"},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (violation(good[i][0], good[i][1]))
            fail_msg("%s including %s should be allowed", good[i][0], good[i][1]);
    names nm = {0};
    names_add(&nm, "rabbitmq_conversion");
    names_add(&nm, "lt_conv");
    names_add(&nm, "LT_PH_");
    names_add(&nm, "\"conversion_lag_s\"");
    static const char *const named[][2] = {
        {"models/mq_metric_info.c", "    {\"conversion_lag_s\", \"s\", MQ_MI_NO, \"\", \"lag\"},"},
        {"load/lt_client.c", "    return lt_phase_now(x) >= LT_PH_DUAL ? LT_DST : LT_SRC;"},
        {"cli/bench_e2e.c", "    const char *keys[] = {\"rabbitmq_conversion.at\"};"},
        {"load/lt_run.h", "** Flow: [a conversion's two nodes (lt_conv.h)]"},
    };
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (!names_change(named[i][0], named[i][1], &nm))
            fail_msg("%s: '%s' should be refused", named[i][0], named[i][1]);
    static const char *const fine[][2] = {
        {"load/change/lt_conv.c", "    c->phase = LT_PH_DUAL;"},
        {"models/change/mq_rabbitmq.c", "    .key = \"rabbitmq_conversion\","},
        {"load/lt_client.c", "    return x->change ? x->change->connect_node(x->change_state) : LT_SRC;"},
    };
    for (size_t i = 0; i < sizeof fine / sizeof *fine; i++)
        if (names_change(fine[i][0], fine[i][1], &nm))
            fail_msg("%s: '%s' should be allowed", fine[i][0], fine[i][1]);
}

typedef struct found {
    char text[16384];
    size_t len;
    int files, includes;
    const names *nm;
} found;

static void note(found *f, const char *fmt, ...)
{
    if (f->len >= sizeof f->text - 1) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->text + f->len, sizeof f->text - f->len, fmt, ap);
    va_end(ap);
    if (n > 0) f->len = f->len + (size_t)n < sizeof f->text ? f->len + (size_t)n : sizeof f->text - 1;
}

/* Check one file's quoted includes (`rel` is its path from the root). */
static void scan_file(const char *root, const char *rel, found *f)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        note(f, "%s: cannot read\n", rel);
        return;
    }
    f->files++;
    char line[1024];
    for (int ln = 1; fgets(line, sizeof line, fp); ln++) {
        const char *named = f->nm ? names_change(rel, line, f->nm) : NULL;
        if (named)
            note(f, "%s:%d: names the change type's '%s' outside its own files; go through "
                    "its table (a change/ folder's registry)\n", rel, ln, named);
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p++ != '#') continue;
        while (*p == ' ' || *p == '\t') p++;
        if (!strncmp(p, "define", 6)) {
            char name[128] = "";
            sscanf(p + 6, " %127[A-Za-z0-9_]", name);
            if (strstr(name, "OOM") && strcmp(rel, "sim/sim_err.h"))
                note(f, "%s:%d: #define %s: an out-of-memory check of its own; use SIM_NEED or "
                        "SIM_NEED_OK (sim/sim_err.h)\n", rel, ln, name);
            continue;
        }
        if (strncmp(p, "include", 7)) continue;
        p += 7;
        while (*p == ' ' || *p == '\t') p++;
        if (*p++ != '"') continue;
        const char *end = strchr(p, '"');
        if (!end) continue;
        char inc[512];
        snprintf(inc, sizeof inc, "%.*s", (int)(end - p), p);
        f->includes++;
        const char *why = violation(rel, inc);
        if (why) note(f, "%s:%d: #include \"%s\": %s\n", rel, ln, inc, why);
    }
    fclose(fp);
}

/* Every .c and .h under root/rel, subfolders included. */
static void scan_dir(const char *root, const char *rel, found *f)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    DIR *d = opendir(path);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char sub[2048];
        snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name);
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (stat(full, &st)) continue;
        size_t n = strlen(e->d_name);
        if (S_ISDIR(st.st_mode)) scan_dir(root, sub, f);
        else if (n > 2 && (!strcmp(e->d_name + n - 2, ".c") || !strcmp(e->d_name + n - 2, ".h")))
            scan_file(root, sub, f);
    }
    closedir(d);
}

/* The names of one change type's own files under root/dir (stems without
** "change") and, with keys, the `.key = "..."` of its .c files and the
** metric names of their metric tables, quoted. */
static void collect_names(const char *root, const char *dir, bool keys, names *nm)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, dir);
    DIR *d = opendir(path);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 3 || e->d_name[n - 2] != '.' || (e->d_name[n - 1] != 'c' && e->d_name[n - 1] != 'h'))
            continue;
        char stem[64];
        snprintf(stem, sizeof stem, "%.*s", (int)(n - 2), e->d_name);
        if (strstr(stem, "change")) continue;
        names_add(nm, stem);
        if (!keys || e->d_name[n - 1] != 'c') continue;
        char file[sizeof path + 260];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        FILE *fp = fopen(file, "r");
        if (!fp) continue;
        char line[1024];
        while (fgets(line, sizeof line, fp)) {
            char key[64];
            const char *k = strstr(line, ".key = \"");
            if (k && sscanf(k, ".key = \"%63[^\"]\"", key) == 1) names_add(nm, key);
            char metric[60];
            int end = 0;
            if (sscanf(line, "    {\"%59[a-z0-9_]\"%n", metric, &end) == 1 && end &&
                !strncmp(line + end, ", \"", 3)) {
                char quoted[64];
                snprintf(quoted, sizeof quoted, "\"%s\"", metric);
                names_add(nm, quoted);
            }
        }
        fclose(fp);
    }
    closedir(d);
}

static void test_tree(void **state)
{
    (void)state;
    const char *root = getenv("MQSIM_ROOT");
    if (!root) root = ".";
    static names nm;
    memset(&nm, 0, sizeof nm);
    collect_names(root, "models/change", true, &nm);
    collect_names(root, "io/change", false, &nm);
    collect_names(root, "load/change", false, &nm);
    /* the load tester's conversion phases (load/change/lt_conv.h) */
    names_add(&nm, "LT_PH_");
    names_add(&nm, "lt_phase");
    /* the scan must have found the change types it guards, and their metrics */
    if (nm.n < 40) fail_msg("found only %d change-type names under %s", nm.n, root);
    static found f;
    memset(&f, 0, sizeof f);
    f.nm = &nm;
    for (int i = 0; i < N_LAYERS; i++) scan_dir(root, layers[i], &f);
    /* the scan itself must have seen the sources */
    if (f.files < 100 || f.includes < f.files)
        fail_msg("read only %d files and %d includes under %s", f.files, f.includes, root);
    if (f.len) fail_msg("against the layering rules:\n%s", f.text);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_tree),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
