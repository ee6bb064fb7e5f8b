/* machine.c - the context block of run.json: what the machine is (hwloc,
 * uname, /proc, DMI) and what built mnbench, so that a result folder
 * carries its own provenance. */
#include "machine.h"

#include <cpuid.h>
#include <fcntl.h>
#include <hwloc.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mnsched.h"
#include "results.h"

/* Defined by the build for mnbench_core; fallbacks for other builds. */
#ifndef MN_BUILD_TYPE
#define MN_BUILD_TYPE "unknown"
#endif
#ifndef MN_COMPILER
#define MN_COMPILER "unknown"
#endif
#ifndef MN_CFLAGS
#define MN_CFLAGS ""
#endif

extern char **environ;

const char *mnb_machine_host(void)
{
    static char host[256];

    if (!host[0] && gethostname(host, sizeof host - 1) < 0)
        snprintf(host, sizeof host, "unknown");
    return host;
}

/* First line of a small file, newline stripped; false when unreadable. */
static bool read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    bool ok;

    if (!f)
        return false;
    ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    if (ok)
        buf[strcspn(buf, "\n")] = '\0';
    return ok;
}

/* Runs argv without a shell (the source path is not quoted for one) and
 * keeps the first line of its stdout. 0 when it exited with status 0. */
static int capture(char *const argv[], char *out, size_t len)
{
    posix_spawn_file_actions_t fa;
    int fds[2], status = 1;
    size_t got = 0;
    ssize_t n;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    while (pid > 0 && (n = read(fds[0], out + got, len - 1 - got)) > 0)
        got += (size_t)n;
    out[got] = '\0';
    out[strcspn(out, "\n")] = '\0';
    close(fds[0]);
    if (pid > 0)
        waitpid(pid, &status, 0);
    return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void add_git(json_t *ctx)
{
#ifdef MN_SOURCE_DIR
    char rev[128], dirty[128];
    char *rev_argv[] = { "git", "-C", MN_SOURCE_DIR, "rev-parse", "HEAD", NULL };
    char *st_argv[] = { "git", "-C", MN_SOURCE_DIR, "status", "--porcelain",
                        "--untracked-files=no", NULL };

    if (capture(rev_argv, rev, sizeof rev) == 0 && rev[0]) {
        json_object_set_new(ctx, "git_revision", mnb_json_string(rev));
        if (capture(st_argv, dirty, sizeof dirty) == 0)
            json_object_set_new(ctx, "git_dirty", json_boolean(dirty[0] != '\0'));
        return;
    }
#endif
    json_object_set_new(ctx, "git_revision", json_null());
}

static const char *cache_kind(hwloc_obj_cache_type_t t)
{
    return t == HWLOC_OBJ_CACHE_DATA ? "data" :
           t == HWLOC_OBJ_CACHE_INSTRUCTION ? "instruction" : "unified";
}

static json_t *caches_json(hwloc_topology_t t)
{
    static const hwloc_obj_type_t types[] = {
        HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L2ICACHE,
        HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L3ICACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE,
    };
    json_t *a = json_array();

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        int n = hwloc_get_nbobjs_by_type(t, types[i]);
        hwloc_obj_t o = n > 0 ? hwloc_get_obj_by_type(t, types[i], 0) : NULL;
        if (!o)
            continue;
        json_array_append_new(a, json_pack("{s:i, s:s, s:I, s:i, s:i}",
            "level", (int)o->attr->cache.depth,
            "type", cache_kind(o->attr->cache.type),
            "size", (json_int_t)o->attr->cache.size,
            "line_size", (int)o->attr->cache.linesize,
            "count", n));
    }
    return a;
}

/* "CPUModel" from hwloc; /proc/cpuinfo's "model name" otherwise. */
static void cpu_model(hwloc_topology_t t, char *buf, size_t len)
{
    hwloc_obj_t pkg = hwloc_get_obj_by_type(t, HWLOC_OBJ_PACKAGE, 0);
    const char *m = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
    char line[512];
    FILE *f;

    snprintf(buf, len, "%s", m ? m : "unknown");
    if (m || !(f = fopen("/proc/cpuinfo", "r")))
        return;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            snprintf(buf, len, "%s", strchr(line, ':') + 2);
            buf[strcspn(buf, "\n")] = '\0';
            break;
        }
    fclose(f);
}

static void add_topology(json_t *ctx)
{
    hwloc_topology_t t;
    char model[256];

    if (hwloc_topology_init(&t) < 0 || hwloc_topology_load(t) < 0) {
        json_object_set_new(ctx, "cpu_model", json_null());
        json_object_set_new(ctx, "topology", json_null());
        return;
    }
    cpu_model(t, model, sizeof model);
    json_object_set_new(ctx, "cpu_model", mnb_json_string(model));
    json_object_set_new(ctx, "topology", json_pack("{s:i, s:i, s:i, s:i, s:o}",
        "packages", hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE),
        "numa_nodes", hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE),
        "cores", hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE),
        "pus", hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU),
        "caches", caches_json(t)));
    hwloc_topology_destroy(t);
}

static const char *const vm_names[] = { "KVM", "QEMU", "VMware", "Xen", "VirtualBox",
                                        "Bochs", NULL };

/* DMI strings; Microsoft only with "Virtual" (Hyper-V's "Virtual
 * Machine"), since Microsoft also sells real laptops. */
static bool dmi_vm(char *buf, size_t len)
{
    char vendor[128] = "", product[128] = "", both[260];

    read_line("/sys/class/dmi/id/sys_vendor", vendor, sizeof vendor);
    read_line("/sys/class/dmi/id/product_name", product, sizeof product);
    snprintf(both, sizeof both, "%s %s", vendor, product);
    for (int i = 0; vm_names[i]; i++)
        if (strstr(both, vm_names[i])) {
            snprintf(buf, len, "%s", vm_names[i]);
            return true;
        }
    if (strstr(both, "Microsoft") && strstr(both, "Virtual")) {
        snprintf(buf, len, "Hyper-V");
        return true;
    }
    return false;
}

/* CPUID leaf 0x40000000 holds the hypervisor's signature when CPUID.1
 * ECX bit 31 (the "hypervisor" flag of /proc/cpuinfo) is set. */
static bool cpuid_vm(char *buf, size_t len)
{
    unsigned a, b, c, d;
    char sig[13];

    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 31)))
        return false;
    __cpuid(0x40000000, a, b, c, d);
    memcpy(sig, &b, 4);
    memcpy(sig + 4, &c, 4);
    memcpy(sig + 8, &d, 4);
    sig[12] = '\0';
    snprintf(buf, len, "%s", strncmp(sig, "KVMKVMKVM", 9) == 0 ? "KVM" :
             strcmp(sig, "Microsoft Hv") == 0 ? "Hyper-V" :
             strcmp(sig, "VMwareVMware") == 0 ? "VMware" :
             strcmp(sig, "XenVMMXenVMM") == 0 ? "Xen" :
             strcmp(sig, "TCGTCGTCGTCG") == 0 ? "QEMU" : "unknown");
    return true;
}

static bool cpuinfo_vm(void)
{
    char line[4096];
    bool vm = false;
    FILE *f = fopen("/proc/cpuinfo", "r");

    while (f && !vm && fgets(line, sizeof line, f))
        vm = strncmp(line, "flags", 5) == 0 && strstr(line, " hypervisor");
    if (f)
        fclose(f);
    return vm;
}

bool mnb_machine_vm(char *buf, size_t len)
{
    if (dmi_vm(buf, len) || cpuid_vm(buf, len))
        return true;
    snprintf(buf, len, "unknown");
    return cpuinfo_vm();
}

bool mnb_machine_governor(char *buf, size_t len)
{
    return read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf, len);
}

static json_t *mn_environment(void)
{
    json_t *env = json_object();

    for (char **e = environ; *e; e++) {
        char *eq = strchr(*e, '=');
        if (strncmp(*e, "MN_", 3) != 0 || !eq)
            continue;
        char *name = strndup(*e, (size_t)(eq - *e));
        json_object_set_new(env, name, mnb_json_string(eq + 1));
        free(name);
    }
    return env;
}

json_t *mnb_machine_context(void)
{
    json_t *ctx = json_object();
    struct utsname u;
    char kernel[1024], vm[64], gov[64];
    bool is_vm = mnb_machine_vm(vm, sizeof vm);

    json_object_set_new(ctx, "host", mnb_json_string(mnb_machine_host()));
    add_topology(ctx);
    if (uname(&u) == 0) {
        snprintf(kernel, sizeof kernel, "%s %s %s %s", u.sysname, u.release,
                 u.version, u.machine);
        json_object_set_new(ctx, "kernel", mnb_json_string(kernel));
    } else {
        json_object_set_new(ctx, "kernel", json_null());
    }
    json_object_set_new(ctx, "compiler", json_string(MN_COMPILER));
    json_object_set_new(ctx, "cflags", json_string(MN_CFLAGS));
    json_object_set_new(ctx, "build_type", json_string(MN_BUILD_TYPE));
    add_git(ctx);
    json_object_set_new(ctx, "mnbench_version", json_string(MN_VERSION));
    json_object_set_new(ctx, "virtual_machine", json_boolean(is_vm));
    json_object_set_new(ctx, "hypervisor", is_vm ? json_string(vm) : json_null());
    json_object_set_new(ctx, "cpu_governor", mnb_machine_governor(gov, sizeof gov) ?
                        mnb_json_string(gov) : json_null());
    json_object_set_new(ctx, "environment", mn_environment());
    return ctx;
}
