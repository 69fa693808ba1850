/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * pki: the CA and the HTTPS serving certificate of the mock API server.
 *
 * mockapi_pki_ensure() keeps four files in the state dir and reuses them
 * across restarts, so clients that trust ca.crt keep working:
 *
 *   ca.crt   self-signed CA, CN "mockapi-ca", CA:TRUE, keyCertSign|cRLSign
 *   ca.key   its private key, PKCS#8 PEM, mode 0600
 *   tls.crt  X.509 v3 serving cert, CN "kube-apiserver", issued by ca.crt,
 *            CA:FALSE, keyUsage digitalSignature (+keyEncipherment for
 *            RSA), extendedKeyUsage serverAuth, SKID/AKID, and the SANs
 *            IP:127.0.0.1, IP:::1, DNS:localhost, DNS:kubernetes,
 *            DNS:kubernetes.default, DNS:kubernetes.default.svc,
 *            DNS:kubernetes.default.svc.cluster.local plus opts->extra_sans
 *            (Go clients refuse CN-only certificates)
 *   tls.key  its private key, PKCS#8 PEM ("BEGIN PRIVATE KEY", which
 *            GnuTLS — libmicrohttpd's TLS — reads for RSA and EC), 0600
 *
 * Keys are ECDSA P-256 by default (a TLS handshake costs about a third of
 * RSA-2048's, DESIGN §3), RSA-2048 on request. Serials are 127 random bits
 * (positive, at most 16 bytes); signatures are SHA-256. New certificates
 * are valid from 5 minutes before opts->not_before (clock-skew allowance,
 * as kubeadm's CertificateBackdate) for valid_days (serving; never past the
 * CA's notAfter) or ca_valid_days (CA).
 *
 * Ownership: returned PEM strings are malloc'd (caller frees); returned
 *   keys carry one reference (mapi_key_unref). Inputs are borrowed.
 * Thread safety: no shared state; calls are independent. Two processes
 *   must not run mapi_pki_ensure() on one dir at the same time.
 * Errors: enum mapi_err, with the reason in diag (may be NULL); outputs are
 *   written only on MAPI_OK. MAPI_EINVAL for bad options or for files that
 *   are present but unusable (not chaining, mismatched key, expired CA, a
 *   pair half missing); MAPI_EIO/MAPI_ENOTFOUND for file errors;
 *   MAPI_ECRYPTO when OpenSSL fails on good input.
 */

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct mapi_key;

enum mapi_pki_keytype {
	MAPI_PKI_P256 = 1, /* default */
	MAPI_PKI_RSA2048,
};

/* Seconds new certificates are backdated by. */
#define MAPI_PKI_BACKDATE_S 300

struct mapi_pki_opts {
	/* Key type of newly made keys (0 means MAPI_PKI_P256). */
	enum mapi_pki_keytype type;
	/*
	 * Extra subjectAltNames, "IP:1.2.3.4", "IP:fd00::1" or
	 * "DNS:name.example" (DNS names are lower-cased; a leading "*." is
	 * allowed), NULL-terminated; may be NULL. At most 64.
	 */
	const char *const *extra_sans;
	/*
	 * "Now" in Unix seconds, which must be > 0: the start of validity of
	 * new certificates (minus MAPI_PKI_BACKDATE_S) and the time existing
	 * ones are checked against. Pass the clock's REAL time
	 * (mapi_clock_real_ns), not mock time: clients check certificates
	 * against their own clocks.
	 */
	int64_t not_before;
	/* Lifetime of a new serving certificate (0 means 365). */
	int64_t valid_days;
	/* Lifetime of a new CA certificate (0 means 3650). */
	int64_t ca_valid_days;
};

#define MAPI_PKI_OPTS_DEFAULT                                              \
	{                                                                  \
		.type = MAPI_PKI_P256, .extra_sans = NULL, .not_before = 0, \
		.valid_days = 365, .ca_valid_days = 3650,                  \
	}

/*
 * Makes sure dir (created 0700 if missing; its parent must exist) holds a
 * usable CA and serving certificate:
 *  - none of the four files: makes all of them (each written atomically:
 *    ca.key, ca.crt, tls.key, tls.crt, in that order);
 *  - ca.crt present: it must be a CA certificate valid now; ca.key, when
 *    present, must match it. tls.crt and tls.key must both be present or
 *    both absent; absent, they are issued from ca.key (refused without it).
 *    Present, tls.crt must be issued by ca.crt (issuer name, key
 *    identifiers, and its signature verifies with the CA's key) and tls.key
 *    must match it — else refused with the reason. A serving cert that is
 *    expired, not yet valid, or lacks a requested SAN is reissued from
 *    ca.key (refused without it). Otherwise nothing is written.
 *  - any other file present without ca.crt: refused.
 * Existing files keep their key type; opts->type only applies to new keys.
 */
MAPI_NODISCARD enum mapi_err mapi_pki_ensure(const char *dir,
                                             const struct mapi_pki_opts *opts,
                                             struct mapi_diag *diag);

/*
 * A fresh CA: a new key of opts->type and its self-signed certificate.
 * On MAPI_OK *out_key gets a reference and *out_cert_pem the PEM text.
 */
MAPI_NODISCARD enum mapi_err mapi_pki_make_ca(const struct mapi_pki_opts *opts,
                                              struct mapi_key **out_key,
                                              char **out_cert_pem,
                                              struct mapi_diag *diag);

/*
 * A fresh serving key of opts->type and its certificate, issued by the CA
 * whose certificate is ca_pem (ca_len bytes) and whose private key is
 * ca_key (which must match it).
 */
MAPI_NODISCARD enum mapi_err
mapi_pki_make_serving(const struct mapi_pki_opts *opts, const char *ca_pem,
                      size_t ca_len, const struct mapi_key *ca_key,
                      struct mapi_key **out_key, char **out_cert_pem,
                      struct mapi_diag *diag);

/*
 * MAPI_OK if the first certificate in cert_pem is issued by the CA in
 * ca_pem: ca is a CA certificate, the issuer name and key identifiers
 * match, and the signature verifies with the CA's public key. Validity
 * times are not checked here. MAPI_EINVAL with the reason otherwise.
 */
MAPI_NODISCARD enum mapi_err mapi_pki_check_chain(const char *ca_pem,
                                                  size_t ca_len,
                                                  const char *cert_pem,
                                                  size_t cert_len,
                                                  struct mapi_diag *diag);
