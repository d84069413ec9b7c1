/*
 * fwsctl-stats.c: fwsctl's side of "stats": what fwsd measured, as a
 * table, as JSON, or in the Prometheus text exposition format (fws_
 * metric names, vm and owner labels; node_exporter's textfile collector
 * or any scraper publishes it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fws.h"
#include "fwsctl.h"

/* A label value in the exposition format: \ " and newline escaped. */
static void
prom_label(const char *key, const char *v, int first)
{
	printf("%s%s=\"", first ? "" : ",", key);
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			printf("\\%c", *v);
		else if (*v == '\n')
			printf("\\n");
		else
			putchar(*v);
	}
	putchar('"');
}

/* A sample's start: its name and the labels of a VM's every sample,
 * fws_x{vm="web",owner="alice" (the caller closes the braces) */
static void
prom_vm(const char *name, json_t *o)
{
	char	 user[64];

	printf("%s{", name);
	prom_label("vm", json_string_value(json_object_get(o, "name")), 1);
	prom_label("owner", fwsctl_user_name(json_object_get(o, "owner"),
	    user, sizeof(user)), 0);
}

/* One family: its HELP and TYPE, then a sample per VM (or per item). */
struct prom_family {
	const char	*pf_name;
	const char	*pf_type;
	const char	*pf_help;
	const char	*pf_list;	/* NULL: the VM's own key */
	const char	*pf_key;
	const char	*pf_label;	/* the item's label: disk, mac */
	double		 pf_scale;
};

static const struct prom_family prom_families[] = {
	{ "fws_vm_running", "gauge", "1 when the VM's qemu runs", NULL,
	    "state", NULL, 1 },
	{ "fws_vm_cpu_seconds_total", "counter", "CPU time of the VM's "
	    "qemu, user and system", NULL, "cpu_seconds", NULL, 1 },
	{ "fws_vm_memory_rss_bytes", "gauge", "resident memory of the VM's "
	    "qemu", NULL, "rss_bytes", NULL, 1 },
	{ "fws_vm_memory_bytes", "gauge", "memory the VM is defined with",
	    NULL, "memory_mib", NULL, 1048576 },
	{ "fws_vm_cpu_throttled_seconds_total", "counter", "CPU time the "
	    "VM's cap held its qemu back", NULL, "cpu_throttled_seconds", NULL,
	    1 },
	{ "fws_vm_memory_peak_bytes", "gauge", "the most memory the VM's "
	    "qemu took since its start", NULL, "memory_peak_bytes", NULL, 1 },
	{ "fws_vm_balloon_bytes", "gauge", "memory the guest has, as its "
	    "balloon driver last said", NULL, "balloon_mib", NULL, 1048576 },
	{ "fws_vm_disk_read_bytes_total", "counter", "bytes the guest read "
	    "from the disk", "disks", "rd_bytes", "disk", 1 },
	{ "fws_vm_disk_written_bytes_total", "counter", "bytes the guest "
	    "wrote to the disk", "disks", "wr_bytes", "disk", 1 },
	{ "fws_vm_disk_reads_total", "counter", "read operations of the "
	    "guest on the disk", "disks", "rd_ops", "disk", 1 },
	{ "fws_vm_disk_writes_total", "counter", "write operations of the "
	    "guest on the disk", "disks", "wr_ops", "disk", 1 },
	{ "fws_vm_network_receive_bytes_total", "counter", "bytes the guest "
	    "received on the NIC", "nics", "rx_bytes", "mac", 1 },
	{ "fws_vm_network_transmit_bytes_total", "counter", "bytes the "
	    "guest sent on the NIC", "nics", "tx_bytes", "mac", 1 },
	{ "fws_vm_network_receive_packets_total", "counter", "packets the "
	    "guest received on the NIC", "nics", "rx_packets", "mac", 1 },
	{ "fws_vm_network_transmit_packets_total", "counter", "packets the "
	    "guest sent on the NIC", "nics", "tx_packets", "mac", 1 },
};

static int
vm_runs(json_t *o)
{
	const char	*st = json_string_value(json_object_get(o, "state"));

	return st != NULL && (strcmp(st, "running") == 0 ||
	    strcmp(st, "paused") == 0 || strcmp(st, "starting") == 0 ||
	    strcmp(st, "stopping") == 0);
}

static void
prom_print(json_t *a)
{
	const struct prom_family *pf;
	json_t		*o, *item, *v;
	char		 label[32];
	size_t		 f, i, j;

	for (f = 0; f < sizeof(prom_families) / sizeof(*prom_families); f++) {
		pf = &prom_families[f];
		printf("# HELP %s %s\n# TYPE %s %s\n", pf->pf_name,
		    pf->pf_help, pf->pf_name, pf->pf_type);
		json_array_foreach(a, i, o) {
			if (strcmp(pf->pf_key, "state") == 0) {
				prom_vm(pf->pf_name, o);
				printf("} %d\n", vm_runs(o));
				continue;
			}
			if (pf->pf_list == NULL) {
				v = json_object_get(o, pf->pf_key);
				if (!json_is_number(v) || !vm_runs(o))
					continue;
				prom_vm(pf->pf_name, o);
				printf("} %.15g\n", json_number_value(v) *
				    pf->pf_scale);
				continue;
			}
			if (!vm_runs(o))
				continue;
			json_array_foreach(json_object_get(o, pf->pf_list), j,
			    item) {
				v = json_object_get(item, pf->pf_label);
				if (json_is_integer(v))
					snprintf(label, sizeof(label), "%lld",
					    (long long)json_integer_value(v));
				else
					snprintf(label, sizeof(label), "%s",
					    json_is_string(v) ?
					    json_string_value(v) : "");
				prom_vm(pf->pf_name, o);
				prom_label(pf->pf_label, label, 0);
				printf("} %.15g\n", json_number_value(
				    json_object_get(item, pf->pf_key)));
			}
		}
	}
}

/* The sum of key over the VM's list (disks, nics). */
static json_t *
sum_of(json_t *o, const char *list, const char *key)
{
	json_t		*item;
	json_int_t	 n = 0;
	size_t		 i;

	json_array_foreach(json_object_get(o, list), i, item)
		n += json_integer_value(json_object_get(item, key));
	return json_integer(n);
}

static void
table_size(json_t *v)
{
	char	 buf[32];

	printf("  %10s", fwsctl_size(v, 0, buf, sizeof(buf)));
	json_decref(v);
}

/* stats [NAME] [--json | --prometheus] */
int
verb_stats(struct ctx *c)
{
	json_t	*args = NULL, *r, *a, *o;
	size_t	 i, w = 4;

	if (c->c_name != NULL)
		args = fwsctl_name_args(c);
	if (fwsctl_opt(c, "prometheus") != NULL) {
		r = fwsctl_call(PROTO_CMD_STATS, args, NULL);
		prom_print(json_object_get(r, "result"));
		json_decref(r);
		return 0;
	}
	if ((a = fwsctl_call_list(c, PROTO_CMD_STATS, args, &r)) == NULL)
		return 0;
	json_array_foreach(a, i, o)
		if (strlen(json_string_value(json_object_get(o, "name"))) > w)
			w = strlen(json_string_value(json_object_get(o,
			    "name")));
	printf("%-*s  %-8s  %8s  %10s  %10s  %10s  %10s  %10s  %9s  %10s\n",
	    (int)w, "NAME", "STATE", "CPU", "RSS", "DISK-READ", "DISK-WRITE",
	    "NET-RX", "NET-TX", "THROTTLED", "MEM-PEAK");
	json_array_foreach(a, i, o) {
		printf("%-*s  %-8s  %7.1fs", (int)w,
		    json_string_value(json_object_get(o, "name")),
		    json_string_value(json_object_get(o, "state")),
		    json_number_value(json_object_get(o, "cpu_seconds")));
		table_size(json_incref(json_object_get(o, "rss_bytes")));
		table_size(sum_of(o, "disks", "rd_bytes"));
		table_size(sum_of(o, "disks", "wr_bytes"));
		table_size(sum_of(o, "nics", "rx_bytes"));
		table_size(sum_of(o, "nics", "tx_bytes"));
		if (json_is_number(json_object_get(o, "cpu_throttled_seconds")))
			printf("  %8.1fs", json_number_value(json_object_get(o,
			    "cpu_throttled_seconds")));
		else
			printf("  %9s", "-");
		table_size(json_incref(json_object_get(o,
		    "memory_peak_bytes")));
		printf("\n");
	}
	json_decref(r);
	return 0;
}
