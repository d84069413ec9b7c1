/*
 * web-tls.c: fws-web's TLS: a server context that speaks TLS 1.2 and
 * 1.3 only, with forward-secret AEAD ciphers, no renegotiation and no
 * compression; and, at a first start with neither certificate nor key,
 * a self-signed certificate (an ECDSA P-256 key, the host's name and
 * localhost as names) made with OpenSSL's API.  Browsers warn about the
 * latter: an operator gives fws-web a real one.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "fws.h"
#include "web.h"

#define WEB_TLS_CIPHERS	"ECDHE+AESGCM:ECDHE+CHACHA20"
#define WEB_TLS_DAYS	825

static const char *
web_tls_error(void)
{
	static char	 buf[256];
	unsigned long	 e = ERR_get_error();

	if (e == 0)
		return "unknown error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* The server's context from a certificate (chain) and its key. */
SSL_CTX *
web_tls_context(const char *cert, const char *key, char **cause)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return cause_fail(cause, "SSL_CTX_new: %s", web_tls_error()),
		    NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, WEB_TLS_CIPHERS) != 1) {
		cause_fail(cause, "TLS settings: %s", web_tls_error());
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		cause_fail(cause, "%s: %s", cert, web_tls_error());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		cause_fail(cause, "%s: %s", key, web_tls_error());
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		cause_fail(cause, "%s does not match %s", key, cert);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static int
web_tls_write(const char *path, mode_t mode, EVP_PKEY *pk, X509 *x,
    char **cause)
{
	FILE	*f;
	int	 fd, ok;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) ==
	    -1)
		return cause_fail(cause, "%s: %s", path, strerror(errno));
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(path);
		return cause_fail(cause, "%s: %s", path, strerror(errno));
	}
	ok = pk != NULL ? PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL,
	    NULL) : PEM_write_X509(f, x);
	if (fclose(f) != 0 || ok != 1) {
		unlink(path);
		return cause_fail(cause, "%s: cannot write it", path);
	}
	return 0;
}

/* A self-signed certificate at cert and its key at key (mode 0600). */
int
web_tls_selfsign(const char *cert, const char *key, char **cause)
{
	EVP_PKEY	*pk = NULL;
	X509		*x = NULL;
	X509_NAME	*name;
	X509_EXTENSION	*ext;
	X509V3_CTX	 v3;
	char		 host[256], san[600];
	int		 rc = -1;

	if (gethostname(host, sizeof(host)) == -1 || *host == '\0' ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-") != strlen(host))
		snprintf(host, sizeof(host), "localhost");
	snprintf(san, sizeof(san), "DNS:%s,DNS:localhost,IP:127.0.0.1,"
	    "IP:::1", host);
	if ((pk = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL) {
		cause_fail(cause, "a key: %s", web_tls_error());
		goto done;
	}
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), (long)WEB_TLS_DAYS * 86400);
	X509_set_pubkey(x, pk);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"fws-web (self-signed)", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)host, -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	    san)) == NULL || X509_add_ext(x, ext, -1) != 1) {
		X509_EXTENSION_free(ext);
		cause_fail(cause, "subjectAltName: %s", web_tls_error());
		goto done;
	}
	X509_EXTENSION_free(ext);
	if (X509_sign(x, pk, EVP_sha256()) == 0) {
		cause_fail(cause, "signing: %s", web_tls_error());
		goto done;
	}
	if (web_tls_write(key, 0600, pk, NULL, cause) == -1)
		goto done;
	if (web_tls_write(cert, 0644, NULL, x, cause) == -1) {
		unlink(key);
		goto done;
	}
	rc = 0;
done:
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc;
}
