/*
 * test_store.c: the sqlite store on a real database file: the schema is
 * created and versioned, a VM, its disks and its cloud-init seed survive
 * a close and reopen, run state updates stick, deletes cascade, each
 * quota limit has its column, and a database from a newer fwsd is
 * refused rather than damaged.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "fws.h"

/* the schema this fwsd writes */
#define STORE_SCHEMA	18
#define STORE_SCHEMA_S	"18"

static char	 dir[] = "/tmp/fws-store.XXXXXX";
static char	*dbpath;

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	dbpath = xasprintf("%s/fws.db", dir);
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd = xasprintf("rm -rf %s", dir);

	(void)state;
	store_close();
	if (system(cmd) != 0)
		return -1;
	free(cmd);
	free(dbpath);
	return 0;
}

static struct vm *
sample_vm(void)
{
	struct vm	*vm = vm_new();

	snprintf(vm->vm_name, sizeof(vm->vm_name), "web1");
	snprintf(vm->vm_uuid, sizeof(vm->vm_uuid),
	    "0b5c8a3e-1f2d-4c5b-9a8e-7d6c5b4a3f2e");
	vm->vm_vcpus = 2;
	vm->vm_memory_mib = 2048;
	mac_from_name("web1", vm->vm_mac, sizeof(vm->vm_mac));
	vm->vm_iso = xasprintf("/srv/iso/debian.iso");
	vm->vm_kernel = NULL;
	vm->vm_append = xasprintf("console=ttyS0 quiet");
	vm->vm_restart = VM_RESTART_ALWAYS;
	vm->vm_created = 1700000000;
	vm->vm_disks[0].d_path = xasprintf("/var/lib/fws/vms/web1/disk0.qcow2");
	vm->vm_disks[0].d_format = xasprintf("qcow2");
	vm->vm_disks[0].d_size = 30ULL << 30;
	vm->vm_disks[0].d_owned = 1;
	vm->vm_disks[1].d_path = xasprintf("/srv/images/data.raw");
	vm->vm_disks[1].d_format = xasprintf("raw");
	vm->vm_disks[1].d_size = 1 << 20;
	vm->vm_disks[1].d_readonly = 1;
	vm->vm_ndisks = 2;
	vm->vm_qemu_uid = FWS_QEMU_UID_FIRST + 7;
	return vm;
}

static void
free_list(struct vmlist *l)
{
	struct vm	*vm;

	while ((vm = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, vm, vm_entry);
		vm_free(vm);
	}
}

static void
test_roundtrip(void **state)
{
	struct vmlist	 l = TAILQ_HEAD_INITIALIZER(l);
	struct vm	*vm, *got;
	char		*cause = NULL;

	(void)state;
	assert_int_equal(store_open(dbpath, &cause), 0);
	assert_int_equal(store_schema_version(), STORE_SCHEMA);
	vm = sample_vm();
	vm->vm_autostart = 1;
	vm->vm_seed = json_pack("{s[s] ss}", "ssh_keys", "ssh-ed25519 AAAA k",
	    "password_hash", "$6$s$h");
	assert_int_equal(store_vm_insert(vm, &cause), 0);
	assert_true(vm->vm_id > 0);

	/* the same name again is refused by the schema, nothing half-written */
	got = sample_vm();
	assert_int_equal(store_vm_insert(got, &cause), -1);
	assert_non_null(strstr(cause, "UNIQUE"));
	free(cause);
	vm_free(got);

	vm->vm_state = VM_RUNNING;
	vm->vm_pid = 4242;
	vm->vm_last_exit = xasprintf("stopped: the guest powered off");
	vm->vm_last_exit_time = 1700000100;
	vm->vm_pid_start = 123456789;
	vm->vm_restarts = 3;
	assert_int_equal(store_vm_update_run(vm, &cause), 0);
	vm->vm_iso_booted = 1;
	assert_int_equal(store_vm_update_iso_booted(vm, &cause), 0);
	vm->vm_loan.lo_end = 1796126400;
	vm->vm_loan.lo_warned = 86400;
	assert_int_equal(store_vm_update_loan(vm, &cause), 0);
	/* set on a running VM: sizes pending, policies at once */
	vm->vm_pending_vcpus = 4;
	vm->vm_pending_memory_mib = 3072;
	vm->vm_restart = VM_RESTART_NEVER;
	vm->vm_display = VM_DISPLAY_SPICE;
	assert_int_equal(store_vm_update_config(vm, &cause), 0);
	vm->vm_pins = json_pack("{s{ss} ss}", "vcpus", "1", "2-3", "emulator",
	    "0");
	assert_int_equal(store_vm_update_pins(vm, &cause), 0);
	store_close();

	/* a new process: everything comes back from the file */
	assert_int_equal(store_open(dbpath, &cause), 0);
	assert_int_equal(store_vm_load(&l, &cause), 0);
	got = TAILQ_FIRST(&l);
	assert_non_null(got);
	assert_null(TAILQ_NEXT(got, vm_entry));
	assert_string_equal(got->vm_name, "web1");
	assert_string_equal(got->vm_uuid, vm->vm_uuid);
	assert_int_equal(got->vm_vcpus, 2);
	assert_true(got->vm_memory_mib == 2048);
	assert_string_equal(got->vm_mac, vm->vm_mac);
	assert_string_equal(got->vm_iso, "/srv/iso/debian.iso");
	assert_null(got->vm_kernel);
	assert_string_equal(got->vm_append, "console=ttyS0 quiet");
	assert_int_equal(got->vm_restart, VM_RESTART_NEVER);
	assert_int_equal(got->vm_display, VM_DISPLAY_SPICE);
	assert_int_equal(got->vm_pending_vcpus, 4);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    got->vm_pins, "vcpus"), "1")), "2-3");
	assert_string_equal(json_string_value(json_object_get(got->vm_pins,
	    "emulator")), "0");
	assert_true(json_equal(got->vm_seed, vm->vm_seed));
	assert_true(got->vm_pending_memory_mib == 3072);
	assert_int_equal(got->vm_iso_booted, 1);
	assert_int_equal(got->vm_state, VM_RUNNING);
	assert_int_equal(got->vm_pid, 4242);
	assert_true(got->vm_pid_start == 123456789);
	assert_int_equal(got->vm_restarts, 3);
	assert_int_equal(got->vm_autostart, 1);
	assert_string_equal(got->vm_last_exit, vm->vm_last_exit);
	assert_int_equal(got->vm_ndisks, 2);
	assert_string_equal(got->vm_disks[0].d_path, vm->vm_disks[0].d_path);
	assert_true(got->vm_disks[0].d_size == 30ULL << 30);
	assert_int_equal(got->vm_disks[0].d_owned, 1);
	assert_string_equal(got->vm_disks[1].d_format, "raw");
	assert_int_equal(got->vm_disks[1].d_owned, 0);
	assert_int_equal(got->vm_disks[0].d_readonly, 0);
	assert_int_equal(got->vm_disks[1].d_readonly, 1);
	assert_true(got->vm_qemu_uid == FWS_QEMU_UID_FIRST + 7);
	assert_true(got->vm_loan.lo_end == 1796126400);
	assert_true(got->vm_loan.lo_warned == 86400);
	free_list(&l);

	/* a loan taken away: the VM never ends again */
	vm->vm_loan.lo_end = 0;
	vm->vm_loan.lo_warned = 0;
	assert_int_equal(store_vm_update_loan(vm, &cause), 0);
	vm->vm_state = VM_EXPIRED;
	assert_int_equal(store_vm_update_run(vm, &cause), 0);
	assert_int_equal(store_vm_load(&l, &cause), 0);
	assert_true(TAILQ_FIRST(&l)->vm_loan.lo_end == 0);
	assert_true(TAILQ_FIRST(&l)->vm_loan.lo_warned == 0);
	assert_int_equal(TAILQ_FIRST(&l)->vm_state, VM_EXPIRED);
	free_list(&l);
	vm->vm_loan.lo_end = 1796126400;

	/* deleting the VM takes its disks rows with it */
	assert_int_equal(store_vm_delete(vm, &cause), 0);
	assert_int_equal(store_vm_load(&l, &cause), 0);
	assert_null(TAILQ_FIRST(&l));
	assert_int_equal(store_vm_insert(vm, &cause), 0);
	assert_int_equal(store_vm_load(&l, &cause), 0);
	assert_int_equal(TAILQ_FIRST(&l)->vm_ndisks, 2);
	/* a loan is stored with the definition */
	assert_true(TAILQ_FIRST(&l)->vm_loan.lo_end == 1796126400);
	free_list(&l);
	vm_free(vm);
	store_close();
}

static void
test_newer_schema_refused(void **state)
{
	sqlite3	*db;
	char	*cause = NULL;

	(void)state;
	assert_int_equal(store_open(dbpath, &cause), 0);
	store_close();
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(dbpath, &cause), -1);
	assert_non_null(strstr(cause, "newer"));
	free(cause);
	/* and the file was left as it was */
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = "
	    STORE_SCHEMA_S, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(dbpath, &cause), 0);
	store_close();
}

static void
test_migrates_empty_file(void **state)
{
	sqlite3	*db;
	char	*cause = NULL, *p = xasprintf("%s/old.db", dir);

	(void)state;
	/* a version 0 database (created by sqlite, nothing in it) */
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE unrelated (x)", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(p, &cause), 0);
	assert_int_equal(store_schema_version(), STORE_SCHEMA);
	store_close();
	free(p);
}

/* A version 1 database (as fws 0.1 wrote it) keeps its VMs on migration. */
static void
test_migrates_version_1(void **state)
{
	struct vmlist	 l = TAILQ_HEAD_INITIALIZER(l);
	sqlite3		*db;
	struct vm	*vm;
	char		*cause = NULL, *p = xasprintf("%s/v1.db", dir);

	(void)state;
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "CREATE TABLE vms (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
	    "UNIQUE, uuid TEXT NOT NULL UNIQUE, vcpus INTEGER NOT NULL, "
	    "memory_mib INTEGER NOT NULL, mac TEXT NOT NULL, iso TEXT, "
	    "kernel TEXT, initrd TEXT, append TEXT, iso_booted INTEGER NOT "
	    "NULL DEFAULT 0, restart TEXT NOT NULL, created INTEGER NOT NULL, "
	    "state TEXT NOT NULL DEFAULT 'stopped', pid INTEGER, last_exit "
	    "TEXT, last_exit_time INTEGER);"
	    "CREATE TABLE disks (vm_id INTEGER NOT NULL REFERENCES vms(id) ON "
	    "DELETE CASCADE, idx INTEGER NOT NULL, path TEXT NOT NULL, format "
	    "TEXT NOT NULL, size INTEGER NOT NULL, owned INTEGER NOT NULL, "
	    "PRIMARY KEY (vm_id, idx));"
	    "INSERT INTO vms (name, uuid, vcpus, memory_mib, mac, restart, "
	    "created, state, pid) VALUES ('old1', "
	    "'6f1c1d44-0000-4000-8000-000000000001', 1, 512, "
	    "'52:54:00:00:00:01', 'never', 1700000000, 'running', 777);"
	    "INSERT INTO disks VALUES (1, 0, '/srv/old1.qcow2', 'qcow2', "
	    "1073741824, 1);"
	    "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(p, &cause), 0);
	assert_int_equal(store_schema_version(), STORE_SCHEMA);
	assert_int_equal(store_vm_load(&l, &cause), 0);
	vm = TAILQ_FIRST(&l);
	assert_non_null(vm);
	assert_string_equal(vm->vm_name, "old1");
	assert_int_equal(vm->vm_state, VM_RUNNING);
	assert_int_equal(vm->vm_pid, 777);
	assert_true(vm->vm_pid_start == 0);	/* unknown: checked by uuid */
	assert_int_equal(vm->vm_restart, VM_RESTART_NEVER);
	assert_int_equal(vm->vm_display, VM_DISPLAY_VNC);	/* 16 -> 17 */
	assert_int_equal(vm->vm_autostart, 0);
	assert_int_equal(vm->vm_restarts, 0);
	/* the table rebuild for owners kept its disk, and made it root's */
	assert_int_equal(vm->vm_owner, 0);
	assert_int_equal(vm->vm_ndisks, 1);
	assert_string_equal(vm->vm_disks[0].d_path, "/srv/old1.qcow2");
	free_list(&l);
	store_close();
	free(p);
}

/* Events: in order, per VM or all, the newest N, pruned to a size. */
static void
test_events(void **state)
{
	json_t	*a;
	char	*cause = NULL, reason[32];
	int	 i;

	(void)state;
	assert_int_equal(store_open(dbpath, &cause), 0);
	for (i = 0; i < 10; i++) {
		snprintf(reason, sizeof(reason), "reason %d", i);
		assert_true(store_event_insert(1700000000000LL + i,
		    i % 2 ? 1000 : 0, i % 2 ? 0 : -1, i % 2 ? "odd" : "even",
		    "started", reason, &cause) > 0);
	}
	assert_true(store_event_insert(1700000000100LL, 1000, -1, "odd",
	    "crashed", NULL, &cause) > 0);

	/* one owner's: the other's are not there */
	a = store_event_list(1000, NULL, 100, &cause);
	assert_int_equal(json_array_size(a), 6);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a,
	    0), "owner")), 1000);
	json_decref(a);
	a = store_event_list(0, "odd", 100, &cause);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);

	a = store_event_list(-1, NULL, 100, &cause);
	assert_non_null(a);
	assert_int_equal(json_array_size(a), 11);
	/* who asked: root for odd's starts, nobody for the others */
	assert_true(json_is_null(json_object_get(json_array_get(a, 0),
	    "actor")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a,
	    1), "actor")), 0);
	assert_true(json_is_integer(json_object_get(json_array_get(a, 1),
	    "actor")));
	assert_true(json_is_null(json_object_get(json_array_get(a, 10),
	    "actor")));
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(a, 0), "reason")), "reason 0");
	assert_true(json_is_null(json_object_get(json_array_get(a, 10),
	    "reason")));
	json_decref(a);

	/* one VM's newest three, oldest first */
	a = store_event_list(-1, "odd", 3, &cause);
	assert_int_equal(json_array_size(a), 3);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(a, 0), "reason")), "reason 7");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(a, 2), "event")), "crashed");
	assert_true(json_real_value(json_object_get(json_array_get(a, 2),
	    "time")) == 1700000000.1);
	json_decref(a);

	a = store_event_list(-1, "nobody", 10, &cause);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);

	assert_int_equal(store_event_prune(4, &cause), 0);
	a = store_event_list(-1, NULL, 100, &cause);
	assert_int_equal(json_array_size(a), 4);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(a, 0), "reason")), "reason 7");
	json_decref(a);
	store_close();
}

/* Names are unique per owner; quotas are overrides on the defaults. */
static void
test_owners_and_quotas(void **state)
{
	struct vmlist	 l = TAILQ_HEAD_INITIALIZER(l);
	struct vm	*a, *b, *c;
	struct quota	 q;
	char		*cause = NULL, *p = xasprintf("%s/owners.db", dir);

	(void)state;
	assert_int_equal(store_open(p, &cause), 0);
	free(p);
	a = sample_vm();
	b = sample_vm();
	c = sample_vm();
	b->vm_owner = 1001;
	snprintf(b->vm_uuid, sizeof(b->vm_uuid), "%s",
	    "00000000-0000-4000-8000-0000000000b1");
	c->vm_owner = 1001;
	snprintf(c->vm_uuid, sizeof(c->vm_uuid), "%s",
	    "00000000-0000-4000-8000-0000000000c1");
	assert_int_equal(store_vm_insert(a, &cause), 0);
	assert_int_equal(store_vm_insert(b, &cause), 0);
	assert_int_equal(store_vm_insert(c, &cause), -1);
	assert_non_null(strstr(cause, "UNIQUE"));
	free(cause);
	cause = NULL;
	assert_int_equal(store_vm_load(&l, &cause), 0);
	assert_int_equal(TAILQ_FIRST(&l)->vm_owner, 0);
	assert_int_equal(TAILQ_NEXT(TAILQ_FIRST(&l), vm_entry)->vm_owner, 1001);
	free_list(&l);

	memset(&q, 0, sizeof(q));
	q.q_vms = 4;
	q.q_disk = 7;
	assert_int_equal(store_quota_set(1001, "vms", 9, &cause), 0);
	assert_int_equal(store_quota_set(1001, "nonsense", 9, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(store_quota_get(1001, &q, &cause), 0);
	assert_int_equal(q.q_vms, 9);
	assert_int_equal(q.q_disk, 7);		/* not overridden */
	assert_int_equal(store_quota_set(1001, "vms", -1, &cause), 0);
	q.q_vms = 4;
	assert_int_equal(store_quota_get(1001, &q, &cause), 0);
	assert_int_equal(q.q_vms, 4);		/* back to the default */
	/* the limits on images and snapshots (schema 7) */
	q.q_images = 10;
	assert_int_equal(store_quota_set(1001, "snapshots", 3, &cause), 0);
	assert_int_equal(store_quota_get(1001, &q, &cause), 0);
	assert_int_equal(q.q_snapshots, 3);
	assert_int_equal(q.q_images, 10);
	/* the longest loan (schema 8): 0 is no limit, -1 the default */
	q.q_loan = 120 * 86400;
	assert_int_equal(store_quota_set(1001, "loan", 0, &cause), 0);
	assert_int_equal(store_quota_get(1001, &q, &cause), 0);
	assert_true(q.q_loan == 0);
	assert_int_equal(store_quota_set(1001, "loan", -1, &cause), 0);
	q.q_loan = 120 * 86400;
	assert_int_equal(store_quota_get(1001, &q, &cause), 0);
	assert_true(q.q_loan == 120 * 86400);
	vm_free(a);
	vm_free(b);
	vm_free(c);
	store_close();
}

/* Every limit of QUOTA_FIELDS has its column, read into its member. */
static void
test_quota_columns(void **state)
{
#define QUOTA_TEST_COLUMN(col, opt, key, kind, used, what, label) #col,
	static const char *const cols[] = { QUOTA_FIELDS(QUOTA_TEST_COLUMN) };
#undef QUOTA_TEST_COLUMN
#define QUOTA_TEST_OFF(col, opt, key, kind, used, what, label) \
	offsetof(struct quota, q_##col),
	static const size_t offs[] = { QUOTA_FIELDS(QUOTA_TEST_OFF) };
#undef QUOTA_TEST_OFF
	struct quota	 q;
	char		*cause = NULL, *p = xasprintf("%s/quotas.db", dir);
	size_t		 i;

	(void)state;
	assert_int_equal(store_open(p, &cause), 0);
	free(p);
	for (i = 0; i < sizeof(cols) / sizeof(*cols); i++)
		assert_int_equal(store_quota_set(2002, cols[i], 100 + i,
		    &cause), 0);
	memset(&q, 0, sizeof(q));
	assert_int_equal(store_quota_get(2002, &q, &cause), 0);
	for (i = 0; i < sizeof(cols) / sizeof(*cols); i++)
		assert_int_equal(*(uint64_t *)((char *)&q + offs[i]), 100 + i);
	/* and each member is one of them */
	assert_int_equal(sizeof(cols) / sizeof(*cols) * sizeof(uint64_t),
	    sizeof(q));
	store_close();
}

static void
test_unreadable(void **state)
{
	char	*cause = NULL;

	(void)state;
	assert_int_equal(store_open("/nonexistent/dir/fws.db", &cause), -1);
	assert_non_null(strstr(cause, "/nonexistent/dir/fws.db"));
	free(cause);
}

/*
 * An image's check: its findings or error with the file it was, an
 * acceptance kept for that file only, and nothing once it is deleted.
 */
static void
test_image_checks(void **state)
{
	struct imgcheck_rec	 r;
	const char		*img = "/srv/images/box.qcow2";
	char			*cause = NULL, *p = xasprintf("%s/checks.db", dir);

	(void)state;
	assert_int_equal(store_open(p, &cause), 0);
	free(p);
	assert_int_equal(store_imgcheck_get(img, &r, &cause), 0);
	assert_int_equal(store_imgcheck_result(img, "1:2:3:4.5", 100,
	    "[{\"kind\":\"known-password\"}]", NULL, &cause), 0);
	assert_int_equal(store_imgcheck_get(img, &r, &cause), 1);
	assert_string_equal(r.ir_ident, "1:2:3:4.5");
	assert_int_equal(r.ir_checked, 100);
	assert_non_null(strstr(r.ir_findings, "known-password"));
	assert_null(r.ir_error);
	assert_int_equal(r.ir_accepted_by, -1);
	store_imgcheck_free(&r);
	/* accepted as it is; a check of the same file keeps that */
	assert_int_equal(store_imgcheck_accept(img, "1:2:3:4.5", 0, 200,
	    &cause), 0);
	assert_int_equal(store_imgcheck_result(img, "1:2:3:4.5", 300, "[]",
	    NULL, &cause), 0);
	assert_int_equal(store_imgcheck_get(img, &r, &cause), 1);
	assert_int_equal(r.ir_accepted_by, 0);
	assert_int_equal(r.ir_accepted, 200);
	assert_string_equal(r.ir_findings, "[]");
	store_imgcheck_free(&r);
	/* another file at that path: the acceptance does not follow */
	assert_int_equal(store_imgcheck_result(img, "1:9:3:4.5", 400, NULL,
	    "no appliance", &cause), 0);
	assert_int_equal(store_imgcheck_get(img, &r, &cause), 1);
	assert_int_equal(r.ir_accepted_by, -1);
	assert_null(r.ir_findings);
	assert_string_equal(r.ir_error, "no appliance");
	store_imgcheck_free(&r);
	/* an acceptance of yet another file: the old check goes */
	assert_int_equal(store_imgcheck_accept(img, "1:10:3:4.5", 1000, 500,
	    &cause), 0);
	assert_int_equal(store_imgcheck_get(img, &r, &cause), 1);
	assert_int_equal(r.ir_checked, -1);
	assert_null(r.ir_error);
	assert_int_equal(r.ir_accepted_by, 1000);
	store_imgcheck_free(&r);
	assert_int_equal(store_imgcheck_delete(img, &cause), 0);
	assert_int_equal(store_imgcheck_get(img, &r, &cause), 0);
	store_close();
}

/*
 * Checks owed: wanted and not ended; a result or an acceptance ends
 * the debt, a new want of the same file keeps its acceptance, and a
 * want of another file at the path forgets it.
 */
static void
test_image_checks_owed(void **state)
{
	struct imgcheck_rec	 r;
	const char		*a = "/srv/images/a.qcow2";
	const char		*b = "/srv/images/b.qcow2";
	char			*cause = NULL, *p = xasprintf("%s/owed.db", dir);
	json_t			*owed;

	(void)state;
	assert_int_equal(store_open(p, &cause), 0);
	free(p);
	owed = store_imgcheck_owed(&cause);
	assert_int_equal(json_array_size(owed), 0);
	json_decref(owed);
	assert_int_equal(store_imgcheck_want(a, "1:1:1:1.1", &cause), 0);
	assert_int_equal(store_imgcheck_want(b, "1:2:1:1.1", &cause), 0);
	owed = store_imgcheck_owed(&cause);
	assert_int_equal(json_array_size(owed), 2);
	assert_string_equal(json_string_value(json_array_get(json_array_get(
	    owed, 0), 0)), a);
	assert_string_equal(json_string_value(json_array_get(json_array_get(
	    owed, 1), 1)), "1:2:1:1.1");
	json_decref(owed);
	/* a's check ends (findings), b's fails: nothing is owed */
	assert_int_equal(store_imgcheck_result(a, "1:1:1:1.1", 10, "[]",
	    NULL, &cause), 0);
	assert_int_equal(store_imgcheck_result(b, "1:2:1:1.1", 11, NULL,
	    "killed", &cause), 0);
	owed = store_imgcheck_owed(&cause);
	assert_int_equal(json_array_size(owed), 0);
	json_decref(owed);
	/* checked again: the old result goes until the new one comes */
	assert_int_equal(store_imgcheck_want(a, "1:1:1:1.1", &cause), 0);
	assert_int_equal(store_imgcheck_get(a, &r, &cause), 1);
	assert_int_equal(r.ir_checked, -1);
	assert_null(r.ir_findings);
	store_imgcheck_free(&r);
	owed = store_imgcheck_owed(&cause);
	assert_int_equal(json_array_size(owed), 1);
	json_decref(owed);
	/* an accepted file is owed nothing; its acceptance stays with it */
	assert_int_equal(store_imgcheck_accept(a, "1:1:1:1.1", 0, 20,
	    &cause), 0);
	owed = store_imgcheck_owed(&cause);
	assert_int_equal(json_array_size(owed), 0);
	json_decref(owed);
	assert_int_equal(store_imgcheck_want(a, "1:1:1:1.1", &cause), 0);
	assert_int_equal(store_imgcheck_get(a, &r, &cause), 1);
	assert_int_equal(r.ir_accepted_by, 0);
	store_imgcheck_free(&r);
	/* another file at the path: its acceptance does not follow */
	assert_int_equal(store_imgcheck_want(a, "1:7:1:1.1", &cause), 0);
	assert_int_equal(store_imgcheck_get(a, &r, &cause), 1);
	assert_int_equal(r.ir_accepted_by, -1);
	assert_string_equal(r.ir_ident, "1:7:1:1.1");
	store_imgcheck_free(&r);
	owed = store_imgcheck_owed(&cause);
	assert_int_equal(json_array_size(owed), 1);
	json_decref(owed);
	store_close();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_migrates_empty_file),
		cmocka_unit_test(test_migrates_version_1),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_owners_and_quotas),
		cmocka_unit_test(test_quota_columns),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_image_checks),
		cmocka_unit_test(test_image_checks_owed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
