/*
 * vm-pin.c: which host CPUs a VM's threads may run on.  Each vCPU's
 * thread may be pinned to a CPU list (vcpu-pin), the rest of its qemu
 * (the main loop, I/O and worker threads) to another (emulator-pin).
 * The pins are part of the definition (the store's "pins", a JSON
 * object {"vcpus": {"0": "2-3"}, "emulator": "0"}), applied live to a
 * qemu that runs and again at every start, once QMP says the guest
 * runs (query-cpus-fast names each vCPU's thread).  vcpu-info shows
 * each vCPU's thread, the CPU it last ran on and where it may run.
 */
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fws.h"
#include "log.h"
#include "qmp.h"

#define PIN_CPUS_MAX	1024	/* the CPUs a list may name */

/*
 * A CPU list ("2", "0-3", "0,2,4-7") as a set, each CPU one the host
 * has (online or not: it may come back); 0, or -1 and why.
 */
static int
pin_parse(const char *s, cpu_set_t *set, char **cause)
{
	long	 ncpu = sysconf(_SC_NPROCESSORS_CONF), a, b;
	char	*end;
	const char *p = s;

	CPU_ZERO(set);
	if (s == NULL || *s == '\0')
		return cause_fail(cause, "an empty CPU list");
	for (;;) {
		if (*p < '0' || *p > '9')
			return cause_fail(cause, "bad CPU list \"%.32s\": give "
			    "CPUs and ranges, e.g. 0-3,6", s);
		a = strtol(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				return cause_fail(cause, "bad CPU list \"%.32s\": "
				    "give CPUs and ranges, e.g. 0-3,6", s);
			b = strtol(p, &end, 10);
		}
		if (a > b || b >= PIN_CPUS_MAX || b >= ncpu)
			return cause_fail(cause, "CPU list \"%.32s\": this host "
			    "has CPUs 0-%ld", s, ncpu - 1);
		for (; a <= b; a++)
			CPU_SET(a, set);
		if (*end == '\0')
			return 0;
		if (*end != ',')
			return cause_fail(cause, "bad CPU list \"%.32s\": give "
			    "CPUs and ranges, e.g. 0-3,6", s);
		p = end + 1;
	}
}

/* A thread's affinity; errors are logged, the VM goes on. */
static void
pin_thread(const struct vm *vm, pid_t tid, const char *list)
{
	cpu_set_t	 set;
	char		*cause;

	if (pin_parse(list, &set, &cause) == -1) {
		log_warnx("%s: pin: %s", vm->vm_name, cause);
		free(cause);
		return;
	}
	if (sched_setaffinity(tid, sizeof(set), &set) == -1)
		log_warn("%s: sched_setaffinity of thread %d", vm->vm_name,
		    (int)tid);
}

/* Every thread of the VM's qemu: the vCPUs' to their pins or anywhere,
 * the others to the emulator's pin or anywhere. */
static void
pin_apply(struct vm *vm, json_t *cpus)
{
	json_t		*vp = json_object_get(vm->vm_pins, "vcpus"), *c;
	const char	*emu = json_string_value(json_object_get(vm->vm_pins,
			    "emulator")), *pin;
	char		 path[64], key[16], all[32];
	struct dirent	*de;
	DIR		*d;
	pid_t		 tid;
	size_t		 i;
	int		 vcpu;

	snprintf(all, sizeof(all), "0-%ld", sysconf(_SC_NPROCESSORS_CONF) -
	    1);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)vm->vm_pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((tid = atoi(de->d_name)) <= 0)
			continue;
		vcpu = -1;
		json_array_foreach(cpus, i, c)
			if (json_integer_value(json_object_get(c,
			    "thread-id")) == tid)
				vcpu = json_integer_value(json_object_get(c,
				    "cpu-index"));
		if (vcpu >= 0) {
			snprintf(key, sizeof(key), "%d", vcpu);
			pin = json_string_value(json_object_get(vp, key));
		} else
			pin = emu;
		pin_thread(vm, tid, pin != NULL ? pin : all);
	}
	closedir(d);
}

/* Where a thread last ran (field 39 of its stat) and may run. */
static json_t *
pin_thread_json(pid_t pid, pid_t tid, int vcpu, const char *pinned)
{
	char		 path[64], buf[1024], *p, *q;
	json_t		*o;
	FILE		*f;
	int		 field, cpu = -1;

	o = json_pack("{si si}", "vcpu", vcpu, "thread_id", (int)tid);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
	    (int)tid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL) {
			for (field = 2; field < 39 && p != NULL; field++)
				p = strchr(p + 1, ' ');
			if (p != NULL)
				cpu = atoi(p + 1);
		}
		fclose(f);
	}
	json_object_set_new(o, "host_cpu", cpu >= 0 ? json_integer(cpu) :
	    json_null());
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid,
	    (int)tid);
	json_object_set_new(o, "affinity", json_null());
	if ((f = fopen(path, "re")) != NULL) {
		while (fgets(buf, sizeof(buf), f) != NULL)
			if (strncmp(buf, "Cpus_allowed_list:", 18) == 0) {
				for (p = buf + 18; *p == ' ' || *p == '\t'; p++)
					;
				if ((q = strchr(p, '\n')) != NULL)
					*q = '\0';
				json_object_set_new(o, "affinity",
				    json_string(p));
			}
		fclose(f);
	}
	json_object_set_new(o, "pin", pinned != NULL ? json_string(pinned) :
	    json_null());
	return o;
}

/* A QMP query-cpus-fast under way: for a start's pins, or vcpu-info. */
struct pin_op {
	struct vm	*po_vm;
	fws_done_fn	 po_fn;		/* NULL: a start's pins */
	void		*po_arg;
};

static void
pin_cpus(struct qmp *q, json_t *ret, const char *err_class,
    const char *err_desc, void *arg)
{
	struct pin_op	*po = arg;
	struct vm	*vm = po->po_vm;
	json_t		*a, *c, *vp = json_object_get(vm->vm_pins, "vcpus");
	char		 key[16], *why;
	size_t		 i;
	int		 idx;

	(void)q;
	if (err_class != NULL || vm->vm_pid <= 0) {
		if (po->po_fn != NULL) {
			why = xasprintf("%s: query-cpus-fast: %s", vm->vm_name,
			    err_class != NULL ? err_desc : "qemu is gone");
			po->po_fn(po->po_arg, FWS_ERR_FAILED, why, NULL);
			free(why);
		} else
			log_warnx("%s: its pins are not applied: %s",
			    vm->vm_name, err_desc ? err_desc : "qemu is gone");
		free(po);
		return;
	}
	pin_apply(vm, ret);
	if (po->po_fn == NULL) {
		free(po);
		return;
	}
	a = json_array();
	json_array_foreach(ret, i, c) {
		idx = json_integer_value(json_object_get(c, "cpu-index"));
		snprintf(key, sizeof(key), "%d", idx);
		json_array_append_new(a, pin_thread_json(vm->vm_pid,
		    json_integer_value(json_object_get(c, "thread-id")), idx,
		    json_string_value(json_object_get(vp, key))));
	}
	po->po_fn(po->po_arg, FWS_OK, NULL, json_pack("{ss sI so so}",
	    "name", vm->vm_name, "owner", (json_int_t)vm->vm_owner, "vcpus", a,
	    "emulator", pin_thread_json(vm->vm_pid, vm->vm_pid, -1,
	    json_string_value(json_object_get(vm->vm_pins, "emulator")))));
	free(po);
}

static int
pin_ask(struct vm *vm, fws_done_fn fn, void *arg)
{
	struct pin_op	*po;

	if (vm->vm_qmp == NULL || !qmp_is_ready(vm->vm_qmp) ||
	    (po = calloc(1, sizeof(*po))) == NULL)
		return -1;
	po->po_vm = vm;
	po->po_fn = fn;
	po->po_arg = arg;
	if (qmp_execute(vm->vm_qmp, "query-cpus-fast", NULL, FWS_QMP_TIMEOUT,
	    pin_cpus, po) == -1) {
		free(po);
		return -1;
	}
	return 0;
}

/* A start is done: its threads take the pins (nothing without any). */
void
vm_pins_apply(struct vm *vm)
{
	if (vm->vm_pins != NULL && json_object_size(vm->vm_pins) > 0 &&
	    pin_ask(vm, NULL, NULL) == -1)
		log_warnx("%s: its pins are not applied: no QMP connection",
		    vm->vm_name);
}

/* vcpu-info: each vCPU's thread, where it last ran, where it may run. */
void
vm_vcpu_info(struct vm *vm, fws_done_fn fn, void *arg)
{
	char	*why;

	if (vm_may_look(vm, LOOK_THREADS, &why) == -1) {
		fn(arg, FWS_ERR_STATE, why, NULL);
		free(why);
		return;
	}
	if (pin_ask(vm, fn, arg) == -1) {
		why = xasprintf("%s: no QMP connection to qemu", vm->vm_name);
		fn(arg, FWS_ERR_FAILED, why, NULL);
		free(why);
	}
}

/*
 * Pins as a definition gives them, for a VM of vcpus vCPUs: an object
 * of "vcpus" (vCPU numbers to CPU lists) and "emulator" (a CPU list),
 * each list of CPUs this host has.  0, or -1 and why.
 */
int
vm_pins_check(json_t *pins, unsigned vcpus, char **cause)
{
	cpu_set_t	 set;
	const char	*key;
	json_t		*v;
	char		*end, *why;
	unsigned long	 n;

	if (!json_is_object(pins))
		return cause_fail(cause, "pins must be an object");
	json_object_foreach(pins, key, v) {
		if (strcmp(key, "emulator") == 0) {
			if (!json_is_string(v))
				return cause_fail(cause, "pins: \"emulator\" "
				    "must be a CPU list");
			if (pin_parse(json_string_value(v), &set, &why) == -1)
				goto bad;
		} else if (strcmp(key, "vcpus") != 0)
			return cause_fail(cause, "pins: unknown key \"%.64s\"",
			    key);
	}
	v = json_object_get(pins, "vcpus");
	if (v != NULL && !json_is_object(v))
		return cause_fail(cause, "pins: \"vcpus\" must be an object");
	json_object_foreach(v, key, pins) {
		n = strtoul(key, &end, 10);
		if (*key < '0' || *key > '9' || *end != '\0' || n >= vcpus)
			return cause_fail(cause, "pins: \"%.16s\" is no vCPU "
			    "of the VM's %u", key, vcpus);
		if (!json_is_string(pins))
			return cause_fail(cause, "pins: vCPU %lu's must be a "
			    "CPU list", n);
		if (pin_parse(json_string_value(pins), &set, &why) == -1)
			goto bad;
	}
	return 0;
bad:
	cause_fail(cause, "pins: %s", why);
	free(why);
	return -1;
}

/*
 * Pin vCPU vcpu (-1: the emulator's threads) to the CPU list (NULL:
 * anywhere again), for ca: in the definition at once (one write with
 * its event), live when qemu runs.  fn(arg, ...) with {name, owner,
 * pins}.
 */
void
vm_pin(struct vm *vm, const struct caller *ca, int vcpu, const char *list,
    fws_done_fn fn, void *arg)
{
	cpu_set_t	 set;
	json_t		*pins, *vp, *was;
	char		 key[16], *cause, *why;
	int		 tx;

	if (vcpu >= (int)vm_next_vcpus(vm)) {
		why = xasprintf("%s has %u vCPUs: no vCPU %d", vm->vm_name,
		    vm_next_vcpus(vm), vcpu);
		fn(arg, FWS_ERR_INVALID, why, NULL);
		free(why);
		return;
	}
	if (list != NULL && pin_parse(list, &set, &why) == -1) {
		fn(arg, FWS_ERR_INVALID, why, NULL);
		free(why);
		return;
	}
	pins = vm->vm_pins != NULL ? json_deep_copy(vm->vm_pins) :
	    json_object();
	if (vcpu < 0) {
		if (list != NULL)
			json_object_set_new(pins, "emulator", json_string(list));
		else
			json_object_del(pins, "emulator");
	} else {
		if ((vp = json_object_get(pins, "vcpus")) == NULL) {
			vp = json_object();
			json_object_set_new(pins, "vcpus", vp);
		}
		snprintf(key, sizeof(key), "%d", vcpu);
		if (list != NULL)
			json_object_set_new(vp, key, json_string(list));
		else
			json_object_del(vp, key);
		if (json_object_size(vp) == 0)
			json_object_del(pins, "vcpus");
	}
	was = vm->vm_pins;
	vm->vm_pins = pins;
	if ((tx = store_begin(&cause)) == -1 ||
	    store_vm_update_pins(vm, &cause) == -1) {
		if (tx == 0)
			store_rollback();
		vm->vm_pins = was;
		json_decref(pins);
		fn(arg, FWS_ERR_INTERNAL, cause, NULL);
		free(cause);
		return;
	}
	if (vcpu < 0)
		event_record_by(vm, ca->ca_uid, "pinned", "emulator threads "
		    "to %s", list != NULL ? list : "any CPU");
	else
		event_record_by(vm, ca->ca_uid, "pinned", "vCPU %d to %s", vcpu,
		    list != NULL ? list : "any CPU");
	if (store_commit(&cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
	}
	json_decref(was);
	/* live: every thread again (the start does the same) */
	if (vm->vm_state == VM_RUNNING || vm->vm_state == VM_PAUSED)
		(void)pin_ask(vm, NULL, NULL);
	fn(arg, FWS_OK, NULL, json_pack("{ss sI sO}", "name", vm->vm_name,
	    "owner", (json_int_t)vm->vm_owner, "pins", vm->vm_pins));
}
