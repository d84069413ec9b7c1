/*
 * store.c: every line of SQL.  The sqlite database in the state
 * directory holds the VM definitions and their last known run state; its
 * schema carries a version (PRAGMA user_version) and is brought forward
 * by the migrations below, each in its own transaction.  Every change is
 * committed (WAL, synchronous=FULL) before the caller replies to anyone.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "fws.h"
#include "log.h"

static sqlite3	*db;

/*
 * The statements of every transition (a VM's run state, its event, the
 * transaction around them): prepared once and kept, not parsed again
 * each time.
 */
enum kept_stmt {
	KEPT_BEGIN,
	KEPT_COMMIT,
	KEPT_UPDATE_RUN,
	KEPT_EVENT_INSERT,
	KEPT_N
};
static sqlite3_stmt	*kept_stmts[KEPT_N];

static int	prepare(const char *, sqlite3_stmt **, char **);

/* migrations[i] takes the schema from version i to i + 1; only append. */
static const char *const migrations[] = {
	/* 0 -> 1: VMs and their disks */
	"CREATE TABLE vms ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  uuid TEXT NOT NULL UNIQUE,"
	"  vcpus INTEGER NOT NULL,"
	"  memory_mib INTEGER NOT NULL,"
	"  mac TEXT NOT NULL,"
	"  iso TEXT, kernel TEXT, initrd TEXT, append TEXT,"
	"  iso_booted INTEGER NOT NULL DEFAULT 0,"
	"  restart TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'stopped',"
	"  pid INTEGER,"
	"  last_exit TEXT,"
	"  last_exit_time INTEGER);"
	"CREATE TABLE disks ("
	"  vm_id INTEGER NOT NULL REFERENCES vms(id) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  path TEXT NOT NULL,"
	"  format TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  owned INTEGER NOT NULL,"
	"  PRIMARY KEY (vm_id, idx));",
	/* 1 -> 2: supervision: autostart, restart count, process identity,
	 * and the lifecycle events (kept after their VM is deleted) */
	"ALTER TABLE vms ADD COLUMN autostart INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE vms ADD COLUMN restarts INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE vms ADD COLUMN pid_start INTEGER;"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"		/* ms since the epoch */
	"  vm TEXT NOT NULL,"
	"  event TEXT NOT NULL,"
	"  reason TEXT);"
	"CREATE INDEX events_vm ON events (vm, id);",
	/* 2 -> 3: networks, and the VMs' NICs on them */
	"CREATE TABLE networks ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  bridge TEXT NOT NULL UNIQUE,"
	"  uplink TEXT, address TEXT,"
	"  nat INTEGER NOT NULL DEFAULT 0,"
	"  dhcp_start TEXT, dhcp_end TEXT,"
	"  autostart INTEGER NOT NULL DEFAULT 1,"
	"  bridge_made INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE nics ("
	"  vm_id INTEGER NOT NULL REFERENCES vms(id) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  network TEXT NOT NULL REFERENCES networks(name),"
	"  mac TEXT NOT NULL,"
	"  PRIMARY KEY (vm_id, idx));",
	/* 3 -> 4: the index of the snapshots the VMs' disks hold */
	"CREATE TABLE snapshots ("
	"  vm_id INTEGER NOT NULL REFERENCES vms(id) ON DELETE CASCADE,"
	"  tag TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  vm_state_size INTEGER NOT NULL,"
	"  vm_clock_ns INTEGER NOT NULL,"
	"  PRIMARY KEY (vm_id, tag));",
	/* 4 -> 5: owners.  A VM's name is unique per owner (the table is
	 * rebuilt: a UNIQUE constraint cannot be dropped in place); events
	 * carry their VM's owner; networks can be open to users; admins set
	 * per-user quotas */
	"CREATE TABLE vms_new ("
	"  id INTEGER PRIMARY KEY,"
	"  owner INTEGER NOT NULL DEFAULT 0,"
	"  name TEXT NOT NULL,"
	"  uuid TEXT NOT NULL UNIQUE,"
	"  vcpus INTEGER NOT NULL,"
	"  memory_mib INTEGER NOT NULL,"
	"  mac TEXT NOT NULL,"
	"  iso TEXT, kernel TEXT, initrd TEXT, append TEXT,"
	"  iso_booted INTEGER NOT NULL DEFAULT 0,"
	"  restart TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'stopped',"
	"  pid INTEGER,"
	"  last_exit TEXT,"
	"  last_exit_time INTEGER,"
	"  autostart INTEGER NOT NULL DEFAULT 0,"
	"  restarts INTEGER NOT NULL DEFAULT 0,"
	"  pid_start INTEGER,"
	"  UNIQUE (owner, name));"
	"INSERT INTO vms_new (id, name, uuid, vcpus, memory_mib, mac, iso,"
	"  kernel, initrd, append, iso_booted, restart, created, state, pid,"
	"  last_exit, last_exit_time, autostart, restarts, pid_start)"
	"  SELECT id, name, uuid, vcpus, memory_mib, mac, iso, kernel, initrd,"
	"  append, iso_booted, restart, created, state, pid, last_exit,"
	"  last_exit_time, autostart, restarts, pid_start FROM vms;"
	"DROP TABLE vms;"
	"ALTER TABLE vms_new RENAME TO vms;"
	"ALTER TABLE events ADD COLUMN owner INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE networks ADD COLUMN open INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE quotas ("
	"  uid INTEGER PRIMARY KEY,"
	"  vms INTEGER, vm_vcpus INTEGER, vm_memory_mib INTEGER,"
	"  vm_disk INTEGER, vcpus INTEGER, memory_mib INTEGER, disk INTEGER);",
	/* 5 -> 6: each VM's qemu runs as a uid of its own (NULL: one is
	 * picked at load); a disk may be read-only to the guest */
	"ALTER TABLE vms ADD COLUMN qemu_uid INTEGER;"
	"ALTER TABLE disks ADD COLUMN readonly INTEGER NOT NULL DEFAULT 0;",
	/* 6 -> 7: limits on a user's images and each VM's snapshots */
	"ALTER TABLE quotas ADD COLUMN images INTEGER;"
	"ALTER TABLE quotas ADD COLUMN snapshots INTEGER;",
	/* 7 -> 8: loans: when a VM's ends (NULL: never) and the last warning
	 * given (seconds before the end, 0: none); a user's longest loan */
	"ALTER TABLE vms ADD COLUMN loan_end INTEGER;"
	"ALTER TABLE vms ADD COLUMN loan_warned INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE quotas ADD COLUMN loan INTEGER;",
	/* 8 -> 9: who asked for what an event tells (NULL: fwsd itself,
	 * or the guest) */
	"ALTER TABLE events ADD COLUMN actor INTEGER;",
	/* 9 -> 10: the name servers a network's DHCP hands out: dnsmasq's
	 * own ('local'), the listed ones ('servers'), or none */
	"ALTER TABLE networks ADD COLUMN dns TEXT NOT NULL DEFAULT 'local';"
	"ALTER TABLE networks ADD COLUMN dns_servers TEXT;",
	/* 10 -> 11: a running VM's definition changed from its next start
	 * (NULL: nothing pending) */
	"ALTER TABLE vms ADD COLUMN pending_vcpus INTEGER;"
	"ALTER TABLE vms ADD COLUMN pending_memory_mib INTEGER;",
	/* 11 -> 12: the host CPUs a VM's threads may run on, JSON
	 * {"vcpus": {"0": "2-3"}, "emulator": "0"} (NULL: anywhere) */
	"ALTER TABLE vms ADD COLUMN pins TEXT;",
	/* 12 -> 13: a running VM's kernel, initrd, append changed from its
	 * next start: JSON {"kernel": PATH|null, ...} (NULL: nothing) */
	"ALTER TABLE vms ADD COLUMN pending_boot TEXT;",
	/* 13 -> 14: fair shares (NULL: no limit): a VM's CPU weight and
	 * cap (thousandths of a CPU), each disk's I/O limits (per second),
	 * each NIC's rate (bit/s), and users' ceilings on them */
	"ALTER TABLE vms ADD COLUMN cpu_weight INTEGER;"
	"ALTER TABLE vms ADD COLUMN cpu_max INTEGER;"
	"ALTER TABLE disks ADD COLUMN iops INTEGER;"
	"ALTER TABLE disks ADD COLUMN iops_rd INTEGER;"
	"ALTER TABLE disks ADD COLUMN iops_wr INTEGER;"
	"ALTER TABLE disks ADD COLUMN bps INTEGER;"
	"ALTER TABLE disks ADD COLUMN bps_rd INTEGER;"
	"ALTER TABLE disks ADD COLUMN bps_wr INTEGER;"
	"ALTER TABLE nics ADD COLUMN rate INTEGER;"
	"ALTER TABLE quotas ADD COLUMN vm_cpu_weight INTEGER;"
	"ALTER TABLE quotas ADD COLUMN vm_cpu_max INTEGER;"
	"ALTER TABLE quotas ADD COLUMN vm_disk_iops INTEGER;"
	"ALTER TABLE quotas ADD COLUMN vm_disk_bps INTEGER;"
	"ALTER TABLE quotas ADD COLUMN vm_net_rate INTEGER;",
	/* 14 -> 15: a VM's last migration (JSON): under way, its step, or
	 * its figures (NULL: none) */
	"ALTER TABLE vms ADD COLUMN migration TEXT;",
	/* 15 -> 16: a VM's cloud-init seed (JSON: its keys, password hash
	 * or user-data; NULL: none) */
	"ALTER TABLE vms ADD COLUMN seed TEXT;",
	/* 16 -> 17: how a VM's screen is served: vnc or spice (every VM
	 * before had VNC) */
	"ALTER TABLE vms ADD COLUMN display TEXT NOT NULL DEFAULT 'vnc';",
	/* 17 -> 18: what fws-image-check found in a disk image, by its
	 * path: which file it was (ident: device, inode, size, mtime; a
	 * file put in its place is unchecked), when the check ended, its
	 * findings (JSON) or why it failed, and the admin who accepted the
	 * image whatever it holds; a network reaching outside addresses */
	"CREATE TABLE image_checks ("
	"  path TEXT PRIMARY KEY,"
	"  ident TEXT NOT NULL,"
	"  checked INTEGER,"
	"  findings TEXT,"
	"  error TEXT,"
	"  accepted_by INTEGER,"
	"  accepted INTEGER);"
	"ALTER TABLE networks ADD COLUMN public INTEGER NOT NULL DEFAULT 0;",
};
#define STORE_VERSION	((int)(sizeof(migrations) / sizeof(*migrations)))

static int
exec_sql(const char *sql, char **cause)
{
	char	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		cause_fail(cause, "store: %s", err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
store_schema_version(void)
{
	sqlite3_stmt	*st;
	int		 v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* After a migration rebuilt a table: no row may point at nothing. */
static int
store_fk_check(char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (prepare("PRAGMA foreign_key_check", &st, cause) == -1)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return cause_fail(cause, "store: a migration left rows that "
		    "refer to nothing (PRAGMA foreign_key_check)");
	return 0;
}

/*
 * Bring the schema forward, one transaction per step.  Foreign keys are
 * off meanwhile (as SQLite's procedure for rebuilding a table asks: a
 * DROP TABLE would otherwise cascade), checked once at the end.
 */
static int
store_migrate(char **cause)
{
	char	*sql;
	int	 v;

	if ((v = store_schema_version()) < 0)
		return cause_fail(cause, "store: cannot read the schema version: %s",
		    sqlite3_errmsg(db));
	if (v > STORE_VERSION)
		return cause_fail(cause, "store: the database has schema version %d, "
		    "newer than this fwsd knows (%d)", v, STORE_VERSION);
	for (; v < STORE_VERSION; v++) {
		if (exec_sql("BEGIN IMMEDIATE", cause) == -1)
			return -1;
		sql = xasprintf("%s; PRAGMA user_version = %d;", migrations[v],
		    v + 1);
		if (exec_sql(sql, cause) == -1) {
			free(sql);
			exec_sql("ROLLBACK", NULL);
			return -1;
		}
		free(sql);
		if (exec_sql("COMMIT", cause) == -1)
			return -1;
		log_debug("%s: store schema now at version %d", __func__, v + 1);
	}
	return store_fk_check(cause);
}

int
store_open(const char *path, char **cause)
{
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		cause_fail(cause, "store: %s: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		store_close();
		return -1;
	}
	/* a lock held by someone else is an error, not a long wait */
	sqlite3_busy_timeout(db, 250);
	if (exec_sql("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = OFF;", cause) == -1 ||
	    store_migrate(cause) == -1 ||
	    exec_sql("PRAGMA foreign_keys = ON;", cause) == -1) {
		store_close();
		return -1;
	}
	return 0;
}

void
store_close(void)
{
	int	 i;

	for (i = 0; i < KEPT_N; i++) {
		sqlite3_finalize(kept_stmts[i]);
		kept_stmts[i] = NULL;
	}
	if (db != NULL)
		sqlite3_close(db);
	db = NULL;
}

/* Kept statement k, prepared at its first use. */
static int
prepare_kept(enum kept_stmt k, const char *sql, sqlite3_stmt **st,
    char **cause)
{
	if (kept_stmts[k] == NULL && sqlite3_prepare_v3(db, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &kept_stmts[k], NULL) != SQLITE_OK)
		return cause_fail(cause, "store: %s", sqlite3_errmsg(db));
	*st = kept_stmts[k];
	return 0;
}

/* Step a kept statement that returns no rows, and reset it for next time. */
static int
step_kept(sqlite3_stmt *st, char **cause)
{
	int	 rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		cause_fail(cause, "store: %s", sqlite3_errmsg(db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
prepare(const char *sql, sqlite3_stmt **st, char **cause)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return cause_fail(cause, "store: %s", sqlite3_errmsg(db));
	return 0;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* Step a statement that returns no rows, then finalize it. */
static int
step_done(sqlite3_stmt *st, char **cause)
{
	int	 rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cause_fail(cause, "store: %s", sqlite3_errmsg(db));
	return 0;
}

/* A disk's I/O limits into columns first .. first + 5: NULL for none. */
static void
bind_disk_io(sqlite3_stmt *st, int first, const struct disk_io *io)
{
	int	 k;

	for (k = 0; k < DISK_IO_NKEYS; k++) {
		if (*disk_io_field((struct disk_io *)io, k) == 0)
			sqlite3_bind_null(st, first + k);
		else
			sqlite3_bind_int64(st, first + k, (sqlite3_int64)
			    *disk_io_field((struct disk_io *)io, k));
	}
}

/* The VM's disks and NICs, each row by its slot. */
static int
store_devices_insert(const struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;
	int		 i;

	for (i = 0; i < vm->vm_ndisks; i++) {
		if (prepare("INSERT INTO disks (vm_id, idx, path, format, size, "
		    "owned, readonly, iops, iops_rd, iops_wr, bps, bps_rd, "
		    "bps_wr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		    &st, cause) == -1)
			return -1;
		sqlite3_bind_int64(st, 1, vm->vm_id);
		sqlite3_bind_int(st, 2, vm->vm_disks[i].d_slot);
		bind_text(st, 3, vm->vm_disks[i].d_path);
		bind_text(st, 4, vm->vm_disks[i].d_format);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)vm->vm_disks[i].d_size);
		sqlite3_bind_int(st, 6, vm->vm_disks[i].d_owned);
		sqlite3_bind_int(st, 7, vm->vm_disks[i].d_readonly);
		bind_disk_io(st, 8, &vm->vm_disks[i].d_io);
		if (step_done(st, cause) == -1)
			return -1;
	}
	for (i = 0; i < vm->vm_nnics; i++) {
		if (prepare("INSERT INTO nics (vm_id, idx, network, mac, rate) "
		    "VALUES (?, ?, ?, ?, ?)", &st, cause) == -1)
			return -1;
		sqlite3_bind_int64(st, 1, vm->vm_id);
		sqlite3_bind_int(st, 2, vm->vm_nics[i].n_slot);
		bind_text(st, 3, vm->vm_nics[i].n_net);
		bind_text(st, 4, vm->vm_nics[i].n_mac);
		/* NULL: no limit */
		if (vm->vm_nics[i].n_rate == 0)
			sqlite3_bind_null(st, 5);
		else
			sqlite3_bind_int64(st, 5,
			    (sqlite3_int64)vm->vm_nics[i].n_rate);
		if (step_done(st, cause) == -1)
			return -1;
	}
	return 0;
}

/*
 * A disk or NIC added or removed (disk-add, nic-remove, ...): the VM's
 * rows of both, written again as they are now.
 */
int
store_vm_devices(const struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("DELETE FROM disks WHERE vm_id = ?", &st, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, vm->vm_id);
	if (step_done(st, cause) == -1)
		return -1;
	if (prepare("DELETE FROM nics WHERE vm_id = ?", &st, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, vm->vm_id);
	if (step_done(st, cause) == -1)
		return -1;
	return store_devices_insert(vm, cause);
}


/* A NIC's rate (set --nic-limit), by its slot; 0: none, NULL. */
int
store_nic_update_rate(const struct vm *vm, int idx, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("UPDATE nics SET rate = ? WHERE vm_id = ? AND idx = ?",
	    &st, cause) == -1)
		return -1;
	if (vm->vm_nics[idx].n_rate == 0)
		sqlite3_bind_null(st, 1);
	else
		sqlite3_bind_int64(st, 1, (sqlite3_int64)vm->vm_nics[idx].n_rate);
	sqlite3_bind_int64(st, 2, vm->vm_id);
	sqlite3_bind_int(st, 3, vm->vm_nics[idx].n_slot);
	return step_done(st, cause);
}

/* A loan's end: NULL for none, a VM that never ends. */
static void
bind_loan_end(sqlite3_stmt *st, int i, const struct vm *vm)
{
	if (vm->vm_loan.lo_end == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, vm->vm_loan.lo_end);
}

/* cpu_weight, cpu_max from column i: NULL for the default, no cap */
static void
bind_cpu(sqlite3_stmt *st, int i, const struct vm *vm)
{
	if (vm->vm_cpu_weight > 0)
		sqlite3_bind_int(st, i, vm->vm_cpu_weight);
	else
		sqlite3_bind_null(st, i);
	if (vm->vm_cpu_max > 0)
		sqlite3_bind_int(st, i + 1, vm->vm_cpu_max);
	else
		sqlite3_bind_null(st, i + 1);
}

int
store_vm_insert(struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;
	char		*pins, *seed;
	int		 rc;

	if (exec_sql("BEGIN IMMEDIATE", cause) == -1)
		return -1;
	if (prepare("INSERT INTO vms (name, uuid, vcpus, memory_mib, mac, "
	    "iso, kernel, initrd, append, iso_booted, restart, created, state, "
	    "autostart, owner, qemu_uid, loan_end, loan_warned, cpu_weight, "
	    "cpu_max, pins, seed, display) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st, cause) == -1)
		goto fail;
	bind_text(st, 1, vm->vm_name);
	bind_text(st, 2, vm->vm_uuid);
	sqlite3_bind_int(st, 3, vm->vm_vcpus);
	sqlite3_bind_int64(st, 4, vm->vm_memory_mib);
	bind_text(st, 5, vm->vm_mac);
	bind_text(st, 6, vm->vm_iso);
	bind_text(st, 7, vm->vm_kernel);
	bind_text(st, 8, vm->vm_initrd);
	bind_text(st, 9, vm->vm_append);
	sqlite3_bind_int(st, 10, vm->vm_iso_booted);
	bind_text(st, 11, vm_restart_name(vm->vm_restart));
	sqlite3_bind_int64(st, 12, vm->vm_created);
	bind_text(st, 13, vm_state_name(vm->vm_state));
	sqlite3_bind_int(st, 14, vm->vm_autostart);
	sqlite3_bind_int64(st, 15, vm->vm_owner);
	sqlite3_bind_int64(st, 16, vm->vm_qemu_uid);
	bind_loan_end(st, 17, vm);
	sqlite3_bind_int64(st, 18, vm->vm_loan.lo_warned);
	bind_cpu(st, 19, vm);
	/* a definition's (define): made with its pins */
	pins = vm->vm_pins != NULL && json_object_size(vm->vm_pins) > 0 ?
	    json_dumps(vm->vm_pins, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	bind_text(st, 21, pins);
	seed = vm->vm_seed != NULL ? json_dumps(vm->vm_seed, JSON_COMPACT |
	    JSON_SORT_KEYS) : NULL;
	bind_text(st, 22, seed);
	bind_text(st, 23, vm_display_name(vm->vm_display));
	rc = step_done(st, cause);
	free(pins);
	free(seed);
	if (rc == -1)
		goto fail;
	vm->vm_id = sqlite3_last_insert_rowid(db);
	if (store_devices_insert(vm, cause) == -1)
		goto fail;
	if (exec_sql("COMMIT", cause) == -1)
		goto fail;
	return 0;
fail:
	exec_sql("ROLLBACK", NULL);
	return -1;
}

/*
 * One write of several statements: what comes between store_begin and
 * store_commit is made durable at once (one sync) or not at all.
 */
int
store_begin(char **cause)
{
	sqlite3_stmt	*st = NULL;

	if (prepare_kept(KEPT_BEGIN, "BEGIN IMMEDIATE", &st, cause) == -1)
		return -1;
	return step_kept(st, cause);
}

int
store_commit(char **cause)
{
	sqlite3_stmt	*st = NULL;

	if (prepare_kept(KEPT_COMMIT, "COMMIT", &st, cause) == -1 ||
	    step_kept(st, cause) == -1) {
		exec_sql("ROLLBACK", NULL);
		return -1;
	}
	return 0;
}

void
store_rollback(void)
{
	exec_sql("ROLLBACK", NULL);
}

/* kernel, initrd, append, pending_boot from column i; the JSON of
 * pending_boot is the caller's to free (*js) */
static void
bind_boot(sqlite3_stmt *st, int i, const struct vm *vm, char **js)
{
	bind_text(st, i, vm->vm_kernel);
	bind_text(st, i + 1, vm->vm_initrd);
	bind_text(st, i + 2, vm->vm_append);
	*js = vm->vm_pending_boot != NULL ? json_dumps(vm->vm_pending_boot,
	    JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	bind_text(st, i + 3, *js);
}

/* vcpus, memory_mib, pending_vcpus, pending_memory_mib from column i */
static void
bind_sizes(sqlite3_stmt *st, int i, const struct vm *vm)
{
	sqlite3_bind_int(st, i, vm->vm_vcpus);
	sqlite3_bind_int64(st, i + 1, (sqlite3_int64)vm->vm_memory_mib);
	if (vm->vm_pending_vcpus > 0)
		sqlite3_bind_int(st, i + 2, vm->vm_pending_vcpus);
	else
		sqlite3_bind_null(st, i + 2);
	if (vm->vm_pending_memory_mib > 0)
		sqlite3_bind_int64(st, i + 3,
		    (sqlite3_int64)vm->vm_pending_memory_mib);
	else
		sqlite3_bind_null(st, i + 3);
}

int
store_vm_update_run(const struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;
	char		*js;
	int		 rc;

	/* the sizes too: a start takes what was pending, in this write */
	if (prepare_kept(KEPT_UPDATE_RUN, "UPDATE vms SET state = ?, pid = ?, "
	    "pid_start = ?, last_exit = ?, last_exit_time = ?, restarts = ?, "
	    "vcpus = ?, memory_mib = ?, pending_vcpus = ?, "
	    "pending_memory_mib = ?, kernel = ?, initrd = ?, append = ?, "
	    "pending_boot = ? WHERE id = ?", &st, cause) == -1)
		return -1;
	bind_text(st, 1, vm_state_name(vm->vm_state));
	if (vm->vm_pid > 0) {
		sqlite3_bind_int(st, 2, vm->vm_pid);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)vm->vm_pid_start);
	} else {
		sqlite3_bind_null(st, 2);
		sqlite3_bind_null(st, 3);
	}
	bind_text(st, 4, vm->vm_last_exit);
	sqlite3_bind_int64(st, 5, vm->vm_last_exit_time);
	sqlite3_bind_int(st, 6, vm->vm_restarts);
	bind_sizes(st, 7, vm);
	bind_boot(st, 11, vm, &js);
	sqlite3_bind_int64(st, 15, vm->vm_id);
	rc = step_kept(st, cause);
	free(js);
	return rc;
}

/* A new name (rename): the VM's, and its disks' paths that moved. */
int
store_vm_rename(const struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;
	int		 i;

	if (prepare("UPDATE vms SET name = ? WHERE id = ?", &st, cause) == -1)
		return -1;
	bind_text(st, 1, vm->vm_name);
	sqlite3_bind_int64(st, 2, vm->vm_id);
	if (step_done(st, cause) == -1)
		return -1;
	for (i = 0; i < vm->vm_ndisks; i++) {
		if (prepare("UPDATE disks SET path = ? WHERE vm_id = ? AND "
		    "idx = ?", &st, cause) == -1)
			return -1;
		bind_text(st, 1, vm->vm_disks[i].d_path);
		sqlite3_bind_int64(st, 2, vm->vm_id);
		sqlite3_bind_int(st, 3, vm->vm_disks[i].d_slot);
		if (step_done(st, cause) == -1)
			return -1;
	}
	return 0;
}

/* The pins (vcpu-pin, emulator-pin): JSON, or NULL for none. */
int
store_vm_update_pins(const struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;
	char		*js = NULL;
	int		 rc;

	if (prepare("UPDATE vms SET pins = ? WHERE id = ?", &st, cause) == -1)
		return -1;
	if (vm->vm_pins != NULL && json_object_size(vm->vm_pins) > 0)
		js = json_dumps(vm->vm_pins, JSON_COMPACT | JSON_SORT_KEYS);
	bind_text(st, 1, js);
	sqlite3_bind_int64(st, 2, vm->vm_id);
	rc = step_done(st, cause);
	free(js);
	return rc;
}

/* A VM's migration: its step under way, or its figures (migrate.c). */
int
store_vm_update_migration(const struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;
	char		*js = NULL;
	int		 rc;

	if (prepare("UPDATE vms SET migration = ? WHERE id = ?", &st,
	    cause) == -1)
		return -1;
	if (vm->vm_migration != NULL)
		js = json_dumps(vm->vm_migration, JSON_COMPACT | JSON_SORT_KEYS);
	bind_text(st, 1, js);
	sqlite3_bind_int64(st, 2, vm->vm_id);
	rc = step_done(st, cause);
	free(js);
	return rc;
}

/* A disk's I/O limits changed (set --disk-limit). */
int
store_disk_update_io(const struct vm *vm, int idx, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("UPDATE disks SET iops = ?, iops_rd = ?, iops_wr = ?, "
	    "bps = ?, bps_rd = ?, bps_wr = ? WHERE vm_id = ? AND idx = ?",
	    &st, cause) == -1)
		return -1;
	bind_disk_io(st, 1, &vm->vm_disks[idx].d_io);
	sqlite3_bind_int64(st, 7, vm->vm_id);
	sqlite3_bind_int(st, 8, vm->vm_disks[idx].d_slot);
	return step_done(st, cause);
}

/* A disk grown (disk-resize): its size as the guest sees it. */
int
store_disk_update_size(const struct vm *vm, int idx, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("UPDATE disks SET size = ? WHERE vm_id = ? AND idx = ?",
	    &st, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)vm->vm_disks[idx].d_size);
	sqlite3_bind_int64(st, 2, vm->vm_id);
	sqlite3_bind_int(st, 3, vm->vm_disks[idx].d_slot);
	return step_done(st, cause);
}

/* A changed definition (fwsctl set): sizes, pending ones, policies. */
int
store_vm_update_config(const struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;
	char		*js;
	int		 rc;

	if (prepare("UPDATE vms SET vcpus = ?, memory_mib = ?, "
	    "pending_vcpus = ?, pending_memory_mib = ?, restart = ?, "
	    "autostart = ?, kernel = ?, initrd = ?, append = ?, "
	    "pending_boot = ?, cpu_weight = ?, cpu_max = ?, display = ? "
	    "WHERE id = ?", &st, cause) == -1)
		return -1;
	bind_sizes(st, 1, vm);
	bind_text(st, 5, vm_restart_name(vm->vm_restart));
	sqlite3_bind_int(st, 6, vm->vm_autostart);
	bind_boot(st, 7, vm, &js);
	bind_cpu(st, 11, vm);
	bind_text(st, 13, vm_display_name(vm->vm_display));
	sqlite3_bind_int64(st, 14, vm->vm_id);
	rc = step_done(st, cause);
	free(js);
	return rc;
}

int
store_vm_update_qemu_uid(const struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("UPDATE vms SET qemu_uid = ? WHERE id = ?", &st,
	    cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, vm->vm_qemu_uid);
	sqlite3_bind_int64(st, 2, vm->vm_id);
	return step_done(st, cause);
}

int
store_vm_update_iso_booted(const struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("UPDATE vms SET iso_booted = ? WHERE id = ?", &st,
	    cause) == -1)
		return -1;
	sqlite3_bind_int(st, 1, vm->vm_iso_booted);
	sqlite3_bind_int64(st, 2, vm->vm_id);
	return step_done(st, cause);
}

/* The disc in the VM's CD drive, and whether a start booted from it. */
int
store_vm_update_iso(const struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("UPDATE vms SET iso = ?, iso_booted = ? WHERE id = ?", &st,
	    cause) == -1)
		return -1;
	bind_text(st, 1, vm->vm_iso);
	sqlite3_bind_int(st, 2, vm->vm_iso_booted);
	sqlite3_bind_int64(st, 3, vm->vm_id);
	return step_done(st, cause);
}

int
store_vm_update_autostart(const struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("UPDATE vms SET autostart = ? WHERE id = ?", &st,
	    cause) == -1)
		return -1;
	sqlite3_bind_int(st, 1, vm->vm_autostart);
	sqlite3_bind_int64(st, 2, vm->vm_id);
	return step_done(st, cause);
}

int
store_vm_update_loan(const struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("UPDATE vms SET loan_end = ?, loan_warned = ? WHERE id = ?",
	    &st, cause) == -1)
		return -1;
	bind_loan_end(st, 1, vm);
	sqlite3_bind_int64(st, 2, vm->vm_loan.lo_warned);
	sqlite3_bind_int64(st, 3, vm->vm_id);
	return step_done(st, cause);
}

int
store_vm_delete(const struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("DELETE FROM vms WHERE id = ?", &st, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, vm->vm_id);
	return step_done(st, cause);
}

static char *
column_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char	*s = sqlite3_column_text(st, i);

	return s ? xasprintf("%s", (const char *)s) : NULL;
}

static void
column_copy(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	const unsigned char	*s = sqlite3_column_text(st, i);

	snprintf(buf, len, "%s", s ? (const char *)s : "");
}

static enum vm_state
state_parse(const char *s)
{
	enum vm_state	 st;

	for (st = VM_STOPPED; st <= VM_STATE_LAST; st++)
		if (strcmp(vm_state_name(st), s) == 0)
			return st;
	return VM_CRASHED;
}

static int
store_disks_load(struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;
	struct vm_disk	*d;
	int		 rc, k;

	if (prepare("SELECT path, format, size, owned, readonly, idx, iops, "
	    "iops_rd, iops_wr, bps, bps_rd, bps_wr FROM disks WHERE vm_id = ? "
	    "ORDER BY idx", &st, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, vm->vm_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    vm->vm_ndisks < FWS_DISKS_MAX) {
		d = &vm->vm_disks[vm->vm_ndisks++];
		d->d_path = column_strdup(st, 0);
		d->d_format = column_strdup(st, 1);
		d->d_size = sqlite3_column_int64(st, 2);
		d->d_owned = sqlite3_column_int(st, 3);
		d->d_readonly = sqlite3_column_int(st, 4);
		d->d_slot = sqlite3_column_int(st, 5);
		/* NULL (or what is no limit) reads as 0 */
		for (k = 0; k < DISK_IO_NKEYS; k++)
			if (sqlite3_column_int64(st, 6 + k) > 0)
				*disk_io_field(&d->d_io, k) = (uint64_t)
				    sqlite3_column_int64(st, 6 + k);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cause_fail(cause, "store: %s", sqlite3_errmsg(db));
	return 0;
}

static int
store_nics_load(struct vm *vm, char **cause)
{
	sqlite3_stmt	*st;
	struct vm_nic	*n;
	int		 rc;

	if (prepare("SELECT network, mac, idx, rate FROM nics WHERE vm_id = ? "
	    "ORDER BY idx", &st, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, vm->vm_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    vm->vm_nnics < FWS_NICS_MAX) {
		n = &vm->vm_nics[vm->vm_nnics++];
		column_copy(st, 0, n->n_net, sizeof(n->n_net));
		column_copy(st, 1, n->n_mac, sizeof(n->n_mac));
		n->n_slot = sqlite3_column_int(st, 2);
		/* NULL (or nonsense): no limit */
		n->n_rate = sqlite3_column_int64(st, 3) > 0 ?
		    (uint64_t)sqlite3_column_int64(st, 3) : 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cause_fail(cause, "store: %s", sqlite3_errmsg(db));
	return 0;
}

/* Append every stored VM to list, in name order. */
int
store_vm_load(struct vmlist *list, char **cause)
{
	sqlite3_stmt	*st;
	struct vm	*vm;
	char		 buf[32];
	int		 rc;

	if (prepare("SELECT id, name, uuid, vcpus, memory_mib, mac, iso, "
	    "kernel, initrd, append, iso_booted, restart, created, state, "
	    "pid, last_exit, last_exit_time, autostart, restarts, pid_start, "
	    "owner, qemu_uid, loan_end, loan_warned, pending_vcpus, "
	    "pending_memory_mib, pins, pending_boot, cpu_weight, cpu_max, "
	    "migration, seed, display FROM vms ORDER BY name, owner",
	    &st, cause) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		vm = vm_new();
		vm->vm_id = sqlite3_column_int64(st, 0);
		column_copy(st, 1, vm->vm_name, sizeof(vm->vm_name));
		column_copy(st, 2, vm->vm_uuid, sizeof(vm->vm_uuid));
		vm->vm_vcpus = sqlite3_column_int(st, 3);
		vm->vm_memory_mib = sqlite3_column_int64(st, 4);
		column_copy(st, 5, vm->vm_mac, sizeof(vm->vm_mac));
		vm->vm_iso = column_strdup(st, 6);
		vm->vm_kernel = column_strdup(st, 7);
		vm->vm_initrd = column_strdup(st, 8);
		vm->vm_append = column_strdup(st, 9);
		vm->vm_iso_booted = sqlite3_column_int(st, 10);
		column_copy(st, 11, buf, sizeof(buf));
		if (vm_restart_parse(buf, &vm->vm_restart) == -1)
			vm->vm_restart = VM_RESTART_ON_FAILURE;
		vm->vm_created = sqlite3_column_int64(st, 12);
		column_copy(st, 13, buf, sizeof(buf));
		vm_state_set(vm, state_parse(buf));
		vm->vm_pid = sqlite3_column_int(st, 14);
		vm->vm_last_exit = column_strdup(st, 15);
		vm->vm_last_exit_time = sqlite3_column_int64(st, 16);
		vm->vm_autostart = sqlite3_column_int(st, 17);
		vm->vm_restarts = sqlite3_column_int(st, 18);
		vm->vm_pid_start = sqlite3_column_int64(st, 19);
		vm->vm_owner = sqlite3_column_int64(st, 20);
		vm->vm_qemu_uid = sqlite3_column_int64(st, 21);
		vm->vm_loan.lo_end = sqlite3_column_int64(st, 22);
		vm->vm_loan.lo_warned = sqlite3_column_int64(st, 23);
		vm->vm_pending_vcpus = sqlite3_column_int(st, 24);
		vm->vm_pending_memory_mib = sqlite3_column_int64(st, 25);
		if (sqlite3_column_type(st, 26) == SQLITE_TEXT)
			vm->vm_pins = json_loads((const char *)
			    sqlite3_column_text(st, 26), 0, NULL);
		if (sqlite3_column_type(st, 27) == SQLITE_TEXT)
			vm->vm_pending_boot = json_loads((const char *)
			    sqlite3_column_text(st, 27), 0, NULL);
		vm->vm_cpu_weight = sqlite3_column_int(st, 28);
		vm->vm_cpu_max = sqlite3_column_int(st, 29);
		if (sqlite3_column_type(st, 30) == SQLITE_TEXT)
			vm->vm_migration = json_loads((const char *)
			    sqlite3_column_text(st, 30), 0, NULL);
		if (sqlite3_column_type(st, 31) == SQLITE_TEXT)
			vm->vm_seed = json_loads((const char *)
			    sqlite3_column_text(st, 31), 0, NULL);
		column_copy(st, 32, buf, sizeof(buf));
		if (vm_display_parse(buf, &vm->vm_display, NULL) == -1)
			vm->vm_display = VM_DISPLAY_VNC;
		TAILQ_INSERT_TAIL(list, vm, vm_entry);
		if (store_disks_load(vm, cause) == -1 ||
		    store_nics_load(vm, cause) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cause_fail(cause, "store: %s", sqlite3_errmsg(db));
	return 0;
}

/*
 * Append one event (actor: the uid that asked for it, -1 for none);
 * returns its id (its place in the history).
 */
int64_t
store_event_insert(int64_t ms, uid_t owner, int64_t actor, const char *vm,
    const char *event, const char *reason, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare_kept(KEPT_EVENT_INSERT, "INSERT INTO events (time, vm, "
	    "event, reason, owner, actor) VALUES (?, ?, ?, ?, ?, ?)", &st,
	    cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 5, owner);
	if (actor >= 0)
		sqlite3_bind_int64(st, 6, actor);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 1, ms);
	bind_text(st, 2, vm);
	bind_text(st, 3, event);
	bind_text(st, 4, reason);
	if (step_kept(st, cause) == -1)
		return -1;
	return sqlite3_last_insert_rowid(db);
}

/* Keep the newest keep events. */
int
store_event_prune(unsigned keep, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("DELETE FROM events WHERE id <= "
	    "(SELECT MAX(id) FROM events) - ?", &st, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, keep);
	return step_done(st, cause);
}

/*
 * The newest limit events, oldest first: of one VM when vm is not NULL,
 * of one owner's VMs when owner is not -1.
 */
json_t *
store_event_list(int64_t owner, const char *vm, unsigned limit,
    char **cause)
{
	sqlite3_stmt	*st;
	json_t		*a, *e;
	int		 rc;

	if (prepare("SELECT id, time, vm, event, reason, owner, actor FROM "
	    "(SELECT * "
	    "FROM events WHERE (?1 IS NULL OR vm = ?1) AND (?3 < 0 OR "
	    "owner = ?3) ORDER BY id DESC LIMIT ?2) ORDER BY id", &st,
	    cause) == -1)
		return NULL;
	bind_text(st, 1, vm);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int64(st, 3, owner);
	a = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		e = json_pack("{sI sf ss ss}",
		    "seq", (json_int_t)sqlite3_column_int64(st, 0),
		    "time", sqlite3_column_int64(st, 1) / 1000.0,
		    "vm", (const char *)sqlite3_column_text(st, 2),
		    "event", (const char *)sqlite3_column_text(st, 3));
		json_object_set_new(e, "reason", sqlite3_column_type(st, 4) ==
		    SQLITE_NULL ? json_null() : json_string((const char *)
		    sqlite3_column_text(st, 4)));
		json_object_set_new(e, "owner",
		    json_integer(sqlite3_column_int64(st, 5)));
		json_object_set_new(e, "actor", sqlite3_column_type(st, 6) ==
		    SQLITE_NULL ? json_null() :
		    json_integer(sqlite3_column_int64(st, 6)));
		json_array_append_new(a, e);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		cause_fail(cause, "store: %s", sqlite3_errmsg(db));
		return NULL;
	}
	return a;
}

int
store_net_insert(struct net *n, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("INSERT INTO networks (name, bridge, uplink, address, "
	    "nat, dhcp_start, dhcp_end, autostart, bridge_made, created, open, "
	    "dns, dns_servers, public) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?)",
	    &st, cause) == -1)
		return -1;
	bind_text(st, 1, n->net_name);
	bind_text(st, 2, n->net_bridge);
	bind_text(st, 3, n->net_uplink);
	bind_text(st, 4, n->net_address);
	sqlite3_bind_int(st, 5, n->net_nat);
	bind_text(st, 6, n->net_dhcp_start);
	bind_text(st, 7, n->net_dhcp_end);
	sqlite3_bind_int(st, 8, n->net_autostart);
	sqlite3_bind_int(st, 9, n->net_bridge_made);
	sqlite3_bind_int64(st, 10, n->net_created);
	sqlite3_bind_int(st, 11, n->net_open);
	bind_text(st, 12, net_dns_mode_name(n->net_dns));
	bind_text(st, 13, n->net_dns_servers);
	sqlite3_bind_int(st, 14, n->net_public);
	if (step_done(st, cause) == -1)
		return -1;
	n->net_id = sqlite3_last_insert_rowid(db);
	return 0;
}

/*
 * What changes after creation: autostart, whether fwsd made the bridge,
 * whether users may attach to it, whether it reaches outside addresses.
 */
int
store_net_update(const struct net *n, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("UPDATE networks SET autostart = ?, bridge_made = ?, "
	    "open = ?, public = ? WHERE id = ?", &st, cause) == -1)
		return -1;
	sqlite3_bind_int(st, 1, n->net_autostart);
	sqlite3_bind_int(st, 2, n->net_bridge_made);
	sqlite3_bind_int(st, 3, n->net_open);
	sqlite3_bind_int(st, 4, n->net_public);
	sqlite3_bind_int64(st, 5, n->net_id);
	return step_done(st, cause);
}

int
store_net_delete(const struct net *n, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("DELETE FROM networks WHERE id = ?", &st, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, n->net_id);
	return step_done(st, cause);
}

int
store_net_load(struct netlist *list, char **cause)
{
	sqlite3_stmt	*st;
	struct net	*n;
	char		 buf[32];
	int		 rc;

	if (prepare("SELECT id, name, bridge, uplink, address, nat, "
	    "dhcp_start, dhcp_end, autostart, bridge_made, created, open, "
	    "dns, dns_servers, public FROM networks ORDER BY name", &st,
	    cause) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = net_new();
		n->net_id = sqlite3_column_int64(st, 0);
		column_copy(st, 1, n->net_name, sizeof(n->net_name));
		column_copy(st, 2, n->net_bridge, sizeof(n->net_bridge));
		n->net_uplink = column_strdup(st, 3);
		n->net_address = column_strdup(st, 4);
		n->net_nat = sqlite3_column_int(st, 5);
		n->net_dhcp_start = column_strdup(st, 6);
		n->net_dhcp_end = column_strdup(st, 7);
		n->net_autostart = sqlite3_column_int(st, 8);
		n->net_bridge_made = sqlite3_column_int(st, 9);
		n->net_created = sqlite3_column_int64(st, 10);
		n->net_open = sqlite3_column_int(st, 11);
		column_copy(st, 12, buf, sizeof(buf));
		n->net_dns_servers = column_strdup(st, 13);
		n->net_public = sqlite3_column_int(st, 14);
		if (net_dns_mode_parse(buf, &n->net_dns) == -1 ||
		    (n->net_dns == NET_DNS_SERVERS) !=
		    (n->net_dns_servers != NULL)) {
			log_warnx("network %s: DNS \"%s\" not understood: "
			    "none handed out", n->net_name, buf);
			n->net_dns = NET_DNS_NONE;
			free(n->net_dns_servers);
			n->net_dns_servers = NULL;
		}
		TAILQ_INSERT_TAIL(list, n, net_entry);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cause_fail(cause, "store: %s", sqlite3_errmsg(db));
	return 0;
}

/* The image is the truth: make the VM's rows what disk 0 holds. */
int
store_snap_sync(const struct vm *vm, json_t *snaps, char **cause)
{
	sqlite3_stmt	*st;
	json_t		*s;
	size_t		 i;
	/* inside the caller's transaction, or one of its own */
	int		 own = sqlite3_get_autocommit(db);

	if (own && exec_sql("BEGIN IMMEDIATE", cause) == -1)
		return -1;
	if (prepare("DELETE FROM snapshots WHERE vm_id = ?", &st, cause) == -1)
		goto fail;
	sqlite3_bind_int64(st, 1, vm->vm_id);
	if (step_done(st, cause) == -1)
		goto fail;
	json_array_foreach(snaps, i, s) {
		if (!json_is_string(json_object_get(s, "name")))
			continue;
		if (prepare("INSERT OR REPLACE INTO snapshots (vm_id, tag, "
		    "created, vm_state_size, vm_clock_ns) VALUES (?, ?, ?, ?, ?)",
		    &st, cause) == -1)
			goto fail;
		sqlite3_bind_int64(st, 1, vm->vm_id);
		bind_text(st, 2, json_string_value(json_object_get(s, "name")));
		sqlite3_bind_int64(st, 3, json_integer_value(json_object_get(s,
		    "date-sec")));
		sqlite3_bind_int64(st, 4, json_integer_value(json_object_get(s,
		    "vm-state-size")));
		sqlite3_bind_int64(st, 5, json_integer_value(json_object_get(s,
		    "vm-clock-sec")) * 1000000000LL + json_integer_value(
		    json_object_get(s, "vm-clock-nsec")));
		if (step_done(st, cause) == -1)
			goto fail;
	}
	if (own && exec_sql("COMMIT", cause) == -1)
		goto fail;
	return 0;
fail:
	if (own)
		exec_sql("ROLLBACK", NULL);
	return -1;
}

/*
 * The index of a VM's snapshots as QEMU's SnapshotInfo has them (name,
 * vm-state-size, date-sec, vm-clock-sec, vm-clock-nsec): what the last
 * operation read from disk 0.
 */
json_t *
store_snap_index(const struct vm *vm)
{
	sqlite3_stmt	*st;
	json_t		*a = json_array();
	char		*cause;
	int64_t		 ns;

	if (prepare("SELECT tag, created, vm_state_size, vm_clock_ns FROM "
	    "snapshots WHERE vm_id = ? ORDER BY created, tag", &st,
	    &cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
		return a;
	}
	sqlite3_bind_int64(st, 1, vm->vm_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		ns = sqlite3_column_int64(st, 3);
		json_array_append_new(a, json_pack("{ss sI sI sI sI}", "name",
		    (const char *)sqlite3_column_text(st, 0), "date-sec",
		    (json_int_t)sqlite3_column_int64(st, 1), "vm-state-size",
		    (json_int_t)sqlite3_column_int64(st, 2), "vm-clock-sec",
		    (json_int_t)(ns / 1000000000LL), "vm-clock-nsec",
		    (json_int_t)(ns % 1000000000LL)));
	}
	sqlite3_finalize(st);
	return a;
}

/* The index's view of a VM's snapshots, as snapshot-list shows them. */
json_t *
store_snap_list(const struct vm *vm)
{
	sqlite3_stmt	*st;
	json_t		*a = json_array();
	char		*cause;

	if (prepare("SELECT tag, created, vm_state_size, vm_clock_ns FROM "
	    "snapshots WHERE vm_id = ? ORDER BY created, tag", &st,
	    &cause) == -1) {
		log_warnx("%s: %s", vm->vm_name, cause);
		free(cause);
		return a;
	}
	sqlite3_bind_int64(st, 1, vm->vm_id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{ss sI ss sI sb sI sf}",
		    "vm", vm->vm_name, "owner", (json_int_t)vm->vm_owner,
		    "tag", (const char *)sqlite3_column_text(st, 0),
		    "created", (json_int_t)sqlite3_column_int64(st, 1),
		    "memory", sqlite3_column_int64(st, 2) > 0,
		    "vm_state_size", (json_int_t)sqlite3_column_int64(st, 2),
		    "vm_clock", sqlite3_column_int64(st, 3) / 1e9));
	sqlite3_finalize(st);
	return a;
}

/*
 * A user's quota overrides: each field is set where the admin set it,
 * left as it was (the configured default) where not.
 */
int
store_quota_get(uid_t uid, struct quota *q, char **cause)
{
#define STORE_QUOTA_MEMBER(col, opt, key, kind, used, what, label) &q->q_##col,
	uint64_t	*f[] = { QUOTA_FIELDS(STORE_QUOTA_MEMBER) };
#undef STORE_QUOTA_MEMBER
	sqlite3_stmt	*st;
	size_t		 i;
	int		 rc;

	/* "SELECT vms, vm_vcpus, ..., loan, uid": the columns in f's order */
#define STORE_QUOTA_SELECT(col, opt, key, kind, used, what, label) #col ", "
	if (prepare("SELECT " QUOTA_FIELDS(STORE_QUOTA_SELECT) "uid FROM quotas "
	    "WHERE uid = ?", &st, cause) == -1)
		return -1;
#undef STORE_QUOTA_SELECT
	sqlite3_bind_int64(st, 1, uid);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		for (i = 0; i < sizeof(f) / sizeof(*f); i++)
			if (sqlite3_column_type(st, i) != SQLITE_NULL)
				*f[i] = sqlite3_column_int64(st, i);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cause_fail(cause, "store: %s", sqlite3_errmsg(db));
	return 0;
}

/* Set one override (column is one of the quotas table's); -1 clears it. */
int
store_quota_set(uid_t uid, const char *column, int64_t value, char **cause)
{
#define STORE_QUOTA_COLUMN(col, opt, key, kind, used, what, label) #col,
	static const char *const columns[] = { QUOTA_FIELDS(STORE_QUOTA_COLUMN) };
#undef STORE_QUOTA_COLUMN
	sqlite3_stmt	*st;
	char		*sql;
	size_t		 i;
	int		 known = 0;

	for (i = 0; i < sizeof(columns) / sizeof(*columns); i++)
		if (strcmp(columns[i], column) == 0)
			known = 1;
	if (!known)
		return cause_fail(cause, "store: no quota column %s", column);
	/* column is one of ours, never the client's text */
	sql = xasprintf("INSERT INTO quotas (uid, %s) VALUES (?1, ?2) "
	    "ON CONFLICT (uid) DO UPDATE SET %s = ?2", column, column);
	if (prepare(sql, &st, cause) == -1) {
		free(sql);
		return -1;
	}
	free(sql);
	sqlite3_bind_int64(st, 1, uid);
	if (value < 0)
		sqlite3_bind_null(st, 2);
	else
		sqlite3_bind_int64(st, 2, value);
	return step_done(st, cause);
}

/*
 * What is stored of the image at path: 1 and *r (its strings the
 * caller's: store_imgcheck_free), 0 when nothing is.
 */
int
store_imgcheck_get(const char *path, struct imgcheck_rec *r, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(r, 0, sizeof(*r));
	if (prepare("SELECT ident, checked, findings, error, accepted_by, "
	    "accepted FROM image_checks WHERE path = ?", &st, cause) == -1)
		return -1;
	bind_text(st, 1, path);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r->ir_ident = column_strdup(st, 0);
		r->ir_checked = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 1);
		r->ir_findings = column_strdup(st, 2);
		r->ir_error = column_strdup(st, 3);
		r->ir_accepted_by = sqlite3_column_type(st, 4) == SQLITE_NULL ?
		    -1 : sqlite3_column_int64(st, 4);
		r->ir_accepted = sqlite3_column_int64(st, 5);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cause_fail(cause, "store: %s", sqlite3_errmsg(db));
	return rc == SQLITE_ROW;
}

void
store_imgcheck_free(struct imgcheck_rec *r)
{
	free(r->ir_ident);
	free(r->ir_findings);
	free(r->ir_error);
	memset(r, 0, sizeof(*r));
}

/*
 * A check of the file ident at path ended (when; -1: it is wanted, not
 * done): its findings (JSON), or the error that ended it.  An
 * acceptance stays with the same file only.
 */
int
store_imgcheck_result(const char *path, const char *ident, int64_t when,
    const char *findings, const char *error, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("INSERT INTO image_checks (path, ident, checked, "
	    "findings, error) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT (path) DO UPDATE SET "
	    "accepted_by = CASE WHEN ident = ?2 THEN accepted_by END, "
	    "accepted = CASE WHEN ident = ?2 THEN accepted END, "
	    "ident = ?2, checked = ?3, findings = ?4, error = ?5", &st,
	    cause) == -1)
		return -1;
	bind_text(st, 1, path);
	bind_text(st, 2, ident);
	if (when < 0)
		sqlite3_bind_null(st, 3);	/* wanted, not done */
	else
		sqlite3_bind_int64(st, 3, when);
	bind_text(st, 4, findings);
	bind_text(st, 5, error);
	return step_done(st, cause);
}

/*
 * An admin (uid) accepts the file ident at path; what was found in
 * another file of that path goes.
 */
int
store_imgcheck_accept(const char *path, const char *ident, uid_t uid,
    int64_t when, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("INSERT INTO image_checks (path, ident, accepted_by, "
	    "accepted) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (path) DO UPDATE SET "
	    "checked = CASE WHEN ident = ?2 THEN checked END, "
	    "findings = CASE WHEN ident = ?2 THEN findings END, "
	    "error = CASE WHEN ident = ?2 THEN error END, "
	    "ident = ?2, accepted_by = ?3, accepted = ?4", &st, cause) == -1)
		return -1;
	bind_text(st, 1, path);
	bind_text(st, 2, ident);
	sqlite3_bind_int64(st, 3, uid);
	sqlite3_bind_int64(st, 4, when);
	return step_done(st, cause);
}

/*
 * A check of the file ident at path is wanted: what was found before
 * goes (until the check ends, it is unchecked); an acceptance of the
 * same file stays.  A row with only its ident is a check owed, taken up
 * again after an fwsd restart (store_imgcheck_owed).
 */
int
store_imgcheck_want(const char *path, const char *ident, char **cause)
{
	return store_imgcheck_result(path, ident, -1, NULL, NULL, cause);
}

/*
 * The checks owed: [[path, ident], ...] of images whose check was
 * wanted and neither ended nor was made moot by an acceptance, oldest
 * first.
 */
json_t *
store_imgcheck_owed(char **cause)
{
	sqlite3_stmt	*st;
	json_t		*a;

	if (prepare("SELECT path, ident FROM image_checks WHERE checked IS "
	    "NULL AND findings IS NULL AND error IS NULL AND accepted IS "
	    "NULL ORDER BY rowid", &st, cause) == -1)
		return NULL;
	a = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("[ss]",
		    (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1)));
	sqlite3_finalize(st);
	return a;
}

/* The image at path is gone, or another file takes its place. */
int
store_imgcheck_delete(const char *path, char **cause)
{
	sqlite3_stmt	*st;

	if (prepare("DELETE FROM image_checks WHERE path = ?", &st,
	    cause) == -1)
		return -1;
	bind_text(st, 1, path);
	return step_done(st, cause);
}
