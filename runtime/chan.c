/* chan.c - channels: Go's semantics for elements of a fixed size.
 *
 * A sender that finds a waiting receiver copies straight into the
 * receiver's buffer (on its stack) and readies it; likewise a receiver
 * takes straight from a waiting sender. Otherwise the buffer, if any, is
 * used, and only then does the G park. After close, receives drain the
 * buffer and then return -EPIPE; sends return -EPIPE (Go panics), and so
 * do senders that were waiting when the channel closed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct mn_chan {
    mn_spin lock;
    bool closed;
    size_t elem_size;
    size_t cap;
    size_t count;               /* elements buffered */
    size_t head;                /* index of the oldest */
    mn_waitq sendq, recvq;      /* parked Gs; g->wait_elem is their element */
    char buf[];
};

mn_chan_t *mn_chan_make(size_t elem_size, size_t capacity)
{
    if (elem_size == 0 || elem_size > (1u << 16) || capacity > (1u << 24)) {
        errno = EINVAL;
        return NULL;
    }
    mn_chan_t *c = calloc(1, sizeof *c + elem_size * capacity);
    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    c->elem_size = elem_size;
    c->cap = capacity;
    return c;
}

void mn_chan_free(mn_chan_t *c)
{
    free(c);
}

static void q_push(mn_waitq *q, mn_g *g)
{
    g->schedlink = NULL;
    if (q->tail)
        q->tail->schedlink = g;
    else
        q->head = g;
    q->tail = g;
}

static mn_g *q_pop(mn_waitq *q)
{
    mn_g *g = q->head;
    if (g) {
        q->head = g->schedlink;
        if (!q->head)
            q->tail = NULL;
    }
    return g;
}

static inline char *slot(mn_chan_t *c, size_t i)
{
    return c->buf + ((c->head + i) % c->cap) * c->elem_size;
}

/* Parks the running G on q with its element; chan lock must be held. */
static int block(mn_chan_t *c, mn_waitq *q, void *elem, const char *why)
{
    mn_g *self = mn__getm()->curg;
    self->wait_elem = elem;
    self->wait_result = 0;
    q_push(q, self);
    mn__park(&c->lock, why);
    return self->wait_result;
}

int mn_chan_send(mn_chan_t *c, const void *elem)
{
    mn_preempt_point();
    mn__spin_lock(&c->lock);
    if (c->closed) {
        mn__spin_unlock(&c->lock);
        return -EPIPE;
    }
    mn_g *r = q_pop(&c->recvq);
    if (r) {
        memcpy(r->wait_elem, elem, c->elem_size);
        r->wait_result = 0;
        mn__spin_unlock(&c->lock);
        mn__ready(r);
        return 0;
    }
    if (c->count < c->cap) {
        memcpy(slot(c, c->count), elem, c->elem_size);
        c->count++;
        mn__spin_unlock(&c->lock);
        return 0;
    }
    return block(c, &c->sendq, (void *)elem, "chan send");
}

int mn_chan_recv(mn_chan_t *c, void *elem)
{
    mn_preempt_point();
    mn__spin_lock(&c->lock);
    if (c->count > 0) {
        memcpy(elem, slot(c, 0), c->elem_size);
        c->head = (c->head + 1) % c->cap;
        c->count--;
        mn_g *s = q_pop(&c->sendq);
        if (s) {                /* room now: the oldest sender's element */
            memcpy(slot(c, c->count), s->wait_elem, c->elem_size);
            c->count++;
            s->wait_result = 0;
        }
        mn__spin_unlock(&c->lock);
        if (s)
            mn__ready(s);
        return 0;
    }
    mn_g *s = q_pop(&c->sendq);
    if (s) {
        memcpy(elem, s->wait_elem, c->elem_size);
        s->wait_result = 0;
        mn__spin_unlock(&c->lock);
        mn__ready(s);
        return 0;
    }
    if (c->closed) {
        mn__spin_unlock(&c->lock);
        return -EPIPE;
    }
    return block(c, &c->recvq, elem, "chan receive");
}

void mn_chan_close(mn_chan_t *c)
{
    mn__spin_lock(&c->lock);
    if (c->closed)
        mn__throw("mn_chan_close: channel already closed");
    c->closed = true;
    mn_g *woken = NULL, *g;
    while ((g = q_pop(&c->recvq)) || (g = q_pop(&c->sendq))) {
        g->wait_result = -EPIPE;
        g->schedlink = woken;
        woken = g;
    }
    mn__spin_unlock(&c->lock);
    while (woken) {
        g = woken;
        woken = g->schedlink;
        mn__ready(g);
    }
}
