/*
 * test_image.c: image.c's reading of qcow2 headers before an image is
 * given to qemu, on images qemu-img makes: a plain one passes with its
 * virtual size; backing files outside the allowed directories, json:
 * names, missing backing formats and external data files are refused;
 * a chain inside is followed; a raw file is never read as qcow2.  And
 * what a library file is, by its name: kernels and initrds (Debian's
 * names included) are never disks, and each is found by its NAME.
 */
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "fws.h"

struct fws_config	 conf;

static char	 dir[] = "/tmp/fws-image-test.XXXXXX";

static void
run(const char *cmd)
{
	char	*full = xasprintf("cd %s && %s", dir, cmd);

	assert_int_equal(system(full), 0);
	free(full);
}

static int
check(const char *file, const char *fmt, uint64_t *size, char **cause)
{
	char	*path = xasprintf("%s/%s", dir, file), *dirs[] = { dir };
	int	 rc;

	rc = image_check(path, fmt, dirs, 1, size, cause);
	free(path);
	return rc;
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd = xasprintf("rm -rf %s", dir);

	(void)state;
	(void)!system(cmd);
	free(cmd);
	return 0;
}

static void
test_plain_and_chain(void **state)
{
	uint64_t	 size = 0;
	char		*cause = NULL;

	(void)state;
	run("qemu-img create -q -f qcow2 base.qcow2 64M");
	run("qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2");
	run("qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 128M");
	assert_int_equal(check("base.qcow2", "qcow2", &size, &cause), 0);
	assert_true(size == 64ULL << 20);
	assert_int_equal(check("top.qcow2", "qcow2", &size, &cause), 0);
	assert_true(size == 128ULL << 20);
}

static void
test_backing_outside(void **state)
{
	uint64_t	 size;
	char		*cause = NULL;

	(void)state;
	run("qemu-img create -q -f qcow2 -u -b /etc/shadow -F raw shadow.qcow2 1M");
	assert_int_equal(check("shadow.qcow2", "qcow2", &size, &cause), -1);
	assert_non_null(strstr(cause, "backing file /etc/shadow"));
	assert_non_null(strstr(cause, "outside the allowed"));
	free(cause);
	/* relative, but climbing out */
	run("qemu-img create -q -f qcow2 -u -b ../../etc/passwd -F raw up.qcow2 1M");
	assert_int_equal(check("up.qcow2", "qcow2", &size, &cause), -1);
	assert_non_null(strstr(cause, "outside the allowed"));
	free(cause);
	/* a link inside that points outside */
	run("ln -s /etc/shadow link.raw && qemu-img create -q -f qcow2 -u "
	    "-b link.raw -F raw viaslink.qcow2 1M");
	assert_int_equal(check("viaslink.qcow2", "qcow2", &size, &cause), -1);
	assert_non_null(strstr(cause, "outside the allowed"));
	free(cause);
	/* one level down the chain is checked as the first */
	run("qemu-img create -q -f qcow2 -b shadow.qcow2 -F qcow2 -u deep.qcow2 1M");
	assert_int_equal(check("deep.qcow2", "qcow2", &size, &cause), -1);
	assert_non_null(strstr(cause, "/etc/shadow"));
	free(cause);
}

static void
test_protocols_and_json(void **state)
{
	uint64_t	 size;
	char		*cause = NULL;

	(void)state;
	run("qemu-img create -q -f qcow2 -u -F raw -b "
	    "'json:{\"file.driver\":\"file\",\"file.filename\":\"/etc/shadow\"}' "
	    "json.qcow2 1M");
	assert_int_equal(check("json.qcow2", "qcow2", &size, &cause), -1);
	assert_non_null(strstr(cause, "not a plain path"));
	free(cause);
	run("qemu-img create -q -f qcow2 -u -F raw -b nbd://127.0.0.1:1/x "
	    "nbd.qcow2 1M");
	assert_int_equal(check("nbd.qcow2", "qcow2", &size, &cause), -1);
	assert_non_null(strstr(cause, "not a plain path"));
	free(cause);
}

static void
test_format_and_data_file(void **state)
{
	uint64_t	 size;
	char		*cause = NULL;

	(void)state;
	/* qemu-img no longer writes a backing file without its format:
	 * drop the extension by hand (rewrite its type as unknown) */
	run("qemu-img create -q -f qcow2 base2.qcow2 1M && qemu-img create -q "
	    "-f qcow2 -b base2.qcow2 -F qcow2 nofmt.qcow2 && python3 -c \""
	    "import sys; b = bytearray(open('nofmt.qcow2','rb').read()); "
	    "i = b.find(bytes.fromhex('e2792aca')); "
	    "b[i:i+4] = bytes.fromhex('0000beef'); "
	    "open('nofmt.qcow2','wb').write(b)\"");
	assert_int_equal(check("nofmt.qcow2", "qcow2", &size, &cause), -1);
	assert_non_null(strstr(cause, "names no format"));
	free(cause);
	run("qemu-img create -q -f qcow2 -o data_file=data.raw df.qcow2 1M");
	assert_int_equal(check("df.qcow2", "qcow2", &size, &cause), -1);
	assert_non_null(strstr(cause, "external"));
	free(cause);
}

static void
test_raw_is_raw(void **state)
{
	uint64_t	 size;
	char		*cause = NULL;

	(void)state;
	/* qcow2 bytes given as raw: taken as data, the header never read */
	run("qemu-img create -q -f qcow2 -u -b /etc/shadow -F raw fake.img 1M");
	assert_int_equal(check("fake.img", "raw", &size, &cause), 0);
	assert_true(size < 1 << 20);	/* the file's size, not the header's */
	/* and a raw file is not a qcow2 when called one */
	run("head -c 65536 /dev/zero > zero.raw");
	assert_int_equal(check("zero.raw", "qcow2", &size, &cause), -1);
	assert_non_null(strstr(cause, "not a qcow2 image"));
	free(cause);
}

/* The type of each file image-list shows, as "name type" lines. */
static char *
listed(void)
{
	json_t	*a = image_list(1000), *o;
	char	*out = xasprintf("%s", ""), *p;
	size_t	 i;

	json_array_foreach(a, i, o) {
		p = xasprintf("%s%s %s,", out, json_string_value(
		    json_object_get(o, "name")), json_string_value(
		    json_object_get(o, "type")));
		free(out);
		out = p;
	}
	json_decref(a);
	return out;
}

static void
test_library_names(void **state)
{
	const char	*const files[] = { "vmlinuz", "initrd.img",
	    "vmlinuz-6.1.0-13-amd64", "initrd.img-6.1.0-13-amd64",
	    "guest.kernel", "guest.initrd", "debian.iso", "base.qcow2",
	    "disk.img", "data.raw", "notes.txt", ".hidden.iso" };
	const struct {
		const char	*name;
		enum image_type	 type;
		const char	*file;	/* NULL: not found */
	} finds[] = {
		{ "vmlinuz",		IMAGE_KERNEL,	"vmlinuz" },
		{ "initrd.img",		IMAGE_INITRD,	"initrd.img" },
		{ "6.1.0-13-amd64",	IMAGE_KERNEL,
		    "vmlinuz-6.1.0-13-amd64" },
		{ "6.1.0-13-amd64",	IMAGE_INITRD,
		    "initrd.img-6.1.0-13-amd64" },
		{ "guest",		IMAGE_KERNEL,	"guest.kernel" },
		{ "guest",		IMAGE_INITRD,	"guest.initrd" },
		{ "debian",		IMAGE_ISO,	"debian.iso" },
		{ "disk",		IMAGE_DISK,	"disk.img" },
		{ "initrd",		IMAGE_DISK,	NULL },
		{ "guest",		IMAGE_DISK,	NULL },
		{ "debian",		IMAGE_KERNEL,	NULL },
		{ "vmlinuz",		IMAGE_DISK,	NULL },
	};
	char	*lib = xasprintf("%s/lib", dir), *p, *fmt, *cause, *got;
	size_t	 i;
	int	 fd;

	(void)state;
	assert_int_equal(mkdir(lib, 0755), 0);
	for (i = 0; i < sizeof(files) / sizeof(*files); i++) {
		p = xasprintf("%s/%s", lib, files[i]);
		assert_true((fd = open(p, O_WRONLY | O_CREAT, 0644)) != -1);
		close(fd);
		free(p);
	}
	conf.cf_image_dirs[0] = lib;
	conf.cf_nimage_dirs = 1;
	conf.cf_state_dir = dir;
	got = listed();
	for (i = 0; i < sizeof(finds) / sizeof(*finds); i++) {
		p = xasprintf("%s %s,", finds[i].name,
		    image_type_name(finds[i].type));
		if (finds[i].file != NULL && strstr(got, p) == NULL)
			fail_msg("image-list lacks %s: %s", p, got);
		if (finds[i].file == NULL && strstr(got, p) != NULL)
			fail_msg("image-list has %s: %s", p, got);
		free(p);
		cause = NULL;
		if (image_find(0, finds[i].name, finds[i].type, &p, &fmt,
		    &cause) == -1) {
			if (finds[i].file != NULL)
				fail_msg("%s: %s", finds[i].name, cause);
			assert_non_null(strstr(cause, "no "));
			free(cause);
			continue;
		}
		if (finds[i].file == NULL)
			fail_msg("%s %s found as %s", finds[i].name,
			    image_type_name(finds[i].type), p);
		assert_string_equal(strrchr(p, '/') + 1, finds[i].file);
		assert_string_equal(fmt, "raw");
		free(p);
		free(fmt);
	}
	/* notes.txt and dot files are nothing */
	assert_null(strstr(got, "notes"));
	assert_null(strstr(got, "hidden"));
	free(got);
	conf.cf_nimage_dirs = 0;
	conf.cf_state_dir = NULL;
	free(lib);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_chain),
		cmocka_unit_test(test_backing_outside),
		cmocka_unit_test(test_protocols_and_json),
		cmocka_unit_test(test_format_and_data_file),
		cmocka_unit_test(test_raw_is_raw),
		cmocka_unit_test(test_library_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
