/*
 * Event-driven TCP listener and sockets for Moddable's Linux simulator (mcsim), behind drivers/socket-lin.ts.
 *
 * Why: the SDK's lin implementation of embedded:io/socket/tcp (SDK 8.2.3, modules/io/socket/lin/tcp.c)
 * services each socket from a 20 ms timer and moves at most 1,536 bytes per turn each way. Every reply
 * the speaker waits for therefore arrives up to 20 ms late (in mcsim the clock sync needed ~39 s and
 * ~1,700 round trips to converge; ~1 s and ~250 with these sockets), and a socket carries at most
 * ~77 KB/s (measured 74-75 KB/s; 48 kHz stereo PCM needs 192 KB/s). A failed write also silences the
 * socket for good. mcsim runs on GLib's main loop (its timers are GLib timeouts), so this file watches each
 * descriptor there: readiness is reported as soon as the kernel has it.
 *
 * The JavaScript side (drivers/socket-lin.ts) gives these the shape of ECMA-419 Listener/TCP that the
 * portable adapter (modules/board/ecma419-listener.ts) uses, with Moddable's semantics:
 *   - read(buffer) fills the whole buffer from the bytes announced (throws otherwise);
 *   - write(buffer) takes all of it or throws "would block" (beyond the room last reported, less what was
 *     written since); it returns the room left, or nothing when the send failed (the peer is gone);
 *   - after a write, the room is re-measured when the kernel says the socket is writable, and reported.
 * A send the kernel takes only partly (the room is an estimate) keeps its tail here and sends it first.
 * Events reach JavaScript through one dispatch function per object: (kind, count).
 */

#define _GNU_SOURCE		/* accept4 */

#include "xsmc.h"
#include "xsHost.h"
#include "modInstrumentation.h"		/* the SDK's socket counters (sockets, bytes read/written) */

#include <glib.h>
#include <glib-unix.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
	kEventReadable = 1,
	kEventWritable = 2,
	kEventError = 3,
};

/* The room reported is the kernel's free send space, clamped to this range (bounds the tail kept here). */
#define kMinRoom (4096)
#define kMaxRoom (65536)
#define kPendingConnections (8)
/* After accept() fails for want of descriptors or memory, or while accepted connections wait for JavaScript,
 * the listener stops watching its descriptor this long: the kernel keeps reporting the queued connection as
 * readable, so watching on would spin the main loop. */
#define kAcceptRetryMs (100)

/*
 * Each socket has one GLib source for its whole life (a GSource of ours carrying the descriptor), whose
 * condition changes in place (g_source_modify_unix_fd): no source is ever replaced, so none can outlive the
 * record it points to. The source is destroyed when the socket is closed or has failed; GLib keeps a
 * reference to a source while dispatching it, so destroying it from its own callback is safe, and a source
 * destroyed while pending is not dispatched.
 *
 * Lifetime of the record: the JavaScript object and its dispatch function are GC roots (xsRemember) from
 * open() until close(). close() forgets them at once, except while this socket's callback is running
 * (the record is still in use there): then the callback forgets them on its way out. The record itself is
 * freed by the destructor, i.e. only once the object is unreachable (after it was forgotten).
 */
/* A host object's JavaScript side (the object and its dispatch function), rooted while it is open. */
typedef struct {
	xsMachine *the;
	xsSlot obj;
	xsSlot dispatch;
	int dispatching;		/* inside its GLib callback: the record must stay rooted until it returns */
	int remembered;			/* obj and dispatch are GC roots */
	int forgetLater;
} SSRoot;

typedef struct {
	GSource base;
	gpointer tag;
	struct SSSocketRecord *socket;
} SSSource;

typedef struct SSSocketRecord {
	SSRoot root;
	int fd;
	SSSource *source;
	GIOCondition condition;
	int failed;				/* the connection is over (error, reset, end of stream, failed send) */
	int reported;			/* onError was dispatched */
	uint32_t room;
	uint8_t *tail;
	uint32_t tailLength;
	uint32_t tailOffset;
} SSSocket;

typedef struct {
	SSRoot root;
	int fd;
	guint watch;
	guint retry;			/* the timer that resumes watching after a stall (kAcceptRetryMs) */
	int pending[kPendingConnections];
	int count;
} SSListener;

static gboolean ssSourceDispatch(GSource *source, GSourceFunc callback, gpointer data);
static gboolean ssListenerReady(gint fd, GIOCondition condition, gpointer data);
static gboolean ssListenerResume(gpointer data);

/* open(): this object and its dispatch function become GC roots. */
static void ssRootRemember(xsMachine *the, SSRoot *r, xsSlot *dispatch)
{
	r->the = the;
	r->obj = xsThis;
	r->dispatch = *dispatch;
	xsRemember(r->obj);
	xsRemember(r->dispatch);
	r->remembered = 1;
}

/* close(): forget the roots now, or on the way out of the callback that is still using the record. */
static void ssRootForget(SSRoot *r)
{
	xsMachine *the = r->the;
	if (!r->remembered)
		return;
	if (r->dispatching) {
		r->forgetLater = 1;
		return;
	}
	r->remembered = 0;
	xsForget(r->obj);
	xsForget(r->dispatch);
}

/* The end of a GLib callback: true when close() ran inside it (the roots are forgotten now, and the record
   may be collected from here on: the caller touches it no more). */
static int ssRootEndDispatch(SSRoot *r)
{
	r->dispatching = 0;
	if (!r->forgetLater)
		return 0;
	r->forgetLater = 0;
	ssRootForget(r);
	return 1;
}

/* Only descriptors wake this source: no prepare or check of its own (GLib polls the fd it carries). */
static GSourceFuncs gSSSourceFuncs = { NULL, NULL, ssSourceDispatch, NULL, NULL, NULL };

#define kWatchRead (G_IO_IN | G_IO_HUP | G_IO_ERR)
#define kWatchReadWrite (G_IO_IN | G_IO_OUT | G_IO_HUP | G_IO_ERR)

/* ---- sockets ---- */

static uint32_t ssMeasureRoom(SSSocket *s)
{
	int sndbuf = 0, outq = 0;
	socklen_t len = sizeof(sndbuf);
	long room;
	if (getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) < 0)
		sndbuf = 2 * kMinRoom;
	if (ioctl(s->fd, SIOCOUTQ, &outq) < 0)
		outq = 0;
	room = (long)sndbuf / 2 - outq;		/* Linux reports twice the usable size (bookkeeping) */
	if (room < kMinRoom)
		room = kMinRoom;
	if (room > kMaxRoom)
		room = kMaxRoom;
	return (uint32_t)room;
}

static void ssSocketWatch(SSSocket *s, GIOCondition condition)
{
	if (!s->source || (s->condition == condition))
		return;
	s->condition = condition;
	g_source_modify_unix_fd(&s->source->base, s->source->tag, condition);
}

/* No more events for this socket (closed or failed). */
static void ssSocketUnwatch(SSSocket *s)
{
	SSSource *source = s->source;
	if (!source)
		return;
	s->source = NULL;
	source->socket = NULL;
	g_source_destroy(&source->base);
	g_source_unref(&source->base);
}

static void ssSocketRelease(SSSocket *s)
{
	ssSocketUnwatch(s);
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
		modInstrumentationAdjust(NetworkSockets, -1);
	}
	if (s->tail) {
		free(s->tail);
		s->tail = NULL;
	}
	s->tailLength = s->tailOffset = 0;
	s->room = 0;
	ssRootForget(&s->root);
}

void xs_sss_socket_destructor(void *data)
{
	SSSocket *s = data;
	if (!s)
		return;
	/* unreachable, so already forgotten; or the machine is being deleted: nothing to forget either way */
	s->root.dispatching = 0;
	s->root.remembered = 0;
	ssSocketRelease(s);
	free(s);
}

/* open(fd, nodelay, dispatch): adopt an accepted descriptor (this object owns it from now on). */
void xs_sss_socket_open(xsMachine *the)
{
	int fd = xsmcToInteger(xsArg(0));
	SSSocket *s;
	SSSource *source;
	if (fd < 0)
		xsRangeError("invalid descriptor");
	s = calloc(1, sizeof(SSSocket));
	if (!s) {
		close(fd);
		xsUnknownError("no memory");
	}
	s->fd = fd;
	modInstrumentationAdjust(NetworkSockets, +1);
	xsmcSetHostData(xsThis, s);		/* from here the destructor closes the descriptor, whatever happens */
	fcntl(fd, F_SETFL, O_NONBLOCK | fcntl(fd, F_GETFL, 0));
	if (xsmcToBoolean(xsArg(1))) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	ssRootRemember(the, &s->root, &xsArg(2));
	/* the first writable report tells the adapter its room */
	source = (SSSource *)g_source_new(&gSSSourceFuncs, sizeof(SSSource));
	source->socket = s;
	s->condition = kWatchReadWrite;
	source->tag = g_source_add_unix_fd(&source->base, fd, s->condition);
	s->source = source;
	g_source_attach(&source->base, NULL);		/* the default context, where mcsim's timers run */
}

static SSSocket *ssSocketOf(xsMachine *the)
{
	return xsmcGetHostData(xsThis);
}

/* read(buffer): fill it from the bytes reported readable; throws otherwise (the adapter ends the connection). */
void xs_sss_socket_read(xsMachine *the)
{
	SSSocket *s = ssSocketOf(the);
	void *data;
	xsUnsignedValue length, done = 0;
	if (!s || (s->fd < 0) || s->failed)
		xsUnknownError("closed");
	xsmcGetBufferWritable(xsArg(0), &data, &length);
	while (done < length) {
		ssize_t n = recv(s->fd, (uint8_t *)data + done, length - done, MSG_DONTWAIT);
		if (n > 0) {
			done += (xsUnsignedValue)n;
			modInstrumentationAdjust(NetworkBytesRead, n);
		}
		else if ((n < 0) && (errno == EINTR))
			continue;
		else
			xsUnknownError("invalid");
	}
}

/* Send the kept tail; true when it is all out (false: the kernel is full, or the send failed). */
static int ssSocketFlushTail(SSSocket *s)
{
	while (s->tail && (s->tailOffset < s->tailLength)) {
		ssize_t n = send(s->fd, s->tail + s->tailOffset, s->tailLength - s->tailOffset, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			s->tailOffset += (uint32_t)n;
			modInstrumentationAdjust(NetworkBytesWritten, n);
		}
		else if ((n < 0) && (errno == EINTR))
			continue;
		else if ((n < 0) && ((errno == EAGAIN) || (errno == EWOULDBLOCK)))
			return 0;
		else {
			s->failed = 1;
			return 0;
		}
	}
	if (s->tail) {
		free(s->tail);
		s->tail = NULL;
		s->tailLength = s->tailOffset = 0;
	}
	return 1;
}

/* write(buffer) → the room left; nothing when the send failed; throws "would block" beyond the room. */
void xs_sss_socket_write(xsMachine *the)
{
	SSSocket *s = ssSocketOf(the);
	void *data;
	xsUnsignedValue length, sent = 0;
	if (!s || (s->fd < 0) || s->failed)
		return;		/* nothing returned: the send failed */
	xsmcGetBufferReadable(xsArg(0), &data, &length);
	if (length > s->room)
		xsUnknownError("would block");
	if (s->tail)
		ssSocketFlushTail(s);		/* the bytes written before go first */
	while (!s->failed && !s->tail && (sent < length)) {
		ssize_t n = send(s->fd, (uint8_t *)data + sent, length - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			sent += (xsUnsignedValue)n;
			modInstrumentationAdjust(NetworkBytesWritten, n);
		}
		else if ((n < 0) && (errno == EINTR))
			continue;
		else if ((n < 0) && ((errno == EAGAIN) || (errno == EWOULDBLOCK)))
			break;
		else
			s->failed = 1;		/* EPIPE, ECONNRESET...: the peer is gone */
	}
	if (s->failed) {
		/* the callback reports onError on the next turn, should the adapter not end the connection first */
		ssSocketWatch(s, kWatchReadWrite);
		return;
	}
	if (sent < length) {
		/* the kernel took less than the room promised: keep the rest here (within the room) and send it first */
		uint32_t rest = length - sent;
		uint32_t kept = s->tail ? (s->tailLength - s->tailOffset) : 0;
		uint8_t *tail = malloc(kept + rest);
		if (!tail) {
			s->failed = 1;
			ssSocketWatch(s, kWatchReadWrite);
			return;
		}
		if (kept)
			memcpy(tail, s->tail + s->tailOffset, kept);
		memcpy(tail + kept, (uint8_t *)data + sent, rest);
		free(s->tail);
		s->tail = tail;
		s->tailLength = kept + rest;
		s->tailOffset = 0;
	}
	s->room -= length;
	/* re-measure the room (and send any tail) once the kernel reports the socket writable */
	ssSocketWatch(s, kWatchReadWrite);
	xsmcSetInteger(xsResult, s->room);
}

void xs_sss_socket_close(xsMachine *the)
{
	SSSocket *s = ssSocketOf(the);
	if (s)
		ssSocketRelease(s);
}

void xs_sss_socket_remote_address(xsMachine *the)
{
	SSSocket *s = ssSocketOf(the);
	struct sockaddr_storage addr;
	socklen_t len = sizeof(addr);
	char text[INET6_ADDRSTRLEN];
	if (!s || (s->fd < 0) || (getpeername(s->fd, (struct sockaddr *)&addr, &len) < 0))
		return;
	if (addr.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&addr)->sin_addr, text, sizeof(text));
	else if (addr.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&addr)->sin6_addr, text, sizeof(text));
	else
		return;
	xsmcSetString(xsResult, text);
}

/* The JavaScript dispatch function catches everything: an exception escaping here would abort the machine. */
static void ssSocketDispatch(SSSocket *s, int kind, int count)
{
	xsBeginHost(s->root.the);
		xsCallFunction2(s->root.dispatch, s->root.obj, xsInteger(kind), xsInteger(count));
	xsEndHost(s->root.the);
}

/* Nothing readable: end of stream or an error (true), or a spurious wake-up (false). */
static int ssSocketEnded(SSSocket *s)
{
	uint8_t byte;
	ssize_t n = recv(s->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0)
		return 0;
	if ((n < 0) && ((errno == EAGAIN) || (errno == EWOULDBLOCK) || (errno == EINTR)))
		return 0;
	return 1;
}

static gboolean ssSourceDispatch(GSource *source, GSourceFunc callback, gpointer data)
{
	SSSocket *s = ((SSSource *)source)->socket;
	GIOCondition condition;
	int readable = 0;

	if (!s)
		return G_SOURCE_REMOVE;		/* unwatched (destroyed) after it was found ready */
	condition = g_source_query_unix_fd(source, ((SSSource *)source)->tag);
	s->root.dispatching = 1;
	/* writable: send what was kept, then report the room */
	if ((condition & G_IO_OUT) && (s->fd >= 0) && !s->failed) {
		if (ssSocketFlushTail(s)) {
			s->room = ssMeasureRoom(s);
			ssSocketWatch(s, kWatchRead);
			ssSocketDispatch(s, kEventWritable, (int)s->room);
		}
	}
	/* readable, or the end of the connection */
	if ((condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && (s->fd >= 0) && !s->failed) {
		if (ioctl(s->fd, FIONREAD, &readable) < 0)
			readable = 0;
		if (readable > 0)
			ssSocketDispatch(s, kEventReadable, readable);
		else if (ssSocketEnded(s))
			s->failed = 1;
	}
	/* failed (here or in a write): report once and watch no more (poll reports HUP/ERR whatever we ask) */
	if (s->failed && !s->reported && (s->fd >= 0)) {
		s->reported = 1;
		ssSocketUnwatch(s);
		ssSocketDispatch(s, kEventError, 0);
	}
	ssRootEndDispatch(&s->root);		/* the record may be collected from now on: nothing below touches it */
	return G_SOURCE_CONTINUE;		/* a source destroyed meanwhile is not dispatched again */
}

/* ---- listener ---- */

static void ssListenerRelease(SSListener *l)
{
	if (l->watch && !l->root.dispatching)
		g_source_remove(l->watch);
	l->watch = 0;
	if (l->retry) {
		g_source_remove(l->retry);
		l->retry = 0;
	}
	if (l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
	}
	while (l->count > 0)
		close(l->pending[--l->count]);
	ssRootForget(&l->root);
}

void xs_sss_listener_destructor(void *data)
{
	SSListener *l = data;
	if (!l)
		return;
	l->root.dispatching = 0;
	l->root.remembered = 0;
	ssListenerRelease(l);
	free(l);
}

/* open(port, dispatch) */
void xs_sss_listener_open(xsMachine *the)
{
	int port = xsmcToInteger(xsArg(0));
	int yes = 1;
	struct sockaddr_in addr;
	SSListener *l;
	if ((port < 0) || (port > 65535))
		xsRangeError("invalid port");
	l = calloc(1, sizeof(SSListener));
	if (!l)
		xsUnknownError("no memory");
	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		free(l);
		xsUnknownError("no socket");
	}
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(port);
	if ((bind(l->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) || (listen(l->fd, SOMAXCONN) < 0)) {
		int error = errno;
		close(l->fd);
		free(l);
		xsUnknownError("listen on port %d failed: %s", port, strerror(error));
	}
	xsmcSetHostData(xsThis, l);
	ssRootRemember(the, &l->root, &xsArg(1));
	l->watch = g_unix_fd_add(l->fd, G_IO_IN, ssListenerReady, l);
}

static gboolean ssListenerReady(gint fd, GIOCondition condition, gpointer data)
{
	SSListener *l = data;
	int starved = 0;
	while (l->count < kPendingConnections) {
		int skt = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (skt < 0) {
			starved = (errno == EMFILE) || (errno == ENFILE) || (errno == ENOBUFS) || (errno == ENOMEM);
			break;
		}
		l->pending[l->count++] = skt;
	}
	if (l->count > 0) {
		l->root.dispatching = 1;
		xsBeginHost(l->root.the);
			xsCallFunction1(l->root.dispatch, l->root.obj, xsInteger(l->count));
		xsEndHost(l->root.the);
		if (ssRootEndDispatch(&l->root))
			return G_SOURCE_REMOVE;		/* closed from its own callback */
	}
	if (l->fd < 0)
		return G_SOURCE_REMOVE;
	if (starved || (l->count >= kPendingConnections)) {
		l->watch = 0;
		l->retry = g_timeout_add(kAcceptRetryMs, ssListenerResume, l);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean ssListenerResume(gpointer data)
{
	SSListener *l = data;
	l->retry = 0;
	if (l->fd >= 0)
		l->watch = g_unix_fd_add(l->fd, G_IO_IN, ssListenerReady, l);
	return G_SOURCE_REMOVE;
}

/* read() → the next accepted descriptor, or nothing */
void xs_sss_listener_read(xsMachine *the)
{
	SSListener *l = xsmcGetHostData(xsThis);
	int i;
	if (!l || (l->count == 0))
		return;
	xsmcSetInteger(xsResult, l->pending[0]);
	for (i = 1; i < l->count; i++)
		l->pending[i - 1] = l->pending[i];
	l->count--;
}

void xs_sss_listener_port(xsMachine *the)
{
	SSListener *l = xsmcGetHostData(xsThis);
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	if (!l || (l->fd < 0) || (getsockname(l->fd, (struct sockaddr *)&addr, &len) < 0))
		return;
	xsmcSetInteger(xsResult, ntohs(addr.sin_port));
}

void xs_sss_listener_close(xsMachine *the)
{
	SSListener *l = xsmcGetHostData(xsThis);
	if (l)
		ssListenerRelease(l);
}
