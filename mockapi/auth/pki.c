/* SPDX-License-Identifier: MIT */
#include "auth/pki.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "auth/keys.h"
#include "fileio.h"

#define CERT_PEM_MAX   (256 * 1024)
#define MAX_EXTRA_SANS 64
#define DNS_NAME_MAX   253

/* What every serving certificate answers to (reference §0 item 12). */
static const char *const default_sans[] = {
	"IP:127.0.0.1",
	"IP:::1",
	"DNS:localhost",
	"DNS:kubernetes",
	"DNS:kubernetes.default",
	"DNS:kubernetes.default.svc",
	"DNS:kubernetes.default.svc.cluster.local",
	NULL,
};

/* Sets diag to "<what>: <first OpenSSL reason>" and empties the queue. */
static void
diag_ossl(struct mapi_diag *diag, const char *what)
{
	unsigned long e = ERR_peek_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (reason != NULL) {
		mapi_diag_set(diag, "%s: %s", what, reason);
	} else {
		mapi_diag_set(diag, "%s", what);
	}
	ERR_clear_error();
}

static X509 *
parse_cert(const char *pem, size_t len)
{
	BIO *bio;
	X509 *cert = NULL;

	if (pem == NULL || len > CERT_PEM_MAX) {
		return NULL;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio != NULL) {
		cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	return cert;
}

static char *
cert_pem(X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	char *out = NULL;
	long len;

	if (bio != NULL && PEM_write_bio_X509(bio, cert) == 1) {
		len = BIO_get_mem_data(bio, &data);
		if (len > 0 && data != NULL) {
			out = strndup(data, (size_t)len);
		}
	}
	BIO_free(bio);
	return out;
}

static bool
dns_name_ok(const char *name)
{
	size_t n = strlen(name);
	size_t i;

	if (n == 0 || n > DNS_NAME_MAX || name[0] == '.' || name[n - 1] == '.') {
		return false;
	}
	for (i = 0; i < n; i++) {
		char c = name[i];
		bool wild = c == '*' && i == 0 && name[1] == '.';

		if (!(wild || c == '-' || c == '.' || (c >= '0' && c <= '9') ||
		      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
			return false;
		}
		if (c == '.' && name[i + 1] == '.') {
			return false;
		}
	}
	return true;
}

/* One "IP:..." / "DNS:..." spec as a GENERAL_NAME; NULL (diag) if bad. */
static GENERAL_NAME *
san_parse(const char *spec, struct mapi_diag *diag)
{
	GENERAL_NAME *gn = NULL;
	ASN1_STRING *value = NULL;
	int type;

	if (strncmp(spec, "IP:", 3) == 0) {
		value = a2i_IPADDRESS(spec + 3);
		type = GEN_IPADD;
	} else if (strncmp(spec, "DNS:", 4) == 0 && dns_name_ok(spec + 4)) {
		char name[DNS_NAME_MAX + 1];
		size_t i;

		for (i = 0; spec[4 + i] != '\0'; i++) {
			char c = spec[4 + i];

			name[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a')
			                               : c;
		}
		name[i] = '\0';
		value = ASN1_IA5STRING_new();
		if (value != NULL &&
		    ASN1_STRING_set(value, name, (int)i) != 1) {
			ASN1_IA5STRING_free(value);
			value = NULL;
		}
		type = GEN_DNS;
	} else {
		type = -1;
	}
	if (value == NULL) {
		ERR_clear_error();
		mapi_diag_set(diag,
		              "invalid subjectAltName \"%.200s\": expected "
		              "IP:<address> or DNS:<name>",
		              spec);
		return NULL;
	}
	gn = GENERAL_NAME_new();
	if (gn == NULL) {
		ASN1_STRING_free(value);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, type, value);
	return gn;
}

static bool
sans_have(const GENERAL_NAMES *gens, const GENERAL_NAME *gn)
{
	int i;

	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(gens, i),
		                     (GENERAL_NAME *)gn) == 0) {
			return true;
		}
	}
	return false;
}

/* Adds each spec of a NULL-terminated list, skipping duplicates. */
static enum mapi_err
sans_add(GENERAL_NAMES *gens, const char *const *specs,
         struct mapi_diag *diag)
{
	size_t i;

	for (i = 0; specs != NULL && specs[i] != NULL; i++) {
		GENERAL_NAME *gn;

		if (i == MAX_EXTRA_SANS) {
			mapi_diag_set(diag, "more than %d subjectAltNames",
			              MAX_EXTRA_SANS);
			return MAPI_EINVAL;
		}
		gn = san_parse(specs[i], diag);
		if (gn == NULL) {
			return MAPI_EINVAL;
		}
		if (sans_have(gens, gn)) {
			GENERAL_NAME_free(gn);
		} else if (sk_GENERAL_NAME_push(gens, gn) <= 0) {
			GENERAL_NAME_free(gn);
			return MAPI_ENOMEM;
		}
	}
	return MAPI_OK;
}

/* Defaults plus extras, validated. */
static enum mapi_err
wanted_sans(const struct mapi_pki_opts *opts, GENERAL_NAMES **out,
            struct mapi_diag *diag)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	enum mapi_err err;

	if (gens == NULL) {
		return MAPI_ENOMEM;
	}
	err = sans_add(gens, default_sans, diag);
	if (err == MAPI_OK) {
		err = sans_add(gens, opts->extra_sans, diag);
	}
	if (err != MAPI_OK) {
		GENERAL_NAMES_free(gens);
		return err;
	}
	*out = gens;
	return MAPI_OK;
}

static enum mapi_err
check_opts(const struct mapi_pki_opts *opts, struct mapi_diag *diag)
{
	if (opts == NULL) {
		return MAPI_EINVAL;
	}
	if (opts->not_before <= MAPI_PKI_BACKDATE_S) {
		mapi_diag_set(diag, "pki: not_before (now) must be set");
		return MAPI_EINVAL;
	}
	if (opts->type != 0 && opts->type != MAPI_PKI_P256 &&
	    opts->type != MAPI_PKI_RSA2048) {
		mapi_diag_set(diag, "pki: unknown key type %d", opts->type);
		return MAPI_EINVAL;
	}
	if (opts->valid_days < 0 || opts->valid_days > 36500 ||
	    opts->ca_valid_days < 0 || opts->ca_valid_days > 36500) {
		mapi_diag_set(diag, "pki: validity must be 1..36500 days");
		return MAPI_EINVAL;
	}
	return MAPI_OK;
}

static enum mapi_err
new_key(const struct mapi_pki_opts *opts, struct mapi_key **out_key)
{
	return mapi_key_generate(opts->type == MAPI_PKI_RSA2048
	                                 ? MAPI_KEY_RSA2048
	                                 : MAPI_KEY_P256,
	                         out_key);
}

/* 127 random bits: positive and at most 16 bytes (RFC 5280 §4.1.2.2). */
static bool
set_random_serial(X509 *cert)
{
	unsigned char buf[16];
	BIGNUM *bn = NULL;
	bool ok = false;

	if (RAND_bytes(buf, sizeof(buf)) != 1) {
		return false;
	}
	buf[0] &= 0x7f;
	buf[15] |= 0x01; /* never zero */
	bn = BN_bin2bn(buf, sizeof(buf), NULL);
	if (bn != NULL &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL) {
		ok = true;
	}
	BN_free(bn);
	return ok;
}

static bool
add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	bool ok = ext != NULL && X509_add_ext(cert, ext, -1) == 1;

	X509_EXTENSION_free(ext);
	return ok;
}

struct cert_spec {
	const char *cn;
	EVP_PKEY *pkey;        /* subject key */
	X509 *issuer;          /* NULL: self-signed */
	EVP_PKEY *issuer_pkey; /* signs */
	bool ca;
	GENERAL_NAMES *sans; /* serving only */
	int64_t not_before;
	int64_t days;
};

static enum mapi_err
build_cert(const struct cert_spec *s, X509 **out_cert)
{
	X509 *cert = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	bool rsa = EVP_PKEY_get_base_id(s->pkey) == EVP_PKEY_RSA;
	time_t nb = (time_t)(s->not_before - MAPI_PKI_BACKDATE_S);
	time_t na = (time_t)(s->not_before + s->days * 86400);
	enum mapi_err err = MAPI_ECRYPTO;

	if (cert == NULL || name == NULL ||
	    X509_set_version(cert, X509_VERSION_3) != 1 ||
	    !set_random_serial(cert) ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                               (const unsigned char *)s->cn, -1, -1,
	                               0) != 1 ||
	    X509_set_subject_name(cert, name) != 1 ||
	    X509_set_issuer_name(cert, s->issuer != NULL
	                                       ? X509_get_subject_name(s->issuer)
	                                       : name) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(cert), nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(cert), na) == NULL ||
	    X509_set_pubkey(cert, s->pkey) != 1) {
		goto out;
	}
	/* A serving cert never outlives its CA. */
	if (s->issuer != NULL &&
	    ASN1_TIME_compare(X509_get0_notAfter(cert),
	                      X509_get0_notAfter(s->issuer)) > 0 &&
	    X509_set1_notAfter(cert, X509_get0_notAfter(s->issuer)) != 1) {
		goto out;
	}
	X509V3_set_ctx(&ctx, s->issuer != NULL ? s->issuer : cert, cert, NULL,
	               NULL, 0);
	if (X509V3_set_issuer_pkey(&ctx, s->issuer_pkey) != 1) {
		goto out;
	}
	if (s->ca) {
		if (!add_ext(cert, &ctx, NID_basic_constraints,
		             "critical,CA:TRUE") ||
		    !add_ext(cert, &ctx, NID_key_usage,
		             "critical,keyCertSign,cRLSign")) {
			goto out;
		}
	} else {
		if (!add_ext(cert, &ctx, NID_basic_constraints,
		             "critical,CA:FALSE") ||
		    !add_ext(cert, &ctx, NID_key_usage,
		             rsa ? "critical,digitalSignature,keyEncipherment"
		                 : "critical,digitalSignature") ||
		    !add_ext(cert, &ctx, NID_ext_key_usage, "serverAuth")) {
			goto out;
		}
	}
	if (!add_ext(cert, &ctx, NID_subject_key_identifier, "hash") ||
	    !add_ext(cert, &ctx, NID_authority_key_identifier,
	             "keyid:always")) {
		goto out;
	}
	if (s->sans != NULL &&
	    X509_add1_ext_i2d(cert, NID_subject_alt_name, s->sans, 0,
	                      X509V3_ADD_DEFAULT) != 1) {
		goto out;
	}
	if (X509_sign(cert, s->issuer_pkey, EVP_sha256()) <= 0) {
		goto out;
	}
	*out_cert = cert;
	cert = NULL;
	err = MAPI_OK;
out:
	X509_free(cert);
	X509_NAME_free(name);
	return err;
}

enum mapi_err
mapi_pki_make_ca(const struct mapi_pki_opts *opts, struct mapi_key **out_key,
                 char **out_cert_pem, struct mapi_diag *diag)
{
	struct mapi_key *key = NULL;
	X509 *cert = NULL;
	char *pem = NULL;
	enum mapi_err err;

	err = check_opts(opts, diag);
	if (err != MAPI_OK) {
		return err;
	}
	err = new_key(opts, &key);
	if (err != MAPI_OK) {
		mapi_diag_set(diag, "pki: cannot generate the CA key");
		goto out;
	}
	{
		struct cert_spec s = {
			.cn = "mockapi-ca",
			.pkey = mapi_key_pkey(key),
			.issuer_pkey = mapi_key_pkey(key),
			.ca = true,
			.not_before = opts->not_before,
			.days = opts->ca_valid_days > 0 ? opts->ca_valid_days
			                                : 3650,
		};

		err = build_cert(&s, &cert);
	}
	if (err != MAPI_OK) {
		diag_ossl(diag, "pki: cannot make the CA certificate");
		goto out;
	}
	pem = cert_pem(cert);
	if (pem == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	*out_key = key;
	*out_cert_pem = pem;
	key = NULL;
out:
	mapi_key_unref(key);
	X509_free(cert);
	ERR_clear_error();
	return err;
}

/* Serving key + cert from a parsed CA. */
static enum mapi_err
make_serving(const struct mapi_pki_opts *opts, X509 *ca,
             const struct mapi_key *ca_key, struct mapi_key **out_key,
             char **out_cert_pem, struct mapi_diag *diag)
{
	struct mapi_key *key = NULL;
	GENERAL_NAMES *sans = NULL;
	X509 *cert = NULL;
	char *pem = NULL;
	enum mapi_err err;

	err = wanted_sans(opts, &sans, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	if (X509_check_private_key(ca, mapi_key_pkey(ca_key)) != 1) {
		err = MAPI_EINVAL;
		mapi_diag_set(diag, "the CA key does not match the CA "
		                    "certificate");
		goto out;
	}
	err = new_key(opts, &key);
	if (err != MAPI_OK) {
		mapi_diag_set(diag, "pki: cannot generate the serving key");
		goto out;
	}
	{
		struct cert_spec s = {
			.cn = "kube-apiserver",
			.pkey = mapi_key_pkey(key),
			.issuer = ca,
			.issuer_pkey = mapi_key_pkey(ca_key),
			.sans = sans,
			.not_before = opts->not_before,
			.days = opts->valid_days > 0 ? opts->valid_days : 365,
		};

		err = build_cert(&s, &cert);
	}
	if (err != MAPI_OK) {
		diag_ossl(diag, "pki: cannot make the serving certificate");
		goto out;
	}
	pem = cert_pem(cert);
	if (pem == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	*out_key = key;
	*out_cert_pem = pem;
	key = NULL;
out:
	mapi_key_unref(key);
	GENERAL_NAMES_free(sans);
	X509_free(cert);
	ERR_clear_error();
	return err;
}

enum mapi_err
mapi_pki_make_serving(const struct mapi_pki_opts *opts, const char *ca_pem,
                      size_t ca_len, const struct mapi_key *ca_key,
                      struct mapi_key **out_key, char **out_cert_pem,
                      struct mapi_diag *diag)
{
	X509 *ca = NULL;
	enum mapi_err err;

	err = check_opts(opts, diag);
	if (err != MAPI_OK) {
		return err;
	}
	if (ca_key == NULL || !mapi_key_is_private(ca_key)) {
		mapi_diag_set(diag, "pki: a private CA key is required");
		return MAPI_EINVAL;
	}
	ca = parse_cert(ca_pem, ca_len);
	if (ca == NULL) {
		diag_ossl(diag, "pki: cannot parse the CA certificate");
		return MAPI_EINVAL;
	}
	err = make_serving(opts, ca, ca_key, out_key, out_cert_pem, diag);
	X509_free(ca);
	return err;
}

/* The chain check on parsed certificates; diag gets the reason. */
static enum mapi_err
check_issued(X509 *ca, X509 *cert, struct mapi_diag *diag)
{
	EVP_PKEY *ca_pub = X509_get0_pubkey(ca);
	int rc;

	if (X509_check_ca(ca) < 1) {
		mapi_diag_set(diag, "the CA certificate is not a CA "
		                    "(basicConstraints CA:TRUE missing)");
		return MAPI_EINVAL;
	}
	rc = X509_check_issued(ca, cert);
	if (rc != X509_V_OK) {
		mapi_diag_set(diag, "the certificate is not issued by the CA: "
		                    "%s",
		              X509_verify_cert_error_string(rc));
		ERR_clear_error();
		return MAPI_EINVAL;
	}
	if (ca_pub == NULL || X509_verify(cert, ca_pub) != 1) {
		diag_ossl(diag, "the certificate's signature does not verify "
		                "with the CA's key");
		return MAPI_EINVAL;
	}
	return MAPI_OK;
}

enum mapi_err
mapi_pki_check_chain(const char *ca_pem, size_t ca_len, const char *cert_pem,
                     size_t cert_len, struct mapi_diag *diag)
{
	X509 *ca = parse_cert(ca_pem, ca_len);
	X509 *cert = parse_cert(cert_pem, cert_len);
	enum mapi_err err = MAPI_EINVAL;

	if (ca == NULL) {
		diag_ossl(diag, "cannot parse the CA certificate");
	} else if (cert == NULL) {
		diag_ossl(diag, "cannot parse the certificate");
	} else {
		err = check_issued(ca, cert, diag);
	}
	X509_free(ca);
	X509_free(cert);
	ERR_clear_error();
	return err;
}

/* ---- ensure ------------------------------------------------------------ */

enum { CA_CRT, CA_KEY, TLS_CRT, TLS_KEY, N_FILES };

static const char *const file_names[N_FILES] = { "ca.crt", "ca.key",
	                                         "tls.crt", "tls.key" };

struct state {
	const struct mapi_pki_opts *opts;
	char *path[N_FILES];
	bool exists[N_FILES];
	char *ca_pem;
	size_t ca_len;
	X509 *ca;
	struct mapi_key *ca_key;
};

static enum mapi_err
write_file(const struct state *st, int which, const char *data,
           struct mapi_diag *diag)
{
	enum mapi_err err = mapi_file_write_atomic(st->path[which], data,
	                                           strlen(data), 0644, diag);

	return err;
}

static enum mapi_err
write_key(const struct state *st, int which, const struct mapi_key *key,
          struct mapi_diag *diag)
{
	enum mapi_err err = mapi_key_save_private(key, st->path[which]);

	if (err != MAPI_OK) {
		mapi_diag_set(diag, "cannot write %s (%s)", st->path[which],
		              mapi_err_name(err));
	}
	return err;
}

/* Issues and writes tls.key and tls.crt from the loaded CA. */
static enum mapi_err
issue_serving(struct state *st, struct mapi_diag *diag)
{
	struct mapi_key *key = NULL;
	char *pem = NULL;
	enum mapi_err err;

	if (st->ca_key == NULL) {
		mapi_diag_set(diag,
		              "%s: cannot issue a serving certificate without "
		              "ca.key",
		              st->path[TLS_CRT]);
		return MAPI_EINVAL;
	}
	err = make_serving(st->opts, st->ca, st->ca_key, &key, &pem, diag);
	if (err == MAPI_OK) {
		err = write_key(st, TLS_KEY, key, diag);
	}
	if (err == MAPI_OK) {
		err = write_file(st, TLS_CRT, pem, diag);
	}
	mapi_key_unref(key);
	free(pem);
	return err;
}

static enum mapi_err
create_all(struct state *st, struct mapi_diag *diag)
{
	enum mapi_err err;

	err = mapi_pki_make_ca(st->opts, &st->ca_key, &st->ca_pem, diag);
	if (err != MAPI_OK) {
		return err;
	}
	st->ca_len = strlen(st->ca_pem);
	st->ca = parse_cert(st->ca_pem, st->ca_len);
	if (st->ca == NULL) {
		return MAPI_ECRYPTO;
	}
	err = write_key(st, CA_KEY, st->ca_key, diag);
	if (err == MAPI_OK) {
		err = write_file(st, CA_CRT, st->ca_pem, diag);
	}
	if (err == MAPI_OK) {
		err = issue_serving(st, diag);
	}
	return err;
}

/* -1 if t is before the cert's validity, 1 if after, 0 inside. */
static int
validity_cmp(X509 *cert, int64_t now)
{
	time_t t = (time_t)now;

	if (X509_cmp_time(X509_get0_notBefore(cert), &t) > 0) {
		return -1;
	}
	if (X509_cmp_time(X509_get0_notAfter(cert), &t) < 0) {
		return 1;
	}
	return 0;
}

/* True if the cert carries every SAN asked for. */
static bool
has_all_sans(X509 *cert, const GENERAL_NAMES *want)
{
	GENERAL_NAMES *have =
		X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	bool ok = have != NULL;
	int i;

	for (i = 0; ok && i < sk_GENERAL_NAME_num(want); i++) {
		ok = sans_have(have, sk_GENERAL_NAME_value(want, i));
	}
	GENERAL_NAMES_free(have);
	return ok;
}

static enum mapi_err
load_ca(struct state *st, struct mapi_diag *diag)
{
	enum mapi_err err;

	err = mapi_file_read(st->path[CA_CRT], CERT_PEM_MAX, &st->ca_pem,
	                     &st->ca_len, diag);
	if (err != MAPI_OK) {
		return err;
	}
	st->ca = parse_cert(st->ca_pem, st->ca_len);
	if (st->ca == NULL) {
		diag_ossl(diag, st->path[CA_CRT]);
		return MAPI_EINVAL;
	}
	if (X509_check_ca(st->ca) < 1) {
		mapi_diag_set(diag, "%s is not a CA certificate",
		              st->path[CA_CRT]);
		return MAPI_EINVAL;
	}
	if (validity_cmp(st->ca, st->opts->not_before) != 0) {
		mapi_diag_set(diag,
		              "%s is expired or not yet valid; remove ca.* and "
		              "tls.* to make new ones",
		              st->path[CA_CRT]);
		return MAPI_EINVAL;
	}
	if (!st->exists[CA_KEY]) {
		return MAPI_OK;
	}
	err = mapi_key_load_file(st->path[CA_KEY], &st->ca_key, diag);
	if (err != MAPI_OK) {
		return err;
	}
	if (X509_check_private_key(st->ca, mapi_key_pkey(st->ca_key)) != 1) {
		ERR_clear_error();
		mapi_diag_set(diag, "%s does not match %s", st->path[CA_KEY],
		              st->path[CA_CRT]);
		return MAPI_EINVAL;
	}
	return MAPI_OK;
}

/* Both tls files exist: check them, reissue when stale. */
static enum mapi_err
check_serving(struct state *st, struct mapi_diag *diag)
{
	struct mapi_key *key = NULL;
	GENERAL_NAMES *want = NULL;
	X509 *cert = NULL;
	char *pem = NULL;
	size_t len = 0;
	struct mapi_diag why = { 0 };
	enum mapi_err err;

	err = wanted_sans(st->opts, &want, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	err = mapi_file_read(st->path[TLS_CRT], CERT_PEM_MAX, &pem, &len, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	err = MAPI_EINVAL;
	cert = parse_cert(pem, len);
	if (cert == NULL) {
		diag_ossl(diag, st->path[TLS_CRT]);
		goto out;
	}
	if (check_issued(st->ca, cert, &why) != MAPI_OK) {
		mapi_diag_set(diag, "%s does not chain to %s: %s",
		              st->path[TLS_CRT], st->path[CA_CRT], why.msg);
		goto out;
	}
	err = mapi_key_load_file(st->path[TLS_KEY], &key, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	if (X509_check_private_key(cert, mapi_key_pkey(key)) != 1) {
		ERR_clear_error();
		err = MAPI_EINVAL;
		mapi_diag_set(diag, "%s does not match %s", st->path[TLS_KEY],
		              st->path[TLS_CRT]);
		goto out;
	}
	err = MAPI_OK;
	if (validity_cmp(cert, st->opts->not_before) != 0 ||
	    !has_all_sans(cert, want)) {
		err = issue_serving(st, diag);
		if (err != MAPI_OK && st->ca_key == NULL) {
			mapi_diag_set(diag,
			              "%s is expired, not yet valid or lacks a "
			              "requested subjectAltName, and without "
			              "ca.key it cannot be reissued",
			              st->path[TLS_CRT]);
		}
	}
out:
	mapi_key_unref(key);
	GENERAL_NAMES_free(want);
	X509_free(cert);
	free(pem);
	ERR_clear_error();
	return err;
}

static enum mapi_err
prepare_dir(const char *dir, struct mapi_diag *diag)
{
	struct stat sb;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		mapi_diag_set(diag, "cannot create %s: %s", dir,
		              strerror(errno));
		return errno == ENOENT ? MAPI_ENOTFOUND : MAPI_EIO;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		mapi_diag_set(diag, "%s is not a directory", dir);
		return MAPI_EIO;
	}
	return MAPI_OK;
}

enum mapi_err
mapi_pki_ensure(const char *dir, const struct mapi_pki_opts *opts,
                struct mapi_diag *diag)
{
	struct state st = { .opts = opts };
	GENERAL_NAMES *sans = NULL;
	enum mapi_err err;
	int i;

	if (dir == NULL) {
		return MAPI_EINVAL;
	}
	err = check_opts(opts, diag);
	if (err != MAPI_OK) {
		return err;
	}
	/* Validate extra SANs before touching the disk. */
	err = wanted_sans(opts, &sans, diag);
	GENERAL_NAMES_free(sans);
	if (err != MAPI_OK) {
		return err;
	}
	err = prepare_dir(dir, diag);
	if (err != MAPI_OK) {
		return err;
	}
	for (i = 0; i < N_FILES; i++) {
		size_t n = strlen(dir) + strlen(file_names[i]) + 2;
		struct stat sb;

		st.path[i] = malloc(n);
		if (st.path[i] == NULL) {
			err = MAPI_ENOMEM;
			goto out;
		}
		(void)snprintf(st.path[i], n, "%s/%s", dir, file_names[i]);
		st.exists[i] = stat(st.path[i], &sb) == 0;
	}
	if (!st.exists[CA_CRT]) {
		for (i = CA_KEY; i < N_FILES; i++) {
			if (st.exists[i]) {
				mapi_diag_set(diag,
				              "%s exists but ca.crt does not: "
				              "supply ca.crt or remove it",
				              st.path[i]);
				err = MAPI_EINVAL;
				goto out;
			}
		}
		err = create_all(&st, diag);
		goto out;
	}
	err = load_ca(&st, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	if (st.exists[TLS_CRT] != st.exists[TLS_KEY]) {
		mapi_diag_set(diag, "%s exists without %s",
		              st.path[st.exists[TLS_CRT] ? TLS_CRT : TLS_KEY],
		              file_names[st.exists[TLS_CRT] ? TLS_KEY
		                                            : TLS_CRT]);
		err = MAPI_EINVAL;
		goto out;
	}
	err = st.exists[TLS_CRT] ? check_serving(&st, diag)
	                         : issue_serving(&st, diag);
out:
	for (i = 0; i < N_FILES; i++) {
		free(st.path[i]);
	}
	free(st.ca_pem);
	X509_free(st.ca);
	mapi_key_unref(st.ca_key);
	ERR_clear_error();
	return err;
}
