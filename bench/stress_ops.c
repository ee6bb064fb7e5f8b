/* stress_ops.c - the operations of `mnbench stress` (stress.h) and the
 * bookkeeping its invariants read. Every choice an operation makes (sizes,
 * counts, which P, which mutex) comes from the PRNG stream it is given, so
 * that a seed replays the same operations. */
#include "stress.h"
#include "mnsched/debug.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

const char *const mns_kind_names[MNS_NKINDS] = {
    "spawn", "yield", "chan", "mutex", "sema", "sleep", "syscall", "hog", "stw", "lock",
};

/* Allocation failures of the harness's own small structures are not what
 * is being tested: say so and stop. */
static void oom(void) __attribute__((noreturn));
static void oom(void)
{
    fputs("mnbench: stress: out of memory in the harness\n", stderr);
    abort();
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);

    if (!p)
        oom();
    return p;
}

/* --- spawn ids --------------------------------------------------------------
 * Every G the stress test spawns gets an id and one byte: +ID_RAN when it
 * starts, +ID_EXITED when its function returns, ID_REFUSED when its spawn
 * failed. Any other transition fails at once; at the end every byte must
 * be ID_RAN + ID_EXITED or ID_REFUSED. Chunks of the table are allocated
 * on first use (the CAS decides who installs one); a 60 s run on two
 * cores spawns some tens of millions of Gs, a byte each. */
#define ID_RAN      0x01u
#define ID_EXITED   0x10u
#define ID_REFUSED  0x80u
#define CHUNK_BITS  16
#define CHUNK       (1u << CHUNK_BITS)
#define NCHUNKS     (1u << 16)

static _Atomic(atomic_uchar *) chunks[NCHUNKS];
static _Atomic uint64_t next_id;

static atomic_uchar *id_slot(uint64_t id)
{
    uint64_t c = id >> CHUNK_BITS;
    atomic_uchar *p, *fresh, *none = NULL;

    if (c >= NCHUNKS)
        return NULL;            /* beyond 2^32 Gs: untracked */
    /* load-acquire: pairs with the CAS that installed the chunk */
    p = atomic_load_explicit(&chunks[c], memory_order_acquire);
    if (p)
        return &p[id & (CHUNK - 1)];
    fresh = calloc(CHUNK, 1);
    if (!fresh)
        oom();
    if (atomic_compare_exchange_strong(&chunks[c], &none, fresh))
        return &fresh[id & (CHUNK - 1)];
    free(fresh);
    return &none[id & (CHUNK - 1)];
}

static const char *id_state(unsigned v)
{
    switch (v) {
    case 0: return "never started";
    case ID_RAN: return "started, not returned";
    case ID_RAN + ID_EXITED: return "ran and returned";
    case ID_REFUSED: return "refused at spawn";
    default: return "ran more than once";
    }
}

static void id_mark(uint64_t id, unsigned add, unsigned want, const char *event)
{
    atomic_uchar *s = id_slot(id);
    unsigned old;

    if (!s)
        return;
    old = atomic_fetch_add(s, (unsigned char)add);
    if (old != want)
        mns_fail(MNS_INV_SPAWN, "G with spawn id %llu %s, but its record said: %s (0x%02x)",
                 (unsigned long long)id, event, id_state(old), old);
}

uint64_t mns_spawned(void)
{
    return atomic_load(&next_id);
}

typedef struct gbox {
    uint64_t id;
    void (*fn)(void *);
    void *arg;
} gbox;

static void gbox_run(void *p)
{
    gbox b = *(gbox *)p;

    free(p);
    id_mark(b.id, ID_RAN, 0, "started");
    b.fn(b.arg);
    id_mark(b.id, ID_EXITED, ID_RAN, "returned");
}

static void *gbox_run_joinable(void *p)
{
    gbox_run(p);
    return NULL;
}

int mns_go(uint64_t *rng, int how, void (*fn)(void *), void *arg, mn_g **h)
{
    gbox *b = xmalloc(sizeof *b);
    atomic_uchar *s;
    int rc;

    *b = (gbox){ atomic_fetch_add(&next_id, 1), fn, arg };
    if (how == MNS_GO_HERE) {
        rc = mn_spawn(gbox_run, b);
    } else if (how == MNS_GO_ON) {
        rc = mn_spawn_on((int)mns_below(rng, (uint64_t)mn_nprocs()), 0, gbox_run, b);
    } else {
        *h = mn_spawn_joinable(gbox_run_joinable, b);
        rc = *h ? 0 : -errno;
    }
    if (rc == 0)
        return 0;
    if ((s = id_slot(b->id)) && atomic_exchange(s, ID_REFUSED) != 0)
        mns_fail(MNS_INV_SPAWN, "spawn id %llu: the spawn failed (%s) yet the G started",
                 (unsigned long long)b->id, mn_strerror(rc));
    free(b);
    if (rc != -ENOMEM)
        mns_fail(MNS_INV_SPAWN, "%s failed with %s; only ENOMEM is expected (injected "
                 "allocation failures)", how == MNS_GO_HERE ? "mn_spawn" : how == MNS_GO_ON ?
                 "mn_spawn_on" : "mn_spawn_joinable", mn_strerror(rc));
    atomic_fetch_add(&mns.enomem, 1);
    return -ENOMEM;
}

/* --- helpers ------------------------------------------------------------------ */

static void spin_ns(uint64_t ns)
{
    uint64_t end = mns_now() + ns;

    while (mns_now() < end)
        ;
}

/* What a G does while it holds a mutex or a semaphore unit: nothing,
 * yield, sleep on a timer, or spin, so that others queue behind it. */
static void hold(uint64_t *rng)
{
    switch (mns_below(rng, 4)) {
    case 1: mn_yield(); break;
    case 2: mn_sleep_ns(1000 + mns_below(rng, 50000)); break;
    case 3: spin_ns(mns_below(rng, 5000)); break;
    default: break;
    }
}

/* 1 µs to ~2 ms, spread evenly over the powers of two. */
static uint64_t short_ns(uint64_t *rng)
{
    return (1000ull << mns_below(rng, 11)) + mns_below(rng, 1000);
}

static void timer_check(const char *call, uint64_t want, uint64_t got)
{
    mns_checked(MNS_INV_TIMER);
    /* The runtime's deadlines come from the TSC, the harness reads
     * CLOCK_MONOTONIC: allow their rates to differ by 1%. */
    if (got + want / 100 + 2000 < want)
        mns_fail(MNS_INV_TIMER, "%s(%llu ns) returned after %llu ns", call,
                 (unsigned long long)want, (unsigned long long)got);
}

/* --- spawn: trees of Gs ---------------------------------------------------- */

typedef struct tree {
    mn_wg_t wg;                 /* detached trees: every node */
    bool joinable;              /* each node joins its children instead */
} tree;

typedef struct node {
    tree *t;
    uint64_t rng;
    int depth;                  /* levels of children still to spawn */
} node;

static void node_fn(void *arg);

/* One to four children, each spawning its own below it while depth lasts. */
static void spawn_children(tree *t, uint64_t *rng, int depth)
{
    int n = 1 + (int)mns_below(rng, 4), nh = 0;
    mn_g *h[4];

    for (int i = 0; i < n; i++) {
        node *c = xmalloc(sizeof *c);
        *c = (node){ t, mns_stream(mns_next(rng), (uint64_t)i), depth - 1 };
        if (t->joinable) {
            if (mns_go(rng, MNS_GO_JOINABLE, node_fn, c, &h[nh]) == 0)
                nh++;
            else
                free(c);
            continue;
        }
        mn_wg_add(&t->wg, 1);
        if (mns_go(rng, mns_below(rng, 2) ? MNS_GO_ON : MNS_GO_HERE, node_fn, c, NULL) < 0) {
            free(c);
            mn_wg_done(&t->wg);
        }
    }
    for (int i = 0; i < nh; i++) {
        int rc = mn_join(h[i], NULL);
        if (rc != 0)
            mns_fail(MNS_INV_SPAWN, "mn_join returned %s", mn_strerror(rc));
    }
}

static void node_fn(void *arg)
{
    node n = *(node *)arg;
    tree *t = n.t;

    free(arg);
    if (mns_below(&n.rng, 4) == 0)
        mn_yield();
    if (n.depth > 0)
        spawn_children(t, &n.rng, n.depth);
    mns_step();
    if (!t->joinable)
        mn_wg_done(&t->wg);     /* the last touch of *t */
}

static void op_spawn(mns_worker *w)
{
    tree t;

    mn_wg_init(&t.wg);
    t.joinable = mns_below(&w->rng, 2);
    spawn_children(&t, &w->rng, (int)mns_below(&w->rng, 3));
    if (!t.joinable)
        mn_wg_wait(&t.wg);
}

static void op_yield(mns_worker *w)
{
    for (uint64_t n = 1 + mns_below(&w->rng, 8); n > 0; n--) {
        mn_yield();
        mns_step();
    }
}

/* --- chan: rings and fan-out/fan-in -------------------------------------------
 * Each channel counts what was sent and received on it, with a checksum
 * of the values (mixed, so that a duplicate and a loss do not cancel);
 * the counts must match once the channel is closed and drained. */

typedef struct mch {
    mn_chan_t *c;
    uint64_t id;
    const char *role;
    _Atomic uint64_t sent, sent_sum, recvd, recv_sum;
} mch;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void mch_init(mch *m, size_t cap, const char *role)
{
    m->c = mn_chan_make(sizeof(uint64_t), cap);
    if (!m->c)
        oom();
    m->id = atomic_fetch_add(&mns.chan_ids, 1);
    m->role = role;
    atomic_init(&m->sent, 0);
    atomic_init(&m->sent_sum, 0);
    atomic_init(&m->recvd, 0);
    atomic_init(&m->recv_sum, 0);
}

static int mch_send(mch *m, uint64_t v)
{
    int rc = mn_chan_send(m->c, &v);

    if (rc == 0) {
        atomic_fetch_add(&m->sent, 1);
        atomic_fetch_add(&m->sent_sum, mix64(v));
        atomic_fetch_add(&mns.chan_sent, 1);
        atomic_fetch_add(&mns.chan_sent_sum, mix64(v));
    } else {
        mns_fail(MNS_INV_CHAN, "channel %llu (%s): mn_chan_send returned %s on a channel "
                 "still open", (unsigned long long)m->id, m->role, mn_strerror(rc));
    }
    mns_step();
    return rc;
}

/* 0 with *v; -EPIPE once closed and drained; 1 when --test-lose-message
 * dropped this message (only where may_lose: a ring would stall). */
static int mch_recv(mch *m, uint64_t *v, bool may_lose)
{
    int rc = mn_chan_recv(m->c, v);

    mns_step();
    if (rc == -EPIPE)
        return rc;
    if (rc != 0) {
        mns_fail(MNS_INV_CHAN, "channel %llu (%s): mn_chan_recv returned %s",
                 (unsigned long long)m->id, m->role, mn_strerror(rc));
        return rc;
    }
    if (may_lose && mns.lose_one && !atomic_exchange(&mns.lost, 1))
        return 1;
    atomic_fetch_add(&m->recvd, 1);
    atomic_fetch_add(&m->recv_sum, mix64(*v));
    atomic_fetch_add(&mns.chan_recv, 1);
    atomic_fetch_add(&mns.chan_recv_sum, mix64(*v));
    return 0;
}

/* Every G that used the channel is done: check it and free it. */
static void mch_check(mch *m)
{
    uint64_t s = atomic_load(&m->sent), r = atomic_load(&m->recvd);
    uint64_t ss = atomic_load(&m->sent_sum), rs = atomic_load(&m->recv_sum);

    mns_checked(MNS_INV_CHAN);
    if (s != r || ss != rs)
        mns_fail(MNS_INV_CHAN, "channel %llu (%s): sent %llu messages (checksum %016llx), "
                 "received %llu (checksum %016llx)", (unsigned long long)m->id, m->role,
                 (unsigned long long)s, (unsigned long long)ss, (unsigned long long)r,
                 (unsigned long long)rs);
    mn_chan_free(m->c);
}

/* A ring of k Gs (the worker is node 0): channel i carries the token
 * from node i to node i + 1, and each helper adds one to it. Closing
 * channel 0 ends the ring: each helper closes its outgoing channel when
 * its incoming one is closed and drained. */
#define RING_MAX 6
typedef struct ring {
    mch ch[RING_MAX];
    mn_wg_t wg;
} ring;
typedef struct ring_arg {
    ring *r;
    int i;
} ring_arg;

static void ring_helper(void *arg)
{
    ring_arg a = *(ring_arg *)arg;
    uint64_t v;

    while (mch_recv(&a.r->ch[a.i - 1], &v, false) == 0)
        if (mch_send(&a.r->ch[a.i], v + 1) < 0)
            break;
    mn_chan_close(a.r->ch[a.i].c);
    mn_wg_done(&a.r->wg);
}

static void op_ring(mns_worker *w)
{
    int k = 2 + (int)mns_below(&w->rng, RING_MAX - 1);
    uint64_t rounds = 1 + mns_below(&w->rng, 32), tok, v;
    bool missing[RING_MAX] = { false }, any = false;
    ring_arg a[RING_MAX];
    ring r;

    mn_wg_init(&r.wg);
    for (int i = 0; i < k; i++)
        mch_init(&r.ch[i], mns_below(&w->rng, 3), "ring");
    for (int i = 1; i < k; i++) {
        a[i] = (ring_arg){ &r, i };
        mn_wg_add(&r.wg, 1);
        if (mns_go(&w->rng, mns_below(&w->rng, 2) ? MNS_GO_ON : MNS_GO_HERE, ring_helper,
                   &a[i], NULL) < 0) {
            mn_wg_done(&r.wg);
            missing[i] = any = true;
        }
    }
    for (uint64_t n = 0; !any && n < rounds; n++) {
        tok = r.ch[0].id << 20 | n << 4;
        if (mch_send(&r.ch[0], tok) < 0 || mch_recv(&r.ch[k - 1], &v, false) != 0)
            break;
        if (v != tok + (uint64_t)(k - 1))
            mns_fail(MNS_INV_CHAN, "ring of %d Gs (channels %llu..): the token came back as "
                     "%llu, want %llu", k, (unsigned long long)r.ch[0].id,
                     (unsigned long long)v, (unsigned long long)(tok + (uint64_t)(k - 1)));
    }
    mn_chan_close(r.ch[0].c);
    for (int i = 1; i < k; i++)
        if (missing[i])         /* nobody else would close it */
            mn_chan_close(r.ch[i].c);
    mn_wg_wait(&r.wg);
    for (int i = 0; i < k; i++)
        mch_check(&r.ch[i]);
}

/* Fan-out/fan-in: the worker sends n values into `a`; 1-4 Gs take them,
 * transform them and send them into `b`; one collector drains `b`. */
typedef struct fan {
    mch a, b;
    mn_wg_t wg_mid, wg_col;
    uint64_t got, got_sum;      /* the collector's; read after wg_col */
} fan;

static void fan_mid(void *arg)
{
    fan *f = arg;
    uint64_t v;
    int rc;

    while ((rc = mch_recv(&f->a, &v, true)) >= 0)
        if (rc == 0 && mch_send(&f->b, v * 3 + 1) < 0)
            break;
    mn_wg_done(&f->wg_mid);
}

static void fan_collect(void *arg)
{
    fan *f = arg;
    uint64_t v;
    int rc;

    while ((rc = mch_recv(&f->b, &v, true)) >= 0)
        if (rc == 0) {
            f->got++;
            f->got_sum += v;
        }
    mn_wg_done(&f->wg_col);
}

static void op_fan(mns_worker *w)
{
    uint64_t n = 1 + mns_below(&w->rng, 200), want_sum = 0, base;
    int k = 1 + (int)mns_below(&w->rng, 4), mids = 0;
    fan f = { .got = 0 };

    mch_init(&f.a, mns_below(&w->rng, 9), "fan-out");
    mch_init(&f.b, mns_below(&w->rng, 9), "fan-in");
    mn_wg_init(&f.wg_mid);
    mn_wg_init(&f.wg_col);
    mn_wg_add(&f.wg_col, 1);
    if (mns_go(&w->rng, MNS_GO_ON, fan_collect, &f, NULL) < 0) {
        mn_wg_done(&f.wg_col);
        k = 0;
    }
    for (int i = 0; i < k; i++) {
        mn_wg_add(&f.wg_mid, 1);
        if (mns_go(&w->rng, mns_below(&w->rng, 2) ? MNS_GO_ON : MNS_GO_HERE, fan_mid, &f,
                   NULL) < 0)
            mn_wg_done(&f.wg_mid);
        else
            mids++;
    }
    base = f.a.id << 24;
    for (uint64_t i = 0; mids > 0 && i < n; i++) {
        want_sum += (base + i) * 3 + 1;
        if (mch_send(&f.a, base + i) < 0)
            break;
    }
    mn_chan_close(f.a.c);
    mn_wg_wait(&f.wg_mid);
    mn_chan_close(f.b.c);
    mn_wg_wait(&f.wg_col);
    mch_check(&f.a);
    mch_check(&f.b);
    if (mids > 0 && (f.got != n || f.got_sum != want_sum))
        mns_fail(MNS_INV_CHAN, "fan-out/fan-in through %d Gs (channels %llu, %llu): %llu values "
                 "in, %llu out (sum %llu, want %llu)", mids, (unsigned long long)f.a.id,
                 (unsigned long long)f.b.id, (unsigned long long)n, (unsigned long long)f.got,
                 (unsigned long long)f.got_sum, (unsigned long long)want_sum);
}

static void op_chan(mns_worker *w)
{
    if (mns_below(&w->rng, 2))
        op_ring(w);
    else
        op_fan(w);
}

/* --- mutex and sema ------------------------------------------------------------ */

void mns_ops_init(void)
{
    for (int i = 0; i < MNS_NMUTEX; i++)
        mn_mutex_init(&mns.mutex[i]);
    for (int i = 0; i < MNS_NSEMA; i++) {
        mns.sema_units[i] = 1 + (unsigned)i % 3;
        mn_sema_init(&mns.sema[i], mns.sema_units[i]);
    }
}

/* Inside: the owner field must go 0 -> our token and back, untouched by
 * anyone else; a plain counter beside it must not lose increments. */
static void op_mutex(mns_worker *w)
{
    int i = (int)mns_below(&w->rng, MNS_NMUTEX);
    uint64_t tok = atomic_fetch_add(&mns.owner_tokens, 1) + 1, seen = 0;

    if (mns_below(&w->rng, 4) == 0) {
        if (mn_mutex_trylock(&mns.mutex[i]) != 0)
            return;
    } else {
        mn_mutex_lock(&mns.mutex[i]);
    }
    mns_checked(MNS_INV_MUTEX);
    if (!atomic_compare_exchange_strong(&mns.mutex_owner[i], &seen, tok))
        mns_fail(MNS_INV_MUTEX, "mutex %d: acquired while another G held it (owner token %llu)",
                 i, (unsigned long long)seen);
    mns.mutex_plain[i]++;
    hold(&w->rng);
    seen = tok;
    if (!atomic_compare_exchange_strong(&mns.mutex_owner[i], &seen, 0))
        mns_fail(MNS_INV_MUTEX, "mutex %d: another G took it while it was held (owner token "
                 "%llu, ours %llu)", i, (unsigned long long)seen, (unsigned long long)tok);
    atomic_fetch_add(&mns.mutex_taken[i], 1);
    mn_mutex_unlock(&mns.mutex[i]);
}

static void op_sema(mns_worker *w)
{
    int i = (int)mns_below(&w->rng, MNS_NSEMA);
    unsigned held;

    mn_sema_acquire(&mns.sema[i]);
    held = atomic_fetch_add(&mns.sema_held[i], 1) + 1;
    mns_checked(MNS_INV_SEMA);
    if (held > mns.sema_units[i])
        mns_fail(MNS_INV_SEMA, "semaphore %d (%u units): %u holders at once", i,
                 mns.sema_units[i], held);
    hold(&w->rng);
    atomic_fetch_sub(&mns.sema_held[i], 1);
    mn_sema_release(&mns.sema[i]);
}

/* --- sleep, syscall ------------------------------------------------------------ */

static void op_sleep(mns_worker *w)
{
    uint64_t d = short_ns(&w->rng), t = mns_now();

    mn_sleep_ns(d);
    timer_check("mn_sleep_ns", d, mns_now() - t);
}

static void nanosleep_checked(uint64_t d)
{
    struct timespec ts = { 0, (long)d };
    uint64_t t = mns_now();

    /* Only the runtime's SIGURG is retried: Ctrl-C's EINTR comes back. */
    if (mn_nanosleep(&ts, NULL) == 0)
        timer_check("mn_nanosleep", d, mns_now() - t);
}

typedef struct pipe_write {
    int fd;
    const uint8_t *buf;
    size_t n;
    uint64_t delay;
    mn_wg_t *wg;
} pipe_write;

static void write_all(int fd, const uint8_t *buf, size_t n)
{
    while (n > 0) {
        ssize_t r = mn_write(fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            mns_fail(MNS_INV_SYSCALL, "mn_write on a pipe returned %zd (%s)", r,
                     r < 0 ? strerror(errno) : "nothing written");
            return;
        }
        buf += r;
        n -= (size_t)r;
    }
}

static void pipe_writer(void *arg)
{
    pipe_write p = *(pipe_write *)arg;

    if (p.delay)
        nanosleep_checked(p.delay);
    write_all(p.fd, p.buf, p.n);
    mns_step();
    mn_wg_done(p.wg);
}

/* A blocking mn_read of bytes another G writes after a while (or, when
 * that G could not be spawned, this one wrote before reading). */
static void op_pipe(mns_worker *w)
{
    uint8_t out[64], in[64];
    size_t n = 1 + mns_below(&w->rng, sizeof out), got = 0;
    mn_wg_t wg;
    pipe_write p = { w->pipe[1], out, n, 0, &wg };

    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)mns_next(&w->rng);
    if (mns_below(&w->rng, 3) == 0)
        p.delay = 10000 + mns_below(&w->rng, 190000);
    mn_wg_init(&wg);
    mn_wg_add(&wg, 1);
    if (mns_go(&w->rng, mns_below(&w->rng, 2) ? MNS_GO_ON : MNS_GO_HERE, pipe_writer, &p,
               NULL) < 0) {
        write_all(p.fd, out, n);
        mn_wg_done(&wg);
    }
    while (got < n) {
        ssize_t r = mn_read(w->pipe[0], in + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            mns_fail(MNS_INV_SYSCALL, "mn_read on a pipe returned %zd (%s)", r,
                     r < 0 ? strerror(errno) : "end of file");
            break;
        }
        got += (size_t)r;
    }
    mn_wg_wait(&wg);
    mns_checked(MNS_INV_SYSCALL);
    for (size_t i = 0; i < got; i++)
        if (in[i] != out[i]) {
            mns_fail(MNS_INV_SYSCALL, "mn_read on a pipe returned other bytes than mn_write "
                     "wrote (%zu bytes, first difference at byte %zu)", n, i);
            break;
        }
}

static void op_syscall(mns_worker *w)
{
    if (mns_below(&w->rng, 2))
        nanosleep_checked(10000 + mns_below(&w->rng, 490000));
    else
        op_pipe(w);
}

/* --- hog --------------------------------------------------------------------------
 * Spins past the time slice without yielding: half a slice to twice one,
 * at most 20 ms. In the program's own code, so a signal can preempt it;
 * in cooperative mode (the TSan build) it calls mn_preempt_point, as a
 * loop must there. */
static void op_hog(mns_worker *w)
{
    uint64_t slice = mns.timeslice_ns ? mns.timeslice_ns : 10000000;
    uint64_t d = slice / 2 + mns_below(&w->rng, slice * 3 / 2), end;
    volatile uint64_t x = 0;

    if (d > 20000000)
        d = 20000000;
    end = mns_now() + d;
    do {
        for (int i = 0; i < 4096; i++)
            x++;
        if (mns.coop)
            mn_preempt_point();
    } while (mns_now() < end);
}

/* --- stw ----------------------------------------------------------------------- */

void mns_stacks_check(const char *when)
{
    mn_debug_counts c;

    mn_debug_counts_get(&c);
    mns_checked(MNS_INV_STACKS);
    if (c.stacks_allocated != c.stacks_cached + c.stacks_live)
        mns_fail(MNS_INV_STACKS, "%s: stacks allocated %zu != cached %zu + live %zu", when,
                 c.stacks_allocated, c.stacks_cached, c.stacks_live);
    if (c.cache_max > c.cache_bound)
        mns_fail(MNS_INV_STACKS, "%s: a per-P stack cache holds %zu stacks, above its bound %zu",
                 when, c.cache_max, c.cache_bound);
}

/* While the world is stopped no other G runs: the progress counter,
 * which only G code bumps, must stand still. */
static void op_stw(mns_worker *w)
{
    uint64_t before, after;

    mn_stop_the_world();
    before = atomic_load(&mns.progress);
    mns_stacks_check("stopped by a worker");
    spin_ns(mns_below(&w->rng, 50000));
    after = atomic_load(&mns.progress);
    mn_start_the_world();
    mns_checked(MNS_INV_STW);
    if (after != before)
        mns_fail(MNS_INV_STW, "%llu steps of other Gs completed while the world was stopped",
                 (unsigned long long)(after - before));
}

/* --- lock ----------------------------------------------------------------------- */

static pid_t thread_id(void)
{
    return (pid_t)syscall(SYS_gettid);     /* not cached: pthread_self is const */
}

static void op_lock(mns_worker *w)
{
    static const char *const what[] = { "mn_yield", "mn_sleep_ns", "mn_nanosleep", "a mutex" };
    pid_t t0, t;

    mn_lock_thread();
    t0 = thread_id();
    for (uint64_t n = 1 + mns_below(&w->rng, 6); n > 0; n--) {
        int k = (int)mns_below(&w->rng, 4);
        switch (k) {
        case 0: mn_yield(); break;
        case 1: mn_sleep_ns(1000 + mns_below(&w->rng, 100000)); break;
        case 2: nanosleep_checked(10000 + mns_below(&w->rng, 90000)); break;
        default: op_mutex(w); break;
        }
        mns_step();
        mns_checked(MNS_INV_LOCKED);
        if ((t = thread_id()) != t0)
            mns_fail(MNS_INV_LOCKED, "a G locked to thread %d resumed on thread %d after %s",
                     (int)t0, (int)t, what[k]);
    }
    mn_unlock_thread();
}

/* --- the worker ----------------------------------------------------------------- */

static void (*const ops[MNS_NKINDS])(mns_worker *) = {
    [MNS_SPAWN] = op_spawn, [MNS_YIELD] = op_yield, [MNS_CHAN] = op_chan,
    [MNS_MUTEX] = op_mutex, [MNS_SEMA] = op_sema, [MNS_SLEEP] = op_sleep,
    [MNS_SYSCALL] = op_syscall, [MNS_HOG] = op_hog, [MNS_STW] = op_stw,
    [MNS_LOCK] = op_lock,
};

static int pick(mns_worker *w)
{
    uint64_t r = mns_below(&w->rng, mns.wsum);
    int k = 0;

    while (r >= mns.weight[k])
        r -= mns.weight[k++];
    return k;
}

void mns_worker_main(void *arg)
{
    mns_worker *w = arg;

    while (!atomic_load(&mns.stop) && mns_now() < mns.deadline) {
        int k = pick(w);
        atomic_store(&w->op_kind, k);
        atomic_store(&w->op_start, mns_now());
        ops[k](w);
        atomic_store(&w->op_start, 0);
        atomic_fetch_add(&mns.ops[k], 1);
        mns_step();
    }
}

/* --- the end ---------------------------------------------------------------------- */

static void ids_check(void)
{
    uint64_t n = atomic_load(&next_id), bad = 0, first = 0;
    unsigned first_v = 0;

    for (uint64_t c = 0; c < NCHUNKS && (c << CHUNK_BITS) < n; c++) {
        atomic_uchar *p = atomic_load(&chunks[c]);
        for (uint64_t i = 0; i < CHUNK && (c << CHUNK_BITS) + i < n; i++) {
            unsigned v = p ? atomic_load_explicit(&p[i], memory_order_relaxed) : 0;
            if (v == ID_RAN + ID_EXITED || v == ID_REFUSED)
                continue;
            if (bad++ == 0) {
                first = (c << CHUNK_BITS) + i;
                first_v = v;
            }
        }
        free(p);
        atomic_store(&chunks[c], NULL);
    }
    atomic_fetch_add(&mns.inv[MNS_INV_SPAWN].checks, n);
    if (bad)
        mns_fail(MNS_INV_SPAWN, "%llu of %llu spawned Gs did not run exactly once and return; "
                 "the first, spawn id %llu: %s", (unsigned long long)bad, (unsigned long long)n,
                 (unsigned long long)first, id_state(first_v));
}

void mns_final_checks(void)
{
    uint64_t s = atomic_load(&mns.chan_sent), r = atomic_load(&mns.chan_recv);
    uint64_t ss = atomic_load(&mns.chan_sent_sum), rs = atomic_load(&mns.chan_recv_sum);

    ids_check();
    mns_checked(MNS_INV_CHAN);
    if (s != r || ss != rs)
        mns_fail(MNS_INV_CHAN, "over all %llu channels: sent %llu messages (checksum %016llx), "
                 "received %llu (checksum %016llx)", (unsigned long long)atomic_load(&mns.chan_ids),
                 (unsigned long long)s, (unsigned long long)ss, (unsigned long long)r,
                 (unsigned long long)rs);
    for (int i = 0; i < MNS_NMUTEX; i++) {
        uint64_t taken = atomic_load(&mns.mutex_taken[i]);
        mns_checked(MNS_INV_MUTEX);
        if (mns.mutex_plain[i] != taken)
            mns_fail(MNS_INV_MUTEX, "mutex %d: taken %llu times, yet a counter incremented "
                     "under it reads %llu (updates lost to two owners at once)", i,
                     (unsigned long long)taken, (unsigned long long)mns.mutex_plain[i]);
    }
}
