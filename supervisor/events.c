/*
 * events.c: the lifecycle history.  Every change in a VM's life (created,
 * starting, started, crashed, restarting, failed, stopped, ...) becomes
 * one event: logged once, stored (store.c keeps the newest
 * event_history of them) and pushed to every client following the
 * stream.  An event carries who asked for it, when someone did: the
 * uid of the request (event_record_by), or of the start, stop, pause or
 * resume under way (event_record, vm_actor()).  A follower is a control
 * connection and the id of its "events" request; it is forgotten when
 * its connection is gone.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fws.h"
#include "log.h"

#define EVENT_PRUNE_EVERY	256	/* inserts between prunes */

struct follower {
	TAILQ_ENTRY(follower)	 f_entry;
	uint64_t		 f_client;
	json_t			*f_id;		/* the request's id */
	char			*f_vm;		/* NULL: every VM */
	int64_t			 f_owner;	/* -1: every owner's (admins) */
	int			 f_gone;	/* connection closed meanwhile */
};
TAILQ_HEAD(followers, follower);

static struct followers	followers = TAILQ_HEAD_INITIALIZER(followers);
static unsigned		inserts;
static int		publishing;	/* inside the followers loop */

static void
follower_free(struct follower *f)
{
	TAILQ_REMOVE(&followers, f, f_entry);
	json_decref(f->f_id);
	free(f->f_vm);
	free(f);
}

static int
event_is_trouble(const char *event)
{
	return strcmp(event, "crashed") == 0 || strcmp(event, "failed") == 0;
}

/*
 * Record that event happened to vm, and why; actor is the uid that asked
 * for it (-1: nobody did: fwsd itself, or the guest).  A store failure
 * is logged: the history may miss a line, the VM itself goes on.
 */
static void
event_vrecord(const struct vm *vm, int64_t actor, const char *event,
    const char *fmt, va_list ap)
{
	struct follower	*f, *tf;
	struct timespec	 ts;
	json_t		*e;
	int64_t		 ms, seq;
	char		*reason, *text, *cause;

	/* a reason may quote qemu, whose words need not be UTF-8 */
	if (vasprintf(&text, fmt, ap) == -1)
		text = NULL;
	reason = text ? utf8_clean(text) : NULL;
	free(text);
	if (event_is_trouble(event))
		log_warnx("%s: %s: %s", vm->vm_name, event, reason ? reason : "");
	else if (actor >= 0)
		log_info("%s: %s by uid %lld: %s", vm->vm_name, event,
		    (long long)actor, reason ? reason : "");
	else
		log_info("%s: %s: %s", vm->vm_name, event, reason ? reason : "");

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if ((seq = store_event_insert(ms, vm->vm_owner, actor, vm->vm_name,
	    event, reason, &cause)) == -1) {
		log_warnx("%s: event %s not stored: %s", vm->vm_name, event,
		    cause);
		free(cause);
		seq = 0;
	}
	if (++inserts % EVENT_PRUNE_EVERY == 0 &&
	    store_event_prune(conf.cf_event_history, &cause) == -1) {
		log_warnx("events: %s", cause);
		free(cause);
	}

	e = json_pack("{sI sf ss ss sI}", "seq", (json_int_t)seq, "time",
	    ms / 1000.0, "vm", vm->vm_name, "event", event, "owner",
	    (json_int_t)vm->vm_owner);
	json_object_set_new(e, "reason", reason ? json_string(reason) :
	    json_null());
	json_object_set_new(e, "actor", actor >= 0 ? json_integer(actor) :
	    json_null());
	/* a push may drop a client that does not read: see event_unfollow */
	publishing = 1;
	TAILQ_FOREACH(f, &followers, f_entry) {
		if (f->f_gone || (f->f_vm != NULL &&
		    strcmp(f->f_vm, vm->vm_name) != 0) ||
		    (f->f_owner >= 0 && f->f_owner != vm->vm_owner))
			continue;
		control_push(f->f_client, json_pack("{sO sO}", "id", f->f_id,
		    "event", e));
	}
	publishing = 0;
	TAILQ_FOREACH_SAFE(f, &followers, f_entry, tf)
		if (f->f_gone)
			follower_free(f);
	json_decref(e);
	free(reason);
	notify_status();
}

/* An event of the transition under way: by whoever asked for it. */
void
event_record(const struct vm *vm, const char *event, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	event_vrecord(vm, vm_actor(vm), event, fmt, ap);
	va_end(ap);
}

/* An event that actor (a uid, -1: nobody) asked for. */
void
event_record_by(const struct vm *vm, int64_t actor, const char *event,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	event_vrecord(vm, actor, event, fmt, ap);
	va_end(ap);
}

/*
 * From now on, push the events of vm (NULL: all) of owner (-1: every
 * owner) to client.
 */
int
event_follow(uint64_t client, json_t *id, int64_t owner, const char *vm)
{
	struct follower	*f;

	/* its connection is quiet between events, not idle */
	if (control_stream(client) == -1 ||
	    (f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	f->f_client = client;
	f->f_id = json_incref(id);
	f->f_vm = vm ? xasprintf("%s", vm) : NULL;
	f->f_owner = owner;
	TAILQ_INSERT_TAIL(&followers, f, f_entry);
	return 0;
}

/* client's connection is gone (0: fwsd is exiting, forget them all). */
void
event_unfollow(uint64_t client)
{
	struct follower	*f, *tf;

	TAILQ_FOREACH_SAFE(f, &followers, f_entry, tf) {
		if (client != 0 && f->f_client != client)
			continue;
		if (publishing)
			f->f_gone = 1;
		else
			follower_free(f);
	}
}
