/* runjson_read.c - reading run folders that may come from anyone: load
 * run.json, validate it against the compiled-in schema, and the accessors
 * plot, compare and report share (runjson.h).
 *
 * The validator implements the JSON Schema (2020-12) keywords the schema
 * uses - type, const, enum, minimum, pattern, required, properties,
 * additionalProperties, items, prefixItems, minItems, maxItems, allOf,
 * oneOf, $ref to "#/..." - and refuses to validate against a schema that
 * uses any other keyword, so that a rule added to the schema can never be
 * skipped silently (tests/test_runjson.sh also checks it against Python's
 * jsonschema on broken documents). */
#include "runjson.h"
#include "cli.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* --- the validator -------------------------------------------------------- */

typedef struct vctx {
    json_t *root;               /* the schema, for $ref */
    char path[1024];            /* JSON pointer of the instance being checked */
    size_t plen;
    char *err;
    size_t len;
    size_t err_depth;           /* path length of the error kept (oneOf keeps the deepest) */
} vctx;

/* Bytes a terminal would act on become '?': error messages are one line. */
static void printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

static int fail(vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(vctx *v, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(v->err, v->len, "%s: %s", v->plen ? v->path : "(top level)", msg);
    printable(v->err);
    v->err_depth = v->plen;
    return -1;
}

/* Appends "/seg" to the path (long keys cut); returns the old length. */
static size_t path_push(vctx *v, const char *seg)
{
    size_t old = v->plen;
    int n = snprintf(v->path + v->plen, sizeof v->path - v->plen, "/%.40s%s", seg,
                     strlen(seg) > 40 ? "..." : "");

    if (n > 0)
        v->plen = v->plen + (size_t)n < sizeof v->path ? v->plen + (size_t)n
                                                         : sizeof v->path - 1;
    return old;
}

static size_t path_push_index(vctx *v, size_t i)
{
    char b[32];

    snprintf(b, sizeof b, "%zu", i);
    return path_push(v, b);
}

static void path_pop(vctx *v, size_t old)
{
    v->plen = old;
    v->path[old] = '\0';
}

static bool integral(json_t *j)
{
    double d;

    if (json_is_integer(j))
        return true;
    d = json_real_value(j);
    return json_is_real(j) && isfinite(d) && floor(d) == d;
}

/* JSON Schema types; an integer is any number without a fraction, as in
 * the specification (1.0 is an integer). */
static bool is_type(json_t *j, const char *t)
{
    if (!strcmp(t, "object")) return json_is_object(j);
    if (!strcmp(t, "array")) return json_is_array(j);
    if (!strcmp(t, "string")) return json_is_string(j);
    if (!strcmp(t, "boolean")) return json_is_boolean(j);
    if (!strcmp(t, "null")) return json_is_null(j);
    if (!strcmp(t, "number")) return json_is_number(j);
    if (!strcmp(t, "integer")) return integral(j);
    return false;
}

static const char *type_name(json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int check(vctx *v, json_t *sch, json_t *inst);

static int check_type(vctx *v, json_t *t, json_t *inst)
{
    char want[128] = "";
    size_t i;
    json_t *e;

    if (json_is_string(t))
        return is_type(inst, json_string_value(t)) ? 0 :
               fail(v, "%s, not %s", type_name(inst), json_string_value(t));
    json_array_foreach(t, i, e) {
        if (is_type(inst, json_string_value(e)))
            return 0;
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? " or " : "",
                 json_string_value(e));
    }
    return fail(v, "%s, not %s", type_name(inst), want);
}

static json_t *resolve_ref(vctx *v, const char *ref)
{
    char buf[256], *save, *tok;
    json_t *at = v->root;

    if (strncmp(ref, "#/", 2) != 0 || strlen(ref) >= sizeof buf)
        return NULL;
    strcpy(buf, ref + 2);
    for (tok = strtok_r(buf, "/", &save); tok && at; tok = strtok_r(NULL, "/", &save))
        at = json_object_get(at, tok);
    return at;
}

static int check_object(vctx *v, json_t *sch, json_t *inst)
{
    json_t *props = json_object_get(sch, "properties"), *req = json_object_get(sch, "required");
    json_t *addl = json_object_get(sch, "additionalProperties"), *e, *ps;
    const char *key;
    size_t i, old;

    if (!json_is_object(inst))
        return 0;
    json_array_foreach(req, i, e)
        if (!json_object_get(inst, json_string_value(e)))
            return fail(v, "'%s' is missing", json_string_value(e));
    json_object_foreach(inst, key, e) {
        if (!(ps = json_object_get(props, key)) && !(ps = addl))
            continue;
        if (json_is_false(ps))
            return fail(v, "'%.40s' is not allowed here", key);
        old = path_push(v, key);
        if (check(v, ps, e) < 0)
            return -1;
        path_pop(v, old);
    }
    return 0;
}

static int check_array(vctx *v, json_t *sch, json_t *inst)
{
    json_t *prefix = json_object_get(sch, "prefixItems"), *items = json_object_get(sch, "items");
    json_t *mn = json_object_get(sch, "minItems"), *mx = json_object_get(sch, "maxItems"), *e;
    size_t i, old, np = json_array_size(prefix);

    if (!json_is_array(inst))
        return 0;
    if (mn && json_array_size(inst) < (size_t)json_integer_value(mn))
        return fail(v, "%zu items, fewer than %lld", json_array_size(inst),
                    (long long)json_integer_value(mn));
    if (mx && json_array_size(inst) > (size_t)json_integer_value(mx))
        return fail(v, "%zu items, more than %lld", json_array_size(inst),
                    (long long)json_integer_value(mx));
    json_array_foreach(inst, i, e) {
        json_t *s = i < np ? json_array_get(prefix, i) : items;
        if (!s)
            continue;
        old = path_push_index(v, i);
        if (check(v, s, e) < 0)
            return -1;
        path_pop(v, old);
    }
    return 0;
}

static int check_one_of(vctx *v, json_t *alts, json_t *inst)
{
    char best[512] = "", scratch[512];
    size_t i, best_depth = 0, pass = 0;
    json_t *a;

    json_array_foreach(alts, i, a) {
        vctx sub = *v;
        sub.err = scratch;
        sub.len = sizeof scratch;
        if (check(&sub, a, inst) == 0) {
            pass++;
        } else if (!best[0] || sub.err_depth > best_depth) {
            snprintf(best, sizeof best, "%s", scratch);
            best_depth = sub.err_depth;
        }
    }
    if (pass == 1)
        return 0;
    if (pass > 1)
        return fail(v, "matches %zu of the alternatives, not exactly one", pass);
    snprintf(v->err, v->len, "%s", best);
    v->err_depth = best_depth;
    return -1;
}

static int check_string(vctx *v, json_t *pat, json_t *inst)
{
    regex_t re;
    int rc;

    if (!json_is_string(inst))
        return 0;
    if (regcomp(&re, json_string_value(pat), REG_EXTENDED | REG_NOSUB) != 0)
        return fail(v, "the schema's pattern %s is not a POSIX ERE", json_string_value(pat));
    rc = regexec(&re, json_string_value(inst), 0, NULL, 0);
    regfree(&re);
    return rc == 0 ? 0 : fail(v, "'%.40s' does not match %s", json_string_value(inst),
                              json_string_value(pat));
}

static const char *const annotations[] = {
    "$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples",
    NULL,
};
/* Handled in check_object / check_array. */
static const char *const structural[] = {
    "properties", "required", "additionalProperties", "prefixItems", "items", "minItems",
    "maxItems", NULL,
};

static bool in_list(const char *k, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(k, *list))
            return true;
    return false;
}

static int check(vctx *v, json_t *sch, json_t *inst)
{
    const char *key;
    json_t *val, *e;
    size_t i;

    if (json_is_true(sch))
        return 0;
    if (!json_is_object(sch))
        return fail(v, "the schema holds %s where a schema belongs", type_name(sch));
    json_object_foreach(sch, key, val) {
        if (in_list(key, annotations) || in_list(key, structural))
            continue;
        if (!strcmp(key, "type")) {
            if (check_type(v, val, inst) < 0)
                return -1;
        } else if (!strcmp(key, "const")) {
            if (!json_equal(val, inst))
                return fail(v, "not the expected constant");
        } else if (!strcmp(key, "enum")) {
            bool found = false;
            json_array_foreach(val, i, e)
                found = found || json_equal(e, inst);
            if (!found)
                return fail(v, "not one of the allowed values");
        } else if (!strcmp(key, "minimum")) {
            if (json_is_number(inst) && json_number_value(inst) < json_number_value(val))
                return fail(v, "%g is below the minimum %g", json_number_value(inst),
                            json_number_value(val));
        } else if (!strcmp(key, "pattern")) {
            if (check_string(v, val, inst) < 0)
                return -1;
        } else if (!strcmp(key, "allOf")) {
            json_array_foreach(val, i, e)
                if (check(v, e, inst) < 0)
                    return -1;
        } else if (!strcmp(key, "oneOf")) {
            if (check_one_of(v, val, inst) < 0)
                return -1;
        } else if (!strcmp(key, "$ref")) {
            json_t *target = resolve_ref(v, json_string_value(val));
            if (!target)
                return fail(v, "the schema's $ref %s does not resolve", json_string_value(val));
            if (check(v, target, inst) < 0)
                return -1;
        } else {
            return fail(v, "the schema uses keyword '%s', which mnbench does not implement", key);
        }
    }
    return check_object(v, sch, inst) < 0 || check_array(v, sch, inst) < 0 ? -1 : 0;
}

static json_t *schema(void)
{
    static json_t *s;
    json_error_t e;

    if (!s && !(s = json_loads(mnb_schema_text, 0, &e))) {
        fprintf(stderr, "mnbench: the compiled-in schema is not JSON (line %d: %s)\n",
                e.line, e.text);
        abort();
    }
    return s;
}

int mnb_runjson_validate(json_t *doc, char *err, size_t len)
{
    vctx v = { .root = schema(), .err = err, .len = len };

    err[0] = '\0';
    return check(&v, v.root, doc);
}

/* --- loading ---------------------------------------------------------------- */

static void bad(const char *cmd, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
static void bad(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printable(msg);
    mnb_usage_error("%s: %s", cmd, msg);
}

#define ALLOWED \
    "allowed: a run folder written by mnbench run (holding run.json, schema mnbench-run/1)"

static void load_run(mnb_run *r, const char *arg, const char *cmd)
{
    char file[PATH_MAX], err[512], *copy;
    struct stat st;
    json_error_t je;
    json_t *sch;

    if (stat(arg, &st) < 0)
        bad(cmd, "%s: %s; " ALLOWED, arg, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        snprintf(file, sizeof file, "%s/run.json", arg);
        if (stat(file, &st) < 0 || !S_ISREG(st.st_mode))
            bad(cmd, "%s: no run.json in this folder; " ALLOWED, arg);
        r->dir = strdup(arg);
        for (size_t n = strlen(r->dir); n > 1 && r->dir[n - 1] == '/'; n--)
            r->dir[n - 1] = '\0';
    } else if (S_ISREG(st.st_mode)) {
        snprintf(file, sizeof file, "%s", arg);
        copy = strdup(arg);
        r->dir = strdup(dirname(copy));
        free(copy);
    } else {
        bad(cmd, "%s: not a folder; " ALLOWED, arg);
    }
    /* Duplicate keys would make the document mean two things. */
    if (!(r->doc = json_load_file(file, JSON_REJECT_DUPLICATES, &je)))
        bad(cmd, "%s: not valid JSON (line %d: %s); " ALLOWED, file, je.line, je.text);
    sch = json_object_get(r->doc, "schema");
    if (!json_is_object(r->doc) || !json_is_string(sch) ||
        strcmp(json_string_value(sch), "mnbench-run/1") != 0)
        bad(cmd, "%s: not an mnbench run (schema %.40s); " ALLOWED, file,
            json_is_string(sch) ? json_string_value(sch) : "missing");
    if (mnb_runjson_validate(r->doc, err, sizeof err) < 0)
        bad(cmd, "%s: fails schema mnbench-run/1 at %s; " ALLOWED, file, err);
    copy = strdup(r->dir);
    r->name = strdup(basename(copy));
    free(copy);
}

static char *label_of(const mnb_set *s, const mnb_cfg *c, const mnb_axis *axes, int na)
{
    char buf[1024], v[256];
    size_t n = (size_t)snprintf(buf, sizeof buf, "%s", c->bench);

    for (int a = 0; a < na && n < sizeof buf; a++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "/%s:%s", axes[a].name,
                              mnb_cfg_axis(c, axes[a], v, sizeof v));
    return strdup(buf);
}

/* Labels must tell configurations apart; pooled runs can hold the same
 * configuration twice: those get the run's name too. */
static void label_bench(mnb_set *s, const char *bench)
{
    mnb_axis axes[64];
    int *idx, n = mnb_set_bench(s, bench, &idx);
    int na = mnb_axes_varying(s, idx, n, axes, 64);

    for (int i = 0; i < n; i++)
        s->cfgs[idx[i]].label = label_of(s, &s->cfgs[idx[i]], axes, na);
    for (int i = 0; i < n; i++) {
        mnb_cfg *c = &s->cfgs[idx[i]];
        bool dup = false;
        for (int k = 0; k < n; k++)
            dup = dup || (k != i && !strcmp(s->cfgs[idx[k]].label, c->label) &&
                          s->cfgs[idx[k]].run != c->run);
        if (dup) {
            char buf[1400];
            snprintf(buf, sizeof buf, "%s/run:%s", c->label, c->run->name);
            free(c->label);
            c->label = strdup(buf);
        }
    }
    for (int i = 0; i < n; i++) {
        mnb_cfg *c = &s->cfgs[idx[i]];
        size_t bl = strlen(c->bench);
        c->tail = c->label[bl] == '/' ? c->label + bl + 1 : c->label + bl;
    }
    free(idx);
}

void mnb_set_load(mnb_set *s, char *const *dirs, int n, const char *cmd)
{
    *s = (mnb_set){ 0 };
    s->runs = calloc((size_t)n, sizeof *s->runs);
    s->nruns = n;
    for (int i = 0; i < n; i++) {
        json_t *confs, *c;
        size_t k;
        load_run(&s->runs[i], dirs[i], cmd);
        confs = json_object_get(s->runs[i].doc, "configurations");
        s->cfgs = realloc(s->cfgs, (size_t)(s->ncfgs + (int)json_array_size(confs) + 1) *
                          sizeof *s->cfgs);
        json_array_foreach(confs, k, c) {
            const char *b = mnb_jstr(c, "benchmark");
            int j;
            s->cfgs[s->ncfgs++] = (mnb_cfg){ .run = &s->runs[i], .j = c, .bench = b };
            for (j = 0; j < s->nbenches && strcmp(s->benches[j], b) != 0; j++)
                ;
            if (j == s->nbenches) {
                s->benches = realloc(s->benches, (size_t)(j + 1) * sizeof *s->benches);
                s->benches[s->nbenches++] = b;
            }
        }
    }
    for (int b = 0; b < s->nbenches; b++)
        label_bench(s, s->benches[b]);
}

void mnb_set_free(mnb_set *s)
{
    for (int i = 0; i < s->ncfgs; i++)
        free(s->cfgs[i].label);
    for (int i = 0; i < s->nruns; i++) {
        json_decref(s->runs[i].doc);
        free(s->runs[i].dir);
        free(s->runs[i].name);
    }
    free(s->cfgs);
    free(s->runs);
    free(s->benches);
    *s = (mnb_set){ 0 };
}

/* --- accessors ------------------------------------------------------------ */

const char *mnb_jstr(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static json_t *axis_value(const mnb_cfg *c, mnb_axis a)
{
    return json_object_get(json_object_get(c->j, a.param ? "params" : "settings"), a.name);
}

const char *mnb_cfg_axis(const mnb_cfg *c, mnb_axis a, char *buf, size_t len)
{
    json_t *v = axis_value(c, a);

    if (json_is_string(v))
        snprintf(buf, len, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
    else
        snprintf(buf, len, "-");
    return buf;
}

bool mnb_cfg_axis_num(const mnb_cfg *c, mnb_axis a, double *v)
{
    json_t *j = axis_value(c, a);

    if (!json_is_number(j))
        return false;
    *v = json_number_value(j);
    return true;
}

bool mnb_axis_eq(mnb_axis a, mnb_axis b)
{
    return a.param == b.param && strcmp(a.name, b.name) == 0;
}

bool mnb_axis_find(const mnb_set *s, const char *name, mnb_axis *out)
{
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < s->ncfgs; i++) {
            json_t *o = json_object_get(s->cfgs[i].j, p ? "params" : "settings");
            const char *key;
            json_t *v;
            json_object_foreach(o, key, v)
                if (!strcmp(key, name)) {
                    *out = (mnb_axis){ key, p == 1 };
                    return true;
                }
        }
    return false;
}

static bool axes_has(const mnb_axis *axes, int n, mnb_axis a)
{
    for (int i = 0; i < n; i++)
        if (mnb_axis_eq(axes[i], a))
            return true;
    return false;
}

int mnb_axes_varying(const mnb_set *s, const int *idx, int n, mnb_axis *axes, int max)
{
    int na = 0;

    for (int p = 0; p < 2; p++)
        for (int i = 0; i < n; i++) {
            json_t *o = json_object_get(s->cfgs[idx[i]].j, p ? "params" : "settings");
            const char *key;
            json_t *val;
            json_object_foreach(o, key, val) {
                mnb_axis a = { key, p == 1 };
                char first[256], other[256];
                if (na >= max || axes_has(axes, na, a))
                    continue;
                mnb_cfg_axis(&s->cfgs[idx[0]], a, first, sizeof first);
                for (int k = 1; k < n; k++)
                    if (strcmp(mnb_cfg_axis(&s->cfgs[idx[k]], a, other, sizeof other),
                               first) != 0) {
                        axes[na++] = a;
                        break;
                    }
            }
        }
    return na;
}

static json_t *figure(const mnb_cfg *c, const char *name)
{
    return json_object_get(json_object_get(json_object_get(c->j, "counters"), "figures"), name);
}

size_t mnb_cfg_values(const mnb_cfg *c, const char *metric, bool counter, double **x)
{
    json_t *a = counter ? json_object_get(figure(c, metric), "samples")
                        : json_object_get(json_object_get(c->j, "samples"), metric), *e;
    size_t n = 0, i;

    *x = NULL;
    if (!json_array_size(a))
        return 0;
    *x = malloc(json_array_size(a) * sizeof **x);
    json_array_foreach(a, i, e)
        if (json_is_number(e) && isfinite(json_number_value(e)))
            (*x)[n++] = json_number_value(e);
    if (n == 0) {
        free(*x);
        *x = NULL;
    }
    return n;
}

const char *mnb_cfg_unit(const mnb_cfg *c, const char *metric, bool counter)
{
    json_t *o = counter ? figure(c, metric)
                        : json_object_get(json_object_get(c->j, "summaries"), metric);
    const char *u = mnb_jstr(o, "unit");

    return u ? u : "";
}

bool mnb_cfg_higher(const mnb_cfg *c, const char *metric, bool counter)
{
    json_t *o = counter ? json_object_get(figure(c, metric), "summary")
                        : json_object_get(json_object_get(c->j, "summaries"), metric);
    const char *b = mnb_jstr(o, "better");

    return b && !strcmp(b, "higher");
}

int mnb_set_bench(const mnb_set *s, const char *b, int **idx)
{
    int n = 0;

    *idx = malloc((size_t)(s->ncfgs + 1) * sizeof **idx);
    for (int i = 0; i < s->ncfgs; i++)
        if (!strcmp(s->cfgs[i].bench, b))
            (*idx)[n++] = i;
    return n;
}

int mnb_metric_names(const mnb_set *s, const int *idx, int n, int kind,
                     const char **names, int max)
{
    int nn = 0;

    for (int i = 0; i < n; i++) {
        json_t *j = s->cfgs[idx[i]].j, *o, *v;
        const char *key;
        o = kind == 0 ? json_object_get(j, "samples") :
            kind == 1 ? json_object_get(j, "latencies") :
                        json_object_get(json_object_get(j, "counters"), "figures");
        json_object_foreach(o, key, v) {
            int k;
            for (k = 0; k < nn && strcmp(names[k], key) != 0; k++)
                ;
            if (k == nn && nn < max)
                names[nn++] = key;
        }
    }
    return nn;
}
