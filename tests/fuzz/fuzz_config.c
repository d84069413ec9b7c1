/*
 * fuzz_config.c: config.c, the fwsd.conf parser, with the input as the
 * file.  The text goes into a memfd that config_load reads through
 * /proc/self/fd/N, so the real path, fopen and getline included, is
 * what runs.  What is checked: a refusal names the file; a file that
 * loads leaves every setting within what fwsd.conf(5) allows (a path is
 * absolute, a choice is one of its words, a number within its range,
 * an address an address), config_finish then succeeds, and the settings
 * written back as a file load to the same settings.
 */
#include <sys/mman.h>

#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "fws.h"

static int	 memfd = -1;
static char	 path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((memfd = memfd_create("fwsd.conf", MFD_CLOEXEC)) == -1)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return 0;
}

static void
set_file(const void *data, size_t size)
{
	if (ftruncate(memfd, 0) == -1 ||
	    (size > 0 && pwrite(memfd, data, size, 0) != (ssize_t)size))
		abort();
}

static int
is_word(const char *v, const char *a, const char *b, const char *c)
{
	return strcmp(v, a) == 0 || strcmp(v, b) == 0 ||
	    (c != NULL && strcmp(v, c) == 0);
}

/* A path as config_load can hand it on: absolute, trimmed, one line. */
static void
check_path(const char *p)
{
	size_t	 len;

	FUZZ_ASSERT(p != NULL && p[0] == '/');
	len = strlen(p);
	FUZZ_ASSERT(p[len - 1] != ' ' && p[len - 1] != '\t' &&
	    p[len - 1] != '\r');
	FUZZ_ASSERT(strpbrk(p, "#\n") == NULL);
}

/*
 * Before config_finish, image directories are as image_dirs gives them;
 * after it, the default one is STATE_DIR/images, whatever state_dir holds.
 */
static void
check_config(const struct fws_config *cf, int finished)
{
	struct in_addr	 in4;
	struct in6_addr	 in6;
	int		 i;

	check_path(cf->cf_state_dir);
	check_path(cf->cf_run_dir);
	check_path(cf->cf_qemu);
	check_path(cf->cf_qemu_img);
	FUZZ_ASSERT(cf->cf_nimage_dirs >= 0 &&
	    cf->cf_nimage_dirs <= FWS_IMAGE_DIRS_MAX);
	/* a word of image_dirs: a CR inside the value is no separator */
	for (i = 0; i < cf->cf_nimage_dirs; i++) {
		FUZZ_ASSERT(cf->cf_image_dirs[i][0] == '/');
		if (!finished)
			FUZZ_ASSERT(strpbrk(cf->cf_image_dirs[i],
			    ": \t") == NULL);
	}
	FUZZ_ASSERT(is_word(cf->cf_machine, "q35", "pc", NULL));
	FUZZ_ASSERT(is_word(cf->cf_accel, "auto", "kvm", "tcg"));
	FUZZ_ASSERT(inet_pton(AF_INET, cf->cf_vnc_listen, &in4) == 1 ||
	    inet_pton(AF_INET6, cf->cf_vnc_listen, &in6) == 1);
	FUZZ_ASSERT(cf->cf_max_vcpus >= 1 &&
	    cf->cf_max_vcpus <= FWS_VCPUS_LIMIT);
	FUZZ_ASSERT(cf->cf_max_memory_mib >= 1 &&
	    cf->cf_max_memory_mib <= UINT64_MAX >> 20);
	FUZZ_ASSERT(cf->cf_max_disk_size >= 1);
	FUZZ_ASSERT(cf->cf_stop_timeout <= 3600);
	FUZZ_ASSERT(cf->cf_restart_delay <= 3600);
	FUZZ_ASSERT(cf->cf_restart_delay_max <= 86400);
	FUZZ_ASSERT(cf->cf_crash_loop_restarts >= 1 &&
	    cf->cf_crash_loop_restarts <= FWS_CRASH_LOOP_MAX);
	FUZZ_ASSERT(cf->cf_crash_loop_window >= 1 &&
	    cf->cf_crash_loop_window <= 86400);
	FUZZ_ASSERT(cf->cf_event_history >= 1 &&
	    cf->cf_event_history <= 10000000);
	/* loans: durations within range, warnings largest first, once */
	FUZZ_ASSERT(cf->cf_loan_default >= 0 &&
	    cf->cf_loan_default <= FWS_DURATION_MAX);
	FUZZ_ASSERT(cf->cf_loan_grace >= 1 &&
	    cf->cf_loan_grace <= FWS_DURATION_MAX);
	FUZZ_ASSERT(cf->cf_quota.q_loan <= (uint64_t)FWS_DURATION_MAX);
	/* rates: none, or within a NIC's range */
	FUZZ_ASSERT(cf->cf_quota.q_vm_net_rate == 0 ||
	    (cf->cf_quota.q_vm_net_rate >= FWS_NET_RATE_MIN &&
	    cf->cf_quota.q_vm_net_rate <= FWS_NET_RATE_MAX));
	for (i = 0; i < cf->cf_ntemplates; i++)
		FUZZ_ASSERT(cf->cf_templates[i].t_net_rate == 0 ||
		    (cf->cf_templates[i].t_net_rate >= FWS_NET_RATE_MIN &&
		    cf->cf_templates[i].t_net_rate <= FWS_NET_RATE_MAX));
	FUZZ_ASSERT(is_word(cf->cf_loan_expire, "keep", "delete", NULL));
	FUZZ_ASSERT(cf->cf_loan_nwarn >= 0 &&
	    cf->cf_loan_nwarn <= FWS_LOAN_WARNS_MAX);
	for (i = 0; i < cf->cf_loan_nwarn; i++) {
		FUZZ_ASSERT(cf->cf_loan_warn[i] >= 1 &&
		    cf->cf_loan_warn[i] <= FWS_DURATION_MAX);
		FUZZ_ASSERT(i == 0 || cf->cf_loan_warn[i] <
		    cf->cf_loan_warn[i - 1]);
	}
}

/* A duration fwsd.conf takes back: seconds, or none for 0. */
static const char *
secs_or_none(int64_t secs, char *buf, size_t len)
{
	if (secs == 0)
		return "none";
	snprintf(buf, len, "%llds", (long long)secs);
	return buf;
}

/* The settings as a file fwsd.conf(5) describes; the caller frees. */
static char *
write_back(const struct fws_config *cf)
{
	char	*text, *dirs, *s, def[32], ql[32];
	int	 i;

	/* each with a ':' after it, which keeps a CR that ends one */
	dirs = xasprintf("%s", "");
	for (i = 0; i < cf->cf_nimage_dirs; i++) {
		s = xasprintf("%s%s:", dirs, cf->cf_image_dirs[i]);
		free(dirs);
		dirs = s;
	}
	text = xasprintf(
	    "state_dir = %s\nrun_dir = %s\nqemu = %s\nqemu_img = %s\n"
	    "%s%s\nmachine = %s\naccel = %s\nvnc_listen = %s\n"
	    "max_vcpus = %u\nmax_memory = %llu\nmax_disk_size = %lluK\n"
	    "stop_timeout = %u\nrestart_delay = %u\nrestart_delay_max = %u\n"
	    "crash_loop_restarts = %u\ncrash_loop_window = %u\n"
	    "event_history = %u\n",
	    cf->cf_state_dir, cf->cf_run_dir, cf->cf_qemu, cf->cf_qemu_img,
	    cf->cf_nimage_dirs ? "image_dirs = " : "# no image_dirs", dirs,
	    cf->cf_machine, cf->cf_accel, cf->cf_vnc_listen,
	    cf->cf_max_vcpus, (unsigned long long)cf->cf_max_memory_mib,
	    (unsigned long long)cf->cf_max_disk_size / 1024,
	    cf->cf_stop_timeout,
	    cf->cf_restart_delay, cf->cf_restart_delay_max,
	    cf->cf_crash_loop_restarts, cf->cf_crash_loop_window,
	    cf->cf_event_history);
	/* loans, as durations fwsd.conf takes back */
	s = xasprintf("%sloan_grace = %llds\nloan_expire = %s\n"
	    "loan_default = %s\nquota_loan = %s\nloan_warn = %s", text,
	    (long long)cf->cf_loan_grace, cf->cf_loan_expire,
	    secs_or_none(cf->cf_loan_default, def, sizeof(def)),
	    secs_or_none(cf->cf_quota.q_loan, ql, sizeof(ql)),
	    cf->cf_loan_nwarn ? "" : "none");
	free(text);
	text = s;
	for (i = 0; i < cf->cf_loan_nwarn; i++) {
		s = xasprintf("%s%llds ", text,
		    (long long)cf->cf_loan_warn[i]);
		free(text);
		text = s;
	}
	/* a rate in bits, which fwsd.conf takes back; none for 0 */
	snprintf(ql, sizeof(ql), "%llubit",
	    (unsigned long long)cf->cf_quota.q_vm_net_rate);
	s = xasprintf("%s\nquota_vm_net_rate = %s\n", text,
	    cf->cf_quota.q_vm_net_rate ? ql : "none");
	free(text);
	text = s;
	free(dirs);
	return text;
}

static void
check_same(const struct fws_config *a, const struct fws_config *b)
{
	int	 i;

	FUZZ_ASSERT(strcmp(a->cf_state_dir, b->cf_state_dir) == 0);
	FUZZ_ASSERT(strcmp(a->cf_run_dir, b->cf_run_dir) == 0);
	FUZZ_ASSERT(strcmp(a->cf_qemu, b->cf_qemu) == 0);
	FUZZ_ASSERT(strcmp(a->cf_qemu_img, b->cf_qemu_img) == 0);
	FUZZ_ASSERT(a->cf_nimage_dirs == b->cf_nimage_dirs);
	for (i = 0; i < a->cf_nimage_dirs; i++)
		FUZZ_ASSERT(strcmp(a->cf_image_dirs[i],
		    b->cf_image_dirs[i]) == 0);
	FUZZ_ASSERT(strcmp(a->cf_machine, b->cf_machine) == 0);
	FUZZ_ASSERT(strcmp(a->cf_accel, b->cf_accel) == 0);
	FUZZ_ASSERT(strcmp(a->cf_vnc_listen, b->cf_vnc_listen) == 0);
	FUZZ_ASSERT(a->cf_max_vcpus == b->cf_max_vcpus);
	FUZZ_ASSERT(a->cf_max_memory_mib == b->cf_max_memory_mib);
	FUZZ_ASSERT(a->cf_max_disk_size == b->cf_max_disk_size);
	FUZZ_ASSERT(a->cf_stop_timeout == b->cf_stop_timeout);
	FUZZ_ASSERT(a->cf_restart_delay == b->cf_restart_delay);
	FUZZ_ASSERT(a->cf_restart_delay_max == b->cf_restart_delay_max);
	FUZZ_ASSERT(a->cf_crash_loop_restarts == b->cf_crash_loop_restarts);
	FUZZ_ASSERT(a->cf_crash_loop_window == b->cf_crash_loop_window);
	FUZZ_ASSERT(a->cf_event_history == b->cf_event_history);
	FUZZ_ASSERT(a->cf_loan_default == b->cf_loan_default);
	FUZZ_ASSERT(a->cf_loan_grace == b->cf_loan_grace);
	FUZZ_ASSERT(a->cf_quota.q_loan == b->cf_quota.q_loan);
	FUZZ_ASSERT(a->cf_quota.q_vm_net_rate == b->cf_quota.q_vm_net_rate);
	FUZZ_ASSERT(strcmp(a->cf_loan_expire, b->cf_loan_expire) == 0);
	FUZZ_ASSERT(a->cf_loan_nwarn == b->cf_loan_nwarn);
	for (i = 0; i < a->cf_loan_nwarn; i++)
		FUZZ_ASSERT(a->cf_loan_warn[i] == b->cf_loan_warn[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fws_config	 cf, again;
	char			*cause = NULL, *text;

	set_file(data, size);
	config_defaults(&cf);
	if (config_load(&cf, path, 1, &cause) == -1) {
		FUZZ_ASSERT(cause != NULL);
		FUZZ_ASSERT(strncmp(cause, path, strlen(path)) == 0);
		free(cause);
		config_clear(&cf);
		return 0;
	}
	FUZZ_ASSERT(cause == NULL);
	check_config(&cf, 0);

	text = write_back(&cf);
	set_file(text, strlen(text));
	free(text);
	config_defaults(&again);
	FUZZ_ASSERT(config_load(&again, path, 1, &cause) == 0);
	check_same(&cf, &again);
	config_clear(&again);

	FUZZ_ASSERT(config_finish(&cf, &cause) == 0);
	FUZZ_ASSERT(cf.cf_nimage_dirs >= 1);
	check_config(&cf, 1);
	config_clear(&cf);
	return 0;
}
