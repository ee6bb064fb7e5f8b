/* topo.c - `mnbench topo`: the topology (packages, NUMA nodes with memory
 * and distances, caches, cores, PUs) and the placement plan - each P's
 * CPU, core, NUMA node, package and six steal tiers - as the runtime
 * would make it (mn_topo_plan, mnsched/topo.h), on the real machine or a
 * synthetic or XML one. */
#include "topo.h"
#include "parse.h"
#include "results.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mnsched/topo.h"

static const char *const tier_names[MN_STEAL_TIERS] = {
    "core", "L2", "L3", "node", "package", "rest",
};

/* "1-3,5", or "-" for none: ids are sorted. */
static void ids_text(const int *ids, int n, char *buf, size_t len)
{
    size_t at = 0;

    buf[0] = '\0';
    if (n == 0) {
        snprintf(buf, len, "-");
        return;
    }
    for (int i = 0; i < n && at < len; i++) {
        int j = i;
        while (j + 1 < n && ids[j + 1] == ids[j] + 1)
            j++;
        at += (size_t)(j == i ? snprintf(buf + at, len - at, "%s%d", at ? "," : "", ids[i])
                              : snprintf(buf + at, len - at, "%s%d-%d", at ? "," : "",
                                         ids[i], ids[j]));
        i = j;
    }
}

static void bytes_text(uint64_t b, char *buf, size_t len)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)b;
    int u = 0;

    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, u && v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void int_or_dash(FILE *out, int width, int v)
{
    if (v < 0)
        fprintf(out, "%*s", width, "-");
    else
        fprintf(out, "%*d", width, v);
}

static void print_text(FILE *out, const char *topology, const char *placement,
                       const mn_topo_plan_t *pl)
{
    char buf[1024];

    fprintf(out, "topology: %s\n", topology ? topology : "machine");
    fprintf(out, "  %d package%s, %d NUMA node%s, %d cores, %d PUs\n", pl->packages,
            pl->packages == 1 ? "" : "s", pl->numa_nodes, pl->numa_nodes == 1 ? "" : "s",
            pl->cores, pl->pus);
    for (int i = 0; i < pl->numa_nodes; i++) {
        bytes_text(pl->nodes[i].memory, buf, sizeof buf);
        fprintf(out, "  NUMA node %d: %s, CPUs %s\n", pl->nodes[i].os, buf,
                pl->nodes[i].cpus[0] ? pl->nodes[i].cpus : "none");
    }
    if (!pl->distances) {
        fprintf(out, "  distances: not reported\n");
    } else {
        fprintf(out, "  distances (relative latency, 10 = local):\n      ");
        for (int j = 0; j < pl->numa_nodes; j++)
            fprintf(out, "%5d", pl->nodes[j].os);
        fputc('\n', out);
        for (int i = 0; i < pl->numa_nodes; i++) {
            fprintf(out, "  %4d", pl->nodes[i].os);
            for (int j = 0; j < pl->numa_nodes; j++)
                fprintf(out, "%5" PRIu64, pl->distances[i * pl->numa_nodes + j]);
            fputc('\n', out);
        }
    }
    fprintf(out, "  caches:");
    for (int i = 0; i < pl->ncaches; i++) {
        const mn_topo_cache_t *c = &pl->caches[i];
        bytes_text(c->size, buf, sizeof buf);
        fprintf(out, "%s L%d%s %s x%d", i ? "," : "", c->level,
                c->type == 'd' ? "d" : c->type == 'i' ? "i" : "", buf, c->count);
    }
    fprintf(out, "%s\n", pl->ncaches ? "" : " not reported");
    fprintf(out, "plan: placement %s, %d P%s, %s\n", placement ? placement : "compact",
            pl->nprocs, pl->nprocs == 1 ? "" : "s", pl->pinned ? "pinned" : "not pinned");
    fprintf(out, "     P  cpu core numa pkg  steal tiers:");
    for (int t = 0; t < MN_STEAL_TIERS; t++)
        fprintf(out, " %s%s", tier_names[t], t + 1 < MN_STEAL_TIERS ? " |" : "");
    fputc('\n', out);
    for (int i = 0; i < pl->nprocs; i++) {
        const mn_topo_pplan_t *p = &pl->p[i];
        fprintf(out, "  %4d", i);
        int_or_dash(out, 5, p->cpu);
        int_or_dash(out, 5, p->core);
        int_or_dash(out, 5, p->numa);
        int_or_dash(out, 4, p->package);
        fprintf(out, "  ");
        for (int t = 0; t < MN_STEAL_TIERS; t++) {
            ids_text(p->tier[t], p->ntier[t], buf, sizeof buf);
            fprintf(out, "%s%s", t ? " | " : "", buf);
        }
        fputc('\n', out);
    }
}

static json_t *int_or_null(int v)
{
    return v < 0 ? json_null() : json_integer(v);
}

static json_t *topology_json(const char *topology, const mn_topo_plan_t *pl)
{
    json_t *nodes = json_array(), *caches = json_array(), *dist = json_null();

    for (int i = 0; i < pl->numa_nodes; i++)
        json_array_append_new(nodes, json_pack("{s:i, s:I, s:s}", "os", pl->nodes[i].os,
                                               "memory", (json_int_t)pl->nodes[i].memory,
                                               "cpus", pl->nodes[i].cpus));
    for (int i = 0; i < pl->ncaches; i++) {
        const mn_topo_cache_t *c = &pl->caches[i];
        json_array_append_new(caches, json_pack("{s:i, s:s, s:I, s:i}", "level", c->level,
            "type", c->type == 'd' ? "data" : c->type == 'i' ? "instruction" : "unified",
            "size", (json_int_t)c->size, "count", c->count));
    }
    if (pl->distances) {
        dist = json_array();
        for (int i = 0; i < pl->numa_nodes; i++) {
            json_t *row = json_array();
            for (int j = 0; j < pl->numa_nodes; j++)
                json_array_append_new(row, json_integer((json_int_t)pl->distances[i * pl->numa_nodes + j]));
            json_array_append_new(dist, row);
        }
    }
    return json_pack("{s:i, s:i, s:i, s:i, s:o, s:o, s:o, s:o}",
                     "packages", pl->packages, "numa_nodes", pl->numa_nodes,
                     "cores", pl->cores, "pus", pl->pus,
                     "source", mnb_json_string(topology ? topology : "machine"),
                     "nodes", nodes, "distances", dist, "caches", caches);
}

static json_t *plan_json(const mn_topo_plan_t *pl)
{
    json_t *a = json_array();

    for (int i = 0; i < pl->nprocs; i++) {
        const mn_topo_pplan_t *p = &pl->p[i];
        json_t *tiers = json_array();
        for (int t = 0; t < MN_STEAL_TIERS; t++) {
            json_t *ids = json_array();
            for (int k = 0; k < p->ntier[t]; k++)
                json_array_append_new(ids, json_integer(p->tier[t][k]));
            json_array_append_new(tiers, ids);
        }
        json_array_append_new(a, json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
            "p", i, "cpu", int_or_null(p->cpu), "core", int_or_null(p->core),
            "l2", int_or_null(p->l2), "l3", int_or_null(p->l3),
            "numa", int_or_null(p->numa), "package", int_or_null(p->package),
            "tiers", tiers));
    }
    return a;
}

/* The one value of setting `key` given on the command line, or NULL. */
static const mnb_value *one_value(const mnb_opts *o, const char *key)
{
    int f = 0;

    while (f < mnb_nflags && !(mnb_flags[f].key && strcmp(mnb_flags[f].key, key) == 0))
        f++;
    if (f == mnb_nflags || o->set[f].n == 0)
        return NULL;
    if (o->set[f].n > 1)
        mnb_usage_error("topo --%s: %d values; allowed: one (topo prints one plan)",
                        mnb_flags[f].name, o->set[f].n);
    return &o->set[f].v[0];
}

int mnb_topo_cmd(const mnb_opts *o)
{
    const mnb_value *t = one_value(o, "topology"), *p = one_value(o, "placement"),
                    *n = one_value(o, "procs");
    const char *topology = t ? t->s : getenv("MN_TOPOLOGY");
    const char *placement = p ? p->s : getenv("MN_PLACEMENT");
    int64_t procs = n ? n->i : 0;
    const char *env = getenv("MN_PROCS");
    mn_topo_plan_t plan;

    if (!n && env && *env && (mnb_parse_int(env, &procs) < 0 || procs < 0 || procs > MN_MAX_PROCS))
        mnb_usage_error("MN_PROCS=%s: not an integer in range; allowed: 0 to %d", env,
                        MN_MAX_PROCS);
    if (topology && !*topology)
        topology = NULL;
    if (placement && !*placement)
        placement = NULL;
    if (mn_topo_plan(topology, placement, (int)procs, &plan) < 0) {
        mn_topo_plan_free(&plan);
        mnb_usage_error("topo: %s", plan.error);
    }
    if (o->format == MNB_FMT_JSON) {
        json_t *doc = json_pack("{s:o, s:o, s:b, s:o}", "topology", topology_json(topology, &plan),
                                "placement", mnb_json_string(placement ? placement : "compact"),
                                "pinned", plan.pinned, "plan", plan_json(&plan));
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(doc);
    } else {
        print_text(stdout, topology, placement, &plan);
    }
    mn_topo_plan_free(&plan);
    return MNB_EXIT_OK;
}
