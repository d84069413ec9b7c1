/*
 * fwsctl-migrate.c: fwsctl migrate, a guest sent to another host's fwsd.
 * The daemon does the work and sends its progress (shown on a
 * terminal, as for image-import); here the options become the request
 * and its answer, the figures, a line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "fwsctl.h"
#include "proto.h"

/* --NAME N: a whole number from 1 to max, into args' key. */
static void
migrate_number(struct ctx *c, json_t *args, const char *name,
    const char *key, unsigned long long max, const char *unit)
{
	const char		*v = fwsctl_opt(c, name);
	unsigned long long	 n;
	char			*end;

	if (v == NULL)
		return;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n < 1 ||
	    n > max)
		fwsctl_errx(2, "--%s %.32s: a whole number of %s from 1 to %llu",
		    name, v, unit, max);
	json_object_set_new(args, key, json_integer((json_int_t)n));
}

/*
 * migrate NAME --to tls://HOST[:PORT] [--copy-storage] [--bandwidth
 * MiB/s] [--max-downtime MS] [--timeout S]
 */
int
verb_migrate(struct ctx *c)
{
	json_t		*args, *r, *res, *fig;
	const char	*to = fwsctl_opt(c, "to");
	char		*cause;
	struct conn_target t;

	if (to == NULL)
		fwsctl_errx(2, "migrate: --to tls://HOST[:PORT] is needed");
	if (conn_parse(to, &t, &cause) == -1 || !t.ct_tls)
		fwsctl_errx(2, "--to %.64s: expected tls://HOST[:PORT], the "
		    "destination's listen_tls", to);
	args = fwsctl_name_args(c);
	json_object_set_new(args, "to", json_string(to));
	if (fwsctl_opt(c, "copy-storage") != NULL)
		json_object_set_new(args, "copy_storage", json_true());
	migrate_number(c, args, "bandwidth", "bandwidth", 1ULL << 20,
	    "MiB/s");
	migrate_number(c, args, "max-downtime", "max_downtime", 3600000,
	    "milliseconds");
	migrate_number(c, args, "timeout", "timeout", 7 * 86400, "seconds");
	r = fwsctl_call(PROTO_CMD_MIGRATE, args, NULL);
	res = json_object_get(r, "result");
	fig = json_object_get(res, "figures");
	if (c->c_json)
		fwsctl_print_json(res);
	else
		printf("migrated %s to %s in %lld ms (downtime %lld ms, %lld MiB "
		    "of RAM%s)\n", c->c_name, t.ct_host,
		    (long long)json_integer_value(json_object_get(fig,
		    "total_ms")),
		    (long long)json_integer_value(json_object_get(fig,
		    "downtime_ms")),
		    (long long)(json_integer_value(json_object_get(fig,
		    "ram_bytes")) >> 20),
		    json_integer_value(json_object_get(fig, "disk_bytes")) > 0 ?
		    ", its disks copied" : "");
	json_decref(r);
	return 0;
}
