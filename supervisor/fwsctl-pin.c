/*
 * fwsctl-pin.c: fwsctl's side of CPU pinning: vcpu-info's table, and
 * the CPU list of vcpu-pin and emulator-pin ("all": anywhere again),
 * which fwsd checks against the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "fwsctl.h"

static const char *
str_or(json_t *v, const char *none)
{
	return json_is_string(v) ? json_string_value(v) : none;
}

static void
vcpu_line(const char *who, json_t *t)
{
	json_t	*cpu = json_object_get(t, "host_cpu");
	char	 buf[16];

	snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(cpu));
	printf("%-8s  %8lld  %8s  %-12s  %s\n", who,
	    (long long)json_integer_value(json_object_get(t, "thread_id")),
	    json_is_integer(cpu) ? buf : "-",
	    str_or(json_object_get(t, "affinity"), "-"),
	    str_or(json_object_get(t, "pin"), "-"));
}

/* vcpu-info NAME: a line per vCPU, then the emulator's main thread */
int
verb_vcpu_info(struct ctx *c)
{
	json_t	*r, *res, *t;
	char	 who[16];
	size_t	 i;

	r = fwsctl_call(PROTO_CMD_VCPU_INFO, fwsctl_name_args(c), NULL);
	res = json_object_get(r, "result");
	if (c->c_json) {
		fwsctl_print_json(res);
		json_decref(r);
		return 0;
	}
	printf("%-8s  %8s  %8s  %-12s  %s\n", "VCPU", "THREAD", "HOST-CPU",
	    "AFFINITY", "PIN");
	json_array_foreach(json_object_get(res, "vcpus"), i, t) {
		snprintf(who, sizeof(who), "%lld",
		    (long long)json_integer_value(json_object_get(t, "vcpu")));
		vcpu_line(who, t);
	}
	vcpu_line("emulator", json_object_get(res, "emulator"));
	json_decref(r);
	return 0;
}

/* vcpu-pin NAME VCPU CPUS, emulator-pin NAME CPUS */
int
verb_vcpu_pin(struct ctx *c)
{
	json_t		*args, *r;
	const char	*cpus;
	unsigned long	 vcpu = 0;
	char		*end;
	int		 emulator = c->c_cmd == PROTO_CMD_EMULATOR_PIN;

	if (c->c_npos != (emulator ? 2 : 3))
		fwsctl_errx(2, "%s: give %s", emulator ? "emulator-pin" :
		    "vcpu-pin", emulator ? "NAME CPUS" : "NAME VCPU CPUS");
	args = fwsctl_name_args(c);
	if (!emulator) {
		vcpu = strtoul(c->c_pos[1], &end, 10);
		if (*c->c_pos[1] < '0' || *c->c_pos[1] > '9' || *end != '\0' ||
		    vcpu > 65535)
			fwsctl_errx(2, "vcpu-pin: VCPU %s: a vCPU's number, 0 "
			    "the first", c->c_pos[1]);
		json_object_set_new(args, "vcpu", json_integer(vcpu));
	}
	cpus = c->c_pos[emulator ? 1 : 2];
	json_object_set_new(args, "cpus", strcmp(cpus, "all") == 0 ?
	    json_null() : json_string(cpus));
	r = fwsctl_call(c->c_cmd, args, NULL);
	if (c->c_json)
		fwsctl_print_json(json_object_get(r, "result"));
	else if (emulator)
		printf("%s: its emulator threads run on %s\n", c->c_name,
		    strcmp(cpus, "all") == 0 ? "any CPU" : cpus);
	else
		printf("%s: vCPU %lu runs on %s\n", c->c_name, vcpu,
		    strcmp(cpus, "all") == 0 ? "any CPU" : cpus);
	json_decref(r);
	return 0;
}
