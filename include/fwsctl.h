/*
 * fwsctl.h: what fwsctl's files share (supervisor/fwsctl*.c).
 */
#ifndef FWS_FWSCTL_H
#define FWS_FWSCTL_H

#include <sys/types.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "fws.h"
#include "proto.h"

#define MAX_OPTS	32

#define MAX_POS		65	/* send-key: NAME and 64 combinations */

struct ctx {
	enum proto_cmd	 c_cmd;			/* the verb's command */
	const struct verb *c_verb;
	const char	*c_name;		/* the positional VM name */
	const char	*c_pos[MAX_POS];	/* every positional, in order */
	int		 c_npos;
	const char	*c_opt[MAX_OPTS];	/* option names, in order */
	const char	*c_val[MAX_OPTS];
	int		 c_nopts;
	int		 c_json;
};

/* fwsctl.c */
void	 fwsctl_errx(int, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
int	 fwsctl_connect(void);
json_t	*fwsctl_call(enum proto_cmd, json_t *, int *);
json_t	*fwsctl_call_scan(enum proto_cmd, json_t *,
	    int (*)(const char *, size_t, void *), void *);
json_t	*fwsctl_call_list(struct ctx *, enum proto_cmd, json_t *, json_t **);
const char *fwsctl_opt(struct ctx *, const char *);
void	 fwsctl_print_json(json_t *);
json_t	*fwsctl_abs_path(const char *);
json_t	*fwsctl_name_args(struct ctx *);
uid_t	 fwsctl_uid(void);
const char *fwsctl_uid_name(uid_t);
const char *fwsctl_user_name(json_t *, char *, size_t);
const char *fwsctl_size(json_t *, int, char *, size_t);
const char *fwsctl_vm_name(json_t *, json_t *, char *, size_t);
void	 fwsctl_owner(const char *);

/* fwsctl-user.c: images, quotas, templates */
int	 verb_image_list(struct ctx *);
int	 verb_image_import(struct ctx *);
int	 verb_image_delete(struct ctx *);
int	 verb_image_check(struct ctx *);
int	 verb_image_accept(struct ctx *);
int	 verb_quota(struct ctx *);
int	 verb_quota_set(struct ctx *);
int	 verb_templates(struct ctx *);

/* fwsctl-pin.c: vcpu-info, vcpu-pin, emulator-pin */
int	 verb_vcpu_info(struct ctx *);
int	 verb_vcpu_pin(struct ctx *);

/* fwsctl-stats.c: stats, as a table, JSON or for Prometheus */
int	 verb_stats(struct ctx *);

/* fwsctl-archive.c: the disk inside an .ova or a Vagrant .box */
struct archive_disk {
	char		 ad_path[PATH_MAX];	/* the archive, or unpacked */
	const char	*ad_format;
	uint64_t	 ad_offset;
	uint64_t	 ad_length;
};
void	 archive_find_disk(const char *, const char *, struct archive_disk *);

/* fwsctl-seed.c: create's --ssh-key, --password-hash, --user-data */
void	 fwsctl_seed_args(struct ctx *, json_t *);

/* fwsctl-loan.c: --until and --for, loan, loans */
int	 fwsctl_until(struct ctx *, int64_t *);
int	 verb_loan(struct ctx *);
int	 verb_loans(struct ctx *);

/*
 * fwsctl-list.c: the list verb.  list_scan reads fwsd's reply line into
 * rows, list_from_json a parsed reply (test_list holds one to the other).
 */

/* A string of the reply: not NUL-terminated when read from the line. */
struct list_str {
	const char	*ls_s;
	int		 ls_len;
};

/* One VM, as its line of the table needs it. */
struct list_row {
	struct list_str	 lr_name;
	struct list_str	 lr_state;
	struct list_str	 lr_addr;	/* the first IPv4 address, or NULL */
	long long	 lr_vcpus;
	long long	 lr_memory_mib;	/* -1: not given */
	long long	 lr_owner;
	long long	 lr_pid;
	long long	 lr_loan_end;
	int		 lr_has_owner;
	int		 lr_has_pid;
	int		 lr_has_loan_end;
};

struct list_rows {
	struct list_row	*lrs_rows;
	size_t		 lrs_n;
	size_t		 lrs_size;
};

int	 verb_list(struct ctx *);
int	 list_scan(const char *, size_t, struct list_rows *);
void	 list_from_json(json_t *, struct list_rows *);

/* fwsctl-conn.c: the connection, over the UNIX socket or TLS */
struct conn_target {
	int		 ct_tls;
	const char	*ct_path;		/* unix: */
	char		 ct_host[VALIDATE_HOST_MAX + 1];	/* tls: */
	char		 ct_port[VALIDATE_PORT_LEN + 1];
};
int	 conn_parse(const char *, struct conn_target *, char **);
void	 conn_target(const struct conn_target *);
void	 conn_tls_files(const char *, const char *, const char *);
int	 conn_is_tls(void);
void	 conn_open(void);
ssize_t	 conn_send(const void *, size_t);
ssize_t	 conn_recv(void *, size_t, int *);
int	 conn_wait(int);
void	 conn_close(void);
void	 conn_release(void);

/* fwsctl-define.c: dump and define */
int	 verb_dump(struct ctx *);
int	 verb_define(struct ctx *);

/* fwsctl-migrate.c: migrate */
int	 verb_migrate(struct ctx *);

/* fwsctl-console.c */
int	 fwsctl_console(const char *, int);

#endif
