/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "auth/jose.h"
#include "auth/keys.h"
#include "th.h"

/*
 * Independent oracle for kids and JWKS members, written with Debian's
 * python3-cryptography (never our code), and a PyJWT check that our JWKS
 * verifies tokens the openssl CLI signed with the fixture private keys.
 */
static const char oracle_py[] =
	"import base64, hashlib, json, subprocess, sys\n"
	"from cryptography.hazmat.primitives import serialization\n"
	"from cryptography.hazmat.primitives.asymmetric import rsa\n"
	"from cryptography.hazmat.primitives.asymmetric.utils import "
	"decode_dss_signature\n"
	"def b64(b):\n"
	"    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()\n"
	"def load_pub(path):\n"
	"    data = open(path, 'rb').read()\n"
	"    try:\n"
	"        return serialization.load_pem_public_key(data)\n"
	"    except ValueError:\n"
	"        return serialization.load_pem_private_key(data, None)"
	".public_key()\n"
	"def kid(pub):\n"
	"    der = pub.public_bytes(serialization.Encoding.DER,\n"
	"        serialization.PublicFormat.SubjectPublicKeyInfo)\n"
	"    return b64(hashlib.sha256(der).digest())\n"
	"def i2b(i, size=0):\n"
	"    return i.to_bytes(size or (i.bit_length() + 7) // 8, 'big')\n"
	"def jwk(pub):\n"
	"    n = pub.public_numbers()\n"
	"    if isinstance(pub, rsa.RSAPublicKey):\n"
	"        return ('{\"use\":\"sig\",\"kty\":\"RSA\",\"kid\":\"%s\",'\n"
	"                '\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"}'\n"
	"                % (kid(pub), b64(i2b(n.n)), b64(i2b(n.e))))\n"
	"    assert pub.curve.name == 'secp256r1'\n"
	"    return ('{\"use\":\"sig\",\"kty\":\"EC\",\"kid\":\"%s\",'\n"
	"            '\"crv\":\"P-256\",\"alg\":\"ES256\",\"x\":\"%s\",'\n"
	"            '\"y\":\"%s\"}' % (kid(pub), b64(i2b(n.x, 32)),\n"
	"                               b64(i2b(n.y, 32))))\n"
	"def sign(priv, alg, k, claims):\n"
	"    h = b64(json.dumps({'alg': alg, 'kid': k},\n"
	"            separators=(',', ':')).encode())\n"
	"    p = b64(json.dumps(claims, separators=(',', ':')).encode())\n"
	"    sig = subprocess.run(['openssl', 'dgst', '-sha256', '-sign', "
	"priv],\n"
	"        input=(h + '.' + p).encode(), capture_output=True,\n"
	"        check=True).stdout\n"
	"    if alg == 'ES256':\n"
	"        r, s = decode_dss_signature(sig)\n"
	"        sig = i2b(r, 32) + i2b(s, 32)\n"
	"    return h + '.' + p + '.' + b64(sig)\n"
	"if sys.argv[1] == 'expect':\n"
	"    print('{\"keys\":[' + ','.join(jwk(load_pub(p))\n"
	"          for p in sys.argv[2:]) + ']}', end='')\n"
	"elif sys.argv[1] == 'verify':\n"
	"    import jwt\n"
	"    ks = jwt.PyJWKSet.from_json(open(sys.argv[2]).read())\n"
	"    print('keys', len(ks.keys))\n"
	"    a = sys.argv[3:]\n"
	"    for priv, k, alg in zip(a[0::3], a[1::3], a[2::3]):\n"
	"        sub = 'system:serviceaccount:default:app'\n"
	"        tok = sign(priv, alg, k, {'aud': ['mockapi'], 'sub': sub,\n"
	"                                  'exp': 4102444800})\n"
	"        key = ks[jwt.get_unverified_header(tok)['kid']]\n"
	"        try:\n"
	"            c = jwt.decode(tok, key.key, algorithms=[alg],\n"
	"                           audience='mockapi')\n"
	"            print('valid', c['sub'] == sub)\n"
	"        except jwt.InvalidSignatureError:\n"
	"            print('badsig')\n";

struct fixture {
	char *tmp;
	char *oracle;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	size_t n;

	if (f == NULL) {
		return -1;
	}
	f->tmp = th_mkdtemp();
	n = strlen(f->tmp) + 16;
	f->oracle = malloc(n);
	if (f->oracle == NULL) {
		free(f->tmp);
		free(f);
		return -1;
	}
	(void)snprintf(f->oracle, n, "%s/oracle.py", f->tmp);
	th_write_file(f->oracle, oracle_py, sizeof(oracle_py) - 1);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	th_rmtree(f->tmp);
	free(f->tmp);
	free(f->oracle);
	free(f);
	return 0;
}

/* A path inside the fixture's temp dir; caller frees. */
static char *
tmp_path(const struct fixture *f, const char *name)
{
	size_t n = strlen(f->tmp) + strlen(name) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	(void)snprintf(p, n, "%s/%s", f->tmp, name);
	return p;
}

static struct mapi_key *
load_fixture(const char *rel)
{
	struct mapi_diag diag = { 0 };
	struct mapi_key *key = NULL;
	char *path = th_fixture_path(rel);
	enum mapi_err err = mapi_key_load_file(path, &key, &diag);

	if (err != MAPI_OK) {
		fail_msg("loading %s: %s (%s)", rel, mapi_err_name(err),
		         diag.msg);
	}
	free(path);
	return key;
}

/* Runs cmd and returns its stdout; fails the test on non-zero exit. */
static char *
run_ok(const char *cmd)
{
	char *out = NULL;
	int rc = th_run(cmd, &out);

	if (rc != 0) {
		fail_msg("command failed (%d): %s", rc, cmd);
	}
	return out;
}

/* kid of the SPKI in the PEM file at path, via the reference's pipeline. */
static char *
cli_kid(const char *path, bool pub)
{
	char cmd[1024];
	char *out;
	size_t n;

	(void)snprintf(cmd, sizeof(cmd),
	               "openssl pkey %s -in '%s' %s -outform DER | openssl "
	               "dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d "
	               "'='",
	               pub ? "-pubin" : "", path, pub ? "" : "-pubout");
	out = run_ok(cmd);
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r')) {
		out[--n] = '\0';
	}
	return out;
}

static void
test_keys_generate_makes_private_keys_of_each_type(void **state)
{
	static const struct {
		enum mapi_key_type type;
		enum mapi_jws_alg alg;
		const char *text; /* in `openssl pkey -pubin -text` */
	} cases[] = {
		{ MAPI_KEY_RSA2048, MAPI_JWS_RS256, "Public-Key: (2048 bit)" },
		{ MAPI_KEY_P256, MAPI_JWS_ES256, "ASN1 OID: prime256v1" },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mapi_key *key = NULL;
		struct mapi_key *pub = NULL;
		char *pem = NULL;
		char *path = tmp_path(f, "gen.pub.pem");
		char cmd[512];
		char *text;
		char *kid;

		assert_int_equal(mapi_key_generate(cases[i].type, &key),
		                 MAPI_OK);
		assert_int_equal(mapi_key_alg(key), cases[i].alg);
		assert_true(mapi_key_is_private(key));
		assert_non_null(mapi_key_pkey(key));
		assert_int_equal(strlen(mapi_key_kid(key)), MAPI_KEY_KID_LEN);
		assert_int_equal(mapi_key_public_pem(key, &pem), MAPI_OK);
		assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----\n"));
		th_write_file(path, pem, strlen(pem));
		(void)snprintf(cmd, sizeof(cmd),
		               "openssl pkey -pubin -in '%s' -noout -text",
		               path);
		text = run_ok(cmd);
		assert_non_null(strstr(text, cases[i].text));
		kid = cli_kid(path, true);
		assert_string_equal(kid, mapi_key_kid(key));
		/* The public form parses back to the same kid, not private. */
		assert_int_equal(
			mapi_key_parse_pem(pem, strlen(pem), &pub, NULL),
			MAPI_OK);
		assert_false(mapi_key_is_private(pub));
		assert_string_equal(mapi_key_kid(pub), mapi_key_kid(key));
		free(kid);
		free(text);
		free(pem);
		free(path);
		mapi_key_unref(pub);
		mapi_key_unref(key);
	}
}

static void
test_keys_generate_rejects_unknown_type(void **state)
{
	struct mapi_key *key = (struct mapi_key *)state; /* sentinel */

	assert_int_equal(mapi_key_generate((enum mapi_key_type)99, &key),
	                 MAPI_EINVAL);
	assert_ptr_equal(key, (struct mapi_key *)state);
}

static const struct {
	const char *file;
	bool pub;
	bool priv;
	enum mapi_jws_alg alg;
	int group; /* files in one group hold one key pair */
} fixture_forms[] = {
	{ "keys/rsa-2048.pkcs8.pem", false, true, MAPI_JWS_RS256, 1 },
	{ "keys/rsa-2048.pkcs1.pem", false, true, MAPI_JWS_RS256, 1 },
	{ "keys/rsa-2048.pub.pem", true, false, MAPI_JWS_RS256, 1 },
	{ "keys/rsa-2048-b.pkcs8.pem", false, true, MAPI_JWS_RS256, 2 },
	{ "keys/rsa-2048-b.pub.pem", true, false, MAPI_JWS_RS256, 2 },
	{ "keys/ec-p256.sec1.pem", false, true, MAPI_JWS_ES256, 3 },
	{ "keys/ec-p256.pkcs8.pem", false, true, MAPI_JWS_ES256, 3 },
	{ "keys/ec-p256.pub.pem", true, false, MAPI_JWS_ES256, 3 },
};

#define N_FORMS (sizeof(fixture_forms) / sizeof(fixture_forms[0]))

/* Two fixture files have one kid exactly when they hold one key pair. */
static void
check_same_kid(struct mapi_key *const *keys, size_t i, size_t j)
{
	bool same = strcmp(mapi_key_kid(keys[i]), mapi_key_kid(keys[j])) == 0;

	if (same != (fixture_forms[i].group == fixture_forms[j].group)) {
		fail_msg("kid of %s vs %s: same=%d", fixture_forms[i].file,
		         fixture_forms[j].file, same);
	}
}

static void
test_keys_parse_fixture_forms_share_kids_per_key_pair(void **state)
{
	struct mapi_key *keys[N_FORMS];
	size_t i;
	size_t j;

	(void)state;
	for (i = 0; i < N_FORMS; i++) {
		keys[i] = load_fixture(fixture_forms[i].file);
		assert_int_equal(mapi_key_alg(keys[i]), fixture_forms[i].alg);
		assert_int_equal(mapi_key_is_private(keys[i]),
		                 fixture_forms[i].priv);
	}
	for (i = 0; i < N_FORMS; i++) {
		for (j = 0; j < N_FORMS; j++) {
			check_same_kid(keys, i, j);
		}
	}
	for (i = 0; i < N_FORMS; i++) {
		mapi_key_unref(keys[i]);
	}
}

static void
test_keys_kid_matches_openssl_cli_pipeline(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_FORMS; i++) {
		char *path = th_fixture_path(fixture_forms[i].file);
		struct mapi_key *key = load_fixture(fixture_forms[i].file);
		char *kid = cli_kid(path, fixture_forms[i].pub);

		assert_int_equal(strlen(kid), MAPI_KEY_KID_LEN);
		if (strcmp(kid, mapi_key_kid(key)) != 0) {
			fail_msg("%s: kid %s, openssl says %s",
			         fixture_forms[i].file, mapi_key_kid(key), kid);
		}
		free(kid);
		free(path);
		mapi_key_unref(key);
	}
}

static void
test_keys_parse_rejects_bad_input_with_a_reason(void **state)
{
	/* Each file is made by `cmd` (run in the temp dir) unless text set. */
	static const struct {
		const char *name;
		const char *cmd;
		const char *text;
		enum mapi_err err;
		const char *diag;
	} cases[] = {
		{ "empty", NULL, "", MAPI_EINVAL, "no PEM key found" },
		{ "garbage", NULL, "this is not a key\n", MAPI_EINVAL,
		  "no PEM key found" },
		{ "bad-base64", NULL,
		  "-----BEGIN PRIVATE KEY-----\n!!!!\n"
		  "-----END PRIVATE KEY-----\n",
		  MAPI_EINVAL, "" },
		{ "not-der", NULL,
		  "-----BEGIN PRIVATE KEY-----\nAAAA\n"
		  "-----END PRIVATE KEY-----\n",
		  MAPI_EINVAL, "malformed key" },
		{ "rsa1024.pem",
		  "openssl genpkey -algorithm RSA -pkeyopt "
		  "rsa_keygen_bits:1024 "
		  "-out rsa1024.pem",
		  NULL, MAPI_EINVAL,
		  "RSA key of 1024 bits is too weak: at least 2048" },
		{ "rsa1024.pub.pem",
		  "openssl pkey -in rsa1024.pem -pubout -out rsa1024.pub.pem",
		  NULL, MAPI_EINVAL, "RSA key of 1024 bits is too weak" },
		{ "p384.pem",
		  "openssl genpkey -algorithm EC -pkeyopt "
		  "ec_paramgen_curve:P-384 -out p384.pem",
		  NULL, MAPI_EINVAL,
		  "EC key on curve secp384r1 is not supported: only P-256" },
		{ "p384.sec1.pem",
		  "openssl ec -in p384.pem -out p384.sec1.pem 2>/dev/null",
		  NULL, MAPI_EINVAL, "curve secp384r1 is not supported" },
		{ "ed25519.pem",
		  "openssl genpkey -algorithm ED25519 -out "
		  "ed25519.pem",
		  NULL, MAPI_EINVAL, "ED25519 keys are not supported" },
		{ "enc.pem",
		  "openssl pkcs8 -topk8 -in rsa1024.pem -passout pass:secret "
		  "-out enc.pem",
		  NULL, MAPI_EINVAL,
		  "encrypted private keys are not supported" },
		{ "legacy-enc.pem",
		  "openssl rsa -in rsa1024.pem -traditional -aes128 -passout "
		  "pass:secret -out legacy-enc.pem 2>/dev/null",
		  NULL, MAPI_EINVAL, "PEM headers" },
		{ "cert.pem",
		  "openssl req -x509 -key rsa1024.pem -subj /CN=x -days 1 -out "
		  "cert.pem 2>/dev/null",
		  NULL, MAPI_EINVAL, "\"CERTIFICATE\" is not a key" },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mapi_diag diag = { 0 };
		struct mapi_key *key = NULL;
		char *path = tmp_path(f, cases[i].name);
		enum mapi_err err;

		if (cases[i].cmd != NULL) {
			char cmd[512];

			(void)snprintf(cmd, sizeof(cmd), "cd '%s' && %s",
			               f->tmp, cases[i].cmd);
			free(run_ok(cmd));
		} else {
			th_write_file(path, cases[i].text,
			              strlen(cases[i].text));
		}
		err = mapi_key_load_file(path, &key, &diag);
		if (err != cases[i].err ||
		    strstr(diag.msg, cases[i].diag) == NULL) {
			fail_msg("%s: %s \"%s\", want %s \"%s\"", cases[i].name,
			         mapi_err_name(err), diag.msg,
			         mapi_err_name(cases[i].err), cases[i].diag);
		}
		/* The diag names the file, and nothing was written out. */
		assert_non_null(strstr(diag.msg, path));
		assert_null(key);
		free(path);
	}
}

/*
 * Rewrites the PKCS#1 fixture with one component changed: argv 1 in, 2 out,
 * 3 which (1 n .. 8 qInv), 4 how ("add2": +2; "swap": with the next one; "none").
 */
static const char tamper_py[] =
	"import base64, sys\n"
	"t = open(sys.argv[1]).read().split('-----')[2]\n"
	"der = base64.b64decode(''.join(t.split()))\n"
	"def tlv(b, i):\n"
	"    tag, n = b[i], b[i + 1]; i += 2\n"
	"    if n & 0x80:\n"
	"        k = n & 0x7f; n = int.from_bytes(b[i:i + k], 'big'); i += k\n"
	"    return tag, b[i:i + n], i + n\n"
	"_, body, _ = tlv(der, 0)\n"
	"v, i = [], 0\n"
	"while i < len(body):\n"
	"    _, x, i = tlv(body, i); v.append(int.from_bytes(x, 'big'))\n"
	"k = int(sys.argv[3])\n"
	"if sys.argv[4] == 'add2': v[k] += 2\n"
	"elif sys.argv[4] == 'swap': v[k], v[k + 1] = v[k + 1], v[k]\n"
	"def enc(tag, b):\n"
	"    n = len(b)\n"
	"    if n < 128: return bytes([tag, n]) + b\n"
	"    l = n.to_bytes((n.bit_length() + 7) // 8, 'big')\n"
	"    return bytes([tag, 0x80 | len(l)]) + l + b\n"
	"def integer(x):\n"
	"    b = x.to_bytes(x.bit_length() // 8 + 1, 'big')\n"
	"    return enc(2, b)\n"
	"out = enc(0x30, b''.join(integer(x) for x in v))\n"
	"b = base64.b64encode(out).decode()\n"
	"open(sys.argv[2], 'w').write('-----BEGIN RSA PRIVATE KEY-----\\n' +\n"
	"    '\\n'.join(b[j:j + 64] for j in range(0, len(b), 64)) +\n"
	"    '\\n-----END RSA PRIVATE KEY-----\\n')\n";

/*
 * A private RSA key whose components disagree is refused (the check is
 * arithmetic, not OpenSSL's slow primality test); the same rewrite with
 * nothing changed still loads.
 */
static void
test_keys_parse_rejects_inconsistent_rsa_private_key(void **state)
{
	static const struct {
		int which;
		const char *how;
	} cases[] = {
		{ 3, "add2" }, /* d */
		{ 4, "swap" }, /* p <-> q: qInv no longer matches */
		{ 6, "add2" }, /* dP */
		{ 7, "add2" }, /* dQ */
		{ 8, "add2" }, /* qInv */
		{ 1, "add2" }, /* n */
	};
	struct fixture *f = *state;
	char *py = tmp_path(f, "tamper.py");
	char *fx = th_fixture_path("keys/rsa-2048.pkcs1.pem");
	char *bad = tmp_path(f, "bad.pem");
	size_t i;

	th_write_file(py, tamper_py, sizeof(tamper_py) - 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mapi_diag diag = { 0 };
		struct mapi_key *key = NULL;
		char cmd[1024];
		enum mapi_err err;

		(void)snprintf(cmd, sizeof(cmd),
		               "/usr/bin/python3 '%s' '%s' '%s' %d %s", py, fx,
		               bad, cases[i].which, cases[i].how);
		free(run_ok(cmd));
		err = mapi_key_load_file(bad, &key, &diag);
		if (err != MAPI_EINVAL ||
		    strstr(diag.msg, "consistency check") == NULL) {
			fail_msg("component %d %s: %s \"%s\"", cases[i].which,
			         cases[i].how, mapi_err_name(err), diag.msg);
		}
		assert_null(key);
		/* The same key as PKCS#8, the form read without decoders. */
		(void)snprintf(cmd, sizeof(cmd),
		               "openssl pkcs8 -topk8 -nocrypt -in '%s' -out "
		               "'%s.p8' && grep -q 'BEGIN PRIVATE KEY' '%s.p8'",
		               bad, bad, bad);
		free(run_ok(cmd));
		(void)snprintf(cmd, sizeof(cmd), "%s.p8", bad);
		err = mapi_key_load_file(cmd, &key, &diag);
		if (err != MAPI_EINVAL ||
		    strstr(diag.msg, "consistency check") == NULL) {
			fail_msg("PKCS#8 component %d %s: %s \"%s\"",
			         cases[i].which, cases[i].how,
			         mapi_err_name(err), diag.msg);
		}
		assert_null(key);
	}
	/* Control: the same rewrite with nothing changed loads. */
	{
		struct mapi_diag diag = { 0 };
		struct mapi_key *key = NULL;
		char cmd[1024];

		(void)snprintf(cmd, sizeof(cmd),
		               "/usr/bin/python3 '%s' '%s' '%s' 0 none", py, fx,
		               bad);
		free(run_ok(cmd));
		assert_int_equal(mapi_key_load_file(bad, &key, &diag),
		                 MAPI_OK);
		assert_true(mapi_key_is_private(key));
		mapi_key_unref(key);
	}
	free(py);
	free(fx);
	free(bad);
}

/* Replaces every "\n" of src with sep; caller frees. */
static char *
resep(const char *src, const char *sep)
{
	size_t n = strlen(src);
	char *out = malloc(n * (strlen(sep) + 1) + 1);
	char *o = out;

	assert_non_null(out);
	for (; *src != '\0'; src++) {
		if (*src == '\n') {
			o += sprintf(o, "%s", sep);
		} else {
			*o++ = *src;
		}
	}
	*o = '\0';
	return out;
}

/*
 * The PKCS#8 PEM mockapi writes is read by a direct DER reader; the other
 * spellings of the same file (line ends, wrapping, surrounding text, more
 * blocks) take OpenSSL's general reader. Every spelling must give the same
 * key, and broken text must still be refused.
 */
static void
test_keys_parse_pkcs8_spellings_give_one_key(void **state)
{
	static const char *const files[] = { "keys/rsa-2048.pkcs8.pem",
		                             "keys/ec-p256.pkcs8.pem" };
	static const char cert_block[] = "-----BEGIN CERTIFICATE-----\n"
	                                 "MAA=\n-----END CERTIFICATE-----\n";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct mapi_key *ref = load_fixture(files[i]);
		char *path = th_fixture_path(files[i]);
		size_t len = 0;
		char *pem = th_read_file(path, &len);
		char *v[6];
		char *bad;
		size_t j;
		size_t n;
		struct mapi_diag diag = { 0 };
		struct mapi_key *key = NULL;

		assert_non_null(pem);
		v[0] = resep(pem, "\r\n");
		v[1] = malloc(len + 8);
		assert_non_null(v[1]);
		n = (size_t)sprintf(v[1], "\n \t%s", pem);
		v[1][n - 1] = '\0'; /* no final newline */
		v[2] = malloc(len + sizeof(cert_block));
		assert_non_null(v[2]);
		(void)sprintf(v[2], "%s%s", pem, cert_block);
		v[3] = malloc(len + 32);
		assert_non_null(v[3]);
		(void)sprintf(v[3], "Bag Attributes: none\n%s", pem);
		/* One base64 line per block (no wrapping at all). */
		v[4] = resep(pem, "");
		v[5] = malloc(len + 4);
		assert_non_null(v[5]);
		(void)memcpy(v[5], v[4], strlen(v[4]) + 1);
		{
			/* Put back the newlines around the armour only. */
			char *b = strstr(v[5], "-----BEGIN PRIVATE KEY-----");
			char *e = strstr(v[5], "-----END PRIVATE KEY-----");
			char *tmp;

			assert_non_null(b);
			assert_non_null(e);
			tmp = malloc(strlen(v[5]) + 4);
			assert_non_null(tmp);
			b += strlen("-----BEGIN PRIVATE KEY-----");
			(void)sprintf(tmp, "-----BEGIN PRIVATE KEY-----\n%.*s\n%s\n",
			              (int)(e - b), b, e);
			free(v[5]);
			v[5] = tmp;
		}
		for (j = 0; j < 6; j++) {
			enum mapi_err err = mapi_key_parse_pem(
				v[j], strlen(v[j]), &key, &diag);

			if (j == 4) {
				/* Armour glued to the base64: not PEM. */
				assert_int_not_equal(err, MAPI_OK);
				assert_null(key);
				continue;
			}
			if (err != MAPI_OK) {
				fail_msg("%s spelling %zu: %s (%s)", files[i], j,
				         mapi_err_name(err), diag.msg);
			}
			assert_string_equal(mapi_key_kid(key),
			                    mapi_key_kid(ref));
			assert_true(mapi_key_is_private(key));
			mapi_key_unref(key);
			key = NULL;
		}
		/* A character outside base64 in the body is refused. */
		bad = strdup(pem);
		assert_non_null(bad);
		bad[strlen("-----BEGIN PRIVATE KEY-----\n") + 10] = '*';
		assert_int_equal(mapi_key_parse_pem(bad, strlen(bad), &key,
		                                    &diag),
		                 MAPI_EINVAL);
		assert_null(key);
		for (j = 0; j < 6; j++) {
			free(v[j]);
		}
		free(bad);
		free(pem);
		free(path);
		mapi_key_unref(ref);
	}
}

static void
test_keys_parse_accepts_ec_parameters_block_before_key(void **state)
{
	struct fixture *f = *state;
	struct mapi_key *key = NULL;
	struct mapi_diag diag = { 0 };
	char *path = tmp_path(f, "ecparam.pem");
	char cmd[512];
	char *kid;

	(void)snprintf(cmd, sizeof(cmd),
	               "cd '%s' && openssl ecparam -name prime256v1 -genkey "
	               "-out ecparam.pem && grep -q 'BEGIN EC PARAMETERS' "
	               "ecparam.pem",
	               f->tmp);
	free(run_ok(cmd));
	assert_int_equal(mapi_key_load_file(path, &key, &diag), MAPI_OK);
	assert_true(mapi_key_is_private(key));
	assert_int_equal(mapi_key_alg(key), MAPI_JWS_ES256);
	kid = cli_kid(path, false);
	assert_string_equal(kid, mapi_key_kid(key));
	free(kid);
	free(path);
	mapi_key_unref(key);
}

static void
test_keys_parse_rejects_oversized_pem(void **state)
{
	struct mapi_diag diag = { 0 };
	struct mapi_key *key = NULL;
	size_t n = MAPI_KEY_PEM_MAX + 1;
	char *big = malloc(n);

	(void)state;
	assert_non_null(big);
	memset(big, 'A', n);
	assert_int_equal(mapi_key_parse_pem(big, n, &key, &diag),
	                 MAPI_ETOOLARGE);
	assert_null(key);
	assert_non_null(strstr(diag.msg, "larger than"));
	free(big);
}

static void
test_keys_load_file_reports_missing_file(void **state)
{
	struct fixture *f = *state;
	struct mapi_diag diag = { 0 };
	struct mapi_key *key = NULL;
	char *path = tmp_path(f, "nope.pem");

	assert_int_equal(mapi_key_load_file(path, &key, &diag), MAPI_ENOTFOUND);
	assert_null(key);
	assert_non_null(strstr(diag.msg, path));
	free(path);
}

/* Names in dir other than "oracle.py", "." and ".."; caller frees. */
static size_t
count_entries(const char *dir, const char *only)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, "oracle.py") == 0) {
			continue;
		}
		if (only != NULL && strcmp(e->d_name, only) != 0) {
			fail_msg("unexpected file %s in %s", e->d_name, dir);
		}
		n++;
	}
	(void)closedir(d);
	return n;
}

static void
test_keys_save_private_is_0600_atomic_and_reloads(void **state)
{
	static const char *const files[] = { "keys/rsa-2048.pkcs1.pem",
		                             "keys/ec-p256.sec1.pem" };
	struct fixture *f = *state;
	char *path = tmp_path(f, "sa.key");
	size_t i;

	/* A wider pre-existing file is replaced, not chmod'ed in place. */
	th_write_file(path, "old", 3);
	assert_int_equal(chmod(path, 0644), 0);
	for (i = 0; i < 2; i++) {
		struct mapi_key *key = load_fixture(files[i]);
		struct mapi_key *back = NULL;
		struct mapi_diag diag = { 0 };
		struct stat st;
		char *text;

		assert_int_equal(mapi_key_save_private(key, path), MAPI_OK);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		assert_int_equal(count_entries(f->tmp, "sa.key"), 1);
		text = th_read_file(path, NULL);
		assert_true(strncmp(text, "-----BEGIN PRIVATE KEY-----\n",
		                    28) == 0);
		free(text);
		assert_int_equal(mapi_key_load_file(path, &back, &diag),
		                 MAPI_OK);
		assert_true(mapi_key_is_private(back));
		assert_string_equal(mapi_key_kid(back), mapi_key_kid(key));
		mapi_key_unref(back);
		mapi_key_unref(key);
	}
	free(path);
}

static void
test_keys_save_private_refuses_public_and_missing_dir(void **state)
{
	struct fixture *f = *state;
	struct mapi_key *pub = load_fixture("keys/rsa-2048.pub.pem");
	struct mapi_key *priv = load_fixture("keys/ec-p256.pkcs8.pem");
	char *path = tmp_path(f, "pub.key");
	char *nodir = tmp_path(f, "missing/dir/sa.key");

	assert_int_equal(mapi_key_save_private(pub, path), MAPI_EINVAL);
	assert_int_not_equal(mapi_key_save_private(priv, nodir), MAPI_OK);
	assert_int_equal(count_entries(f->tmp, NULL), 0);
	free(path);
	free(nodir);
	mapi_key_unref(pub);
	mapi_key_unref(priv);
}

/*
 * Found by fuzz_keys: an RSA public key whose (mutated) modulus has a
 * factor Miller-Rabin may reveal was accepted or refused at random
 * (OpenSSL's public check uses random bases). Parsing is deterministic now.
 */
static void
test_keys_parse_rsa_public_key_is_deterministic(void **state)
{
	char *path = th_fixture_path(
		"fuzz/keys/regressions/rsa-public-modulus-random-check");
	size_t len = 0;
	char *pem = th_read_file(path, &len);
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		struct mapi_key *key = NULL;
		struct mapi_diag diag = { 0 };

		if (mapi_key_parse_pem(pem, len, &key, &diag) != MAPI_OK) {
			fail_msg("parse %d failed: %s", i, diag.msg);
		}
		assert_false(mapi_key_is_private(key));
		mapi_key_unref(key);
	}
	free(pem);
	free(path);
}

static void
test_keys_ref_outlives_keyset(void **state)
{
	struct mapi_keyset *ks = NULL;
	struct mapi_key *key = load_fixture("keys/ec-p256.pkcs8.pem");
	struct mapi_key *got;
	char kid[MAPI_KEY_KID_LEN + 1];

	(void)state;
	(void)snprintf(kid, sizeof(kid), "%s", mapi_key_kid(key));
	assert_int_equal(mapi_keyset_new(&ks), MAPI_OK);
	assert_int_equal(mapi_keyset_set_active(ks, key), MAPI_OK);
	mapi_key_unref(key); /* the keyset holds its own */
	got = mapi_keyset_active(ks);
	mapi_keyset_free(ks);
	assert_non_null(got);
	assert_string_equal(mapi_key_kid(got), kid);
	assert_ptr_equal(mapi_key_ref(got), got);
	mapi_key_unref(got);
	mapi_key_unref(got);
	mapi_key_unref(NULL);
	assert_null(mapi_key_ref(NULL));
	mapi_keyset_free(NULL);
}

static void
test_keyset_rotation_keeps_previous_key_for_verification(void **state)
{
	struct mapi_keyset *ks = NULL;
	struct mapi_key *a = load_fixture("keys/rsa-2048.pkcs8.pem");
	struct mapi_key *a_pub = load_fixture("keys/rsa-2048.pub.pem");
	struct mapi_key *b = load_fixture("keys/ec-p256.sec1.pem");
	struct mapi_key *c_pub = load_fixture("keys/rsa-2048-b.pub.pem");
	struct mapi_key **snap = NULL;
	struct mapi_key *k;
	size_t n = 0;
	unsigned mask = 99;

	(void)state;
	assert_int_equal(mapi_keyset_new(&ks), MAPI_OK);
	assert_null(mapi_keyset_active(ks));
	assert_int_equal(mapi_keyset_count(ks), 0);
	assert_int_equal(mapi_keyset_algs(ks, &mask), MAPI_OK);
	assert_int_equal(mask, 0);
	assert_int_equal(mapi_keyset_snapshot(ks, &snap, &n), MAPI_OK);
	assert_null(snap);
	assert_int_equal(n, 0);

	/* Only a private key can sign. */
	assert_int_equal(mapi_keyset_set_active(ks, a_pub), MAPI_EINVAL);
	assert_int_equal(mapi_keyset_count(ks), 0);

	assert_int_equal(mapi_keyset_set_active(ks, a), MAPI_OK);
	k = mapi_keyset_active(ks);
	assert_ptr_equal(k, a);
	mapi_key_unref(k);

	assert_int_equal(mapi_keyset_set_active(ks, b), MAPI_OK);
	k = mapi_keyset_active(ks);
	assert_ptr_equal(k, b);
	mapi_key_unref(k);
	assert_int_equal(mapi_keyset_count(ks), 2);
	k = mapi_keyset_find(ks, mapi_key_kid(a));
	assert_ptr_equal(k, a);
	mapi_key_unref(k);

	/* A public copy of a key already present changes nothing. */
	assert_int_equal(mapi_keyset_add_verify(ks, a_pub), MAPI_OK);
	assert_int_equal(mapi_keyset_add_verify(ks, c_pub), MAPI_OK);
	assert_int_equal(mapi_keyset_count(ks), 3);
	assert_null(mapi_keyset_find(ks, "no-such-kid"));
	assert_null(mapi_keyset_find(ks, NULL));

	assert_int_equal(mapi_keyset_snapshot(ks, &snap, &n), MAPI_OK);
	assert_int_equal(n, 3);
	assert_ptr_equal(snap[0], b);
	assert_ptr_equal(snap[1], a);
	assert_ptr_equal(snap[2], c_pub);
	mapi_keyset_snapshot_free(snap, n);
	mapi_keyset_snapshot_free(NULL, 0);

	assert_int_equal(mapi_keyset_algs(ks, &mask), MAPI_OK);
	assert_int_equal(mask, MAPI_JWS_RS256 | MAPI_JWS_ES256);

	/* Re-activating a present key keeps one entry. */
	assert_int_equal(mapi_keyset_set_active(ks, a), MAPI_OK);
	assert_int_equal(mapi_keyset_count(ks), 3);

	/* Removing one retired key keeps the others and their order. */
	assert_int_equal(mapi_keyset_remove(ks, mapi_key_kid(a)), MAPI_EINVAL);
	assert_int_equal(mapi_keyset_remove(ks, "no-such-kid"), MAPI_ENOTFOUND);
	assert_int_equal(mapi_keyset_remove(ks, NULL), MAPI_EINVAL);
	assert_int_equal(mapi_keyset_remove(ks, mapi_key_kid(b)), MAPI_OK);
	assert_int_equal(mapi_keyset_count(ks), 2);
	assert_null(mapi_keyset_find(ks, mapi_key_kid(b)));
	assert_int_equal(mapi_keyset_snapshot(ks, &snap, &n), MAPI_OK);
	assert_int_equal(n, 2);
	assert_ptr_equal(snap[0], a);
	assert_ptr_equal(snap[1], c_pub);
	mapi_keyset_snapshot_free(snap, n);
	assert_int_equal(mapi_keyset_add_verify(ks, b), MAPI_OK);

	assert_int_equal(mapi_keyset_drop_inactive(ks), MAPI_OK);
	assert_int_equal(mapi_keyset_count(ks), 1);
	assert_null(mapi_keyset_find(ks, mapi_key_kid(b)));
	assert_null(mapi_keyset_find(ks, mapi_key_kid(c_pub)));
	k = mapi_keyset_find(ks, mapi_key_kid(a));
	assert_ptr_equal(k, a);
	mapi_key_unref(k);
	assert_int_equal(mapi_keyset_algs(ks, &mask), MAPI_OK);
	assert_int_equal(mask, MAPI_JWS_RS256);

	mapi_keyset_free(ks);
	mapi_key_unref(a);
	mapi_key_unref(a_pub);
	mapi_key_unref(b);
	mapi_key_unref(c_pub);
}

static void
test_keyset_public_copy_upgraded_by_private_activation(void **state)
{
	struct mapi_keyset *ks = NULL;
	struct mapi_key *pub = load_fixture("keys/ec-p256.pub.pem");
	struct mapi_key *priv = load_fixture("keys/ec-p256.pkcs8.pem");
	struct mapi_key *other = load_fixture("keys/rsa-2048-b.pub.pem");
	struct mapi_key **snap = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(mapi_keyset_new(&ks), MAPI_OK);
	assert_int_equal(mapi_keyset_add_verify(ks, other), MAPI_OK);
	assert_int_equal(mapi_keyset_add_verify(ks, pub), MAPI_OK);
	assert_int_equal(mapi_keyset_set_active(ks, priv), MAPI_OK);
	assert_int_equal(mapi_keyset_count(ks), 2);
	assert_int_equal(mapi_keyset_snapshot(ks, &snap, &n), MAPI_OK);
	assert_int_equal(n, 2);
	assert_ptr_equal(snap[0], priv);
	assert_true(mapi_key_is_private(snap[0]));
	assert_ptr_equal(snap[1], other);
	mapi_keyset_snapshot_free(snap, n);
	mapi_keyset_free(ks);
	mapi_key_unref(pub);
	mapi_key_unref(priv);
	mapi_key_unref(other);
}

static void
test_keyset_is_bounded(void **state)
{
	struct mapi_keyset *ks = NULL;
	struct mapi_key *extra = NULL;
	size_t i;

	(void)state;
	assert_int_equal(mapi_keyset_new(&ks), MAPI_OK);
	for (i = 0; i < MAPI_KEYSET_MAX; i++) {
		struct mapi_key *k = NULL;

		assert_int_equal(mapi_key_generate(MAPI_KEY_P256, &k), MAPI_OK);
		assert_int_equal(mapi_keyset_add_verify(ks, k), MAPI_OK);
		mapi_key_unref(k);
	}
	assert_int_equal(mapi_key_generate(MAPI_KEY_P256, &extra), MAPI_OK);
	assert_int_equal(mapi_keyset_add_verify(ks, extra), MAPI_ETOOMANY);
	assert_int_equal(mapi_keyset_set_active(ks, extra), MAPI_ETOOMANY);
	assert_null(mapi_keyset_active(ks));
	assert_int_equal(mapi_keyset_count(ks), MAPI_KEYSET_MAX);
	assert_int_equal(mapi_keyset_drop_inactive(ks), MAPI_OK);
	assert_int_equal(mapi_keyset_count(ks), 0);
	mapi_key_unref(extra);
	mapi_keyset_free(ks);
}

/* The oracle's JWKS for these fixture files, in this order. */
static char *
expected_jwks(const struct fixture *f, const char *const *rels, size_t n)
{
	char cmd[4096];
	size_t o;
	size_t i;

	o = (size_t)snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' expect",
	                     f->oracle);
	for (i = 0; i < n; i++) {
		char *p = th_fixture_path(rels[i]);

		o += (size_t)snprintf(cmd + o, sizeof(cmd) - o, " '%s'", p);
		free(p);
		assert_true(o < sizeof(cmd));
	}
	return run_ok(cmd);
}

static void
test_keyset_jwks_is_byte_exact(void **state)
{
	static const char *const order[] = { "keys/ec-p256.pub.pem",
		                             "keys/rsa-2048.pub.pem",
		                             "keys/rsa-2048-b.pub.pem" };
	struct fixture *f = *state;
	struct mapi_keyset *ks = NULL;
	struct mapi_key *rsa = load_fixture("keys/rsa-2048.pkcs1.pem");
	struct mapi_key *rsa_b = load_fixture("keys/rsa-2048-b.pub.pem");
	struct mapi_key *ec = load_fixture("keys/ec-p256.sec1.pem");
	char *json = NULL;
	char *want;

	assert_int_equal(mapi_keyset_new(&ks), MAPI_OK);
	assert_int_equal(mapi_keyset_jwks(ks, &json), MAPI_OK);
	assert_string_equal(json, "{\"keys\":[]}");
	free(json);

	/* rsa inserted first, then rsa-b; ec active → ec, rsa, rsa-b. */
	assert_int_equal(mapi_keyset_set_active(ks, rsa), MAPI_OK);
	assert_int_equal(mapi_keyset_add_verify(ks, rsa_b), MAPI_OK);
	assert_int_equal(mapi_keyset_set_active(ks, ec), MAPI_OK);
	assert_int_equal(mapi_keyset_jwks(ks, &json), MAPI_OK);
	want = expected_jwks(f, order, 3);
	assert_string_equal(json, want);
	/* Spot-check the shape literally too, in case the oracle drifts. */
	assert_true(strncmp(json,
	                    "{\"keys\":[{\"use\":\"sig\",\"kty\":\"EC\","
	                    "\"kid\":\"",
	                    40) == 0);
	assert_non_null(strstr(json, "\",\"alg\":\"RS256\",\"n\":\""));
	assert_non_null(strstr(json, "\",\"e\":\"AQAB\"}"));
	assert_string_equal(strstr(json, mapi_key_jwk(ec)), json + 9);
	free(want);
	free(json);
	mapi_keyset_free(ks);
	mapi_key_unref(rsa);
	mapi_key_unref(rsa_b);
	mapi_key_unref(ec);
}

/*
 * x and y are left-padded to 32 bytes: find a generated key whose x or y
 * has a leading zero byte (1 in 128 keys), and compare with the oracle.
 */
static void
test_keys_ec_coordinates_are_left_padded(void **state)
{
	struct fixture *f = *state;
	struct mapi_key *key = NULL;
	int tries;

	for (tries = 0; tries < 4096; tries++) {
		const char *jwk;
		const char *x;
		const char *y;
		uint8_t *bx = NULL;
		uint8_t *by = NULL;
		size_t nx = 0;
		size_t ny = 0;
		bool padded;

		assert_int_equal(mapi_key_generate(MAPI_KEY_P256, &key),
		                 MAPI_OK);
		jwk = mapi_key_jwk(key);
		x = strstr(jwk, "\"x\":\"");
		y = strstr(jwk, "\"y\":\"");
		assert_non_null(x);
		assert_non_null(y);
		assert_int_equal(mapi_b64url_decode(x + 5, 43, &bx, &nx),
		                 MAPI_OK);
		assert_int_equal(mapi_b64url_decode(y + 5, 43, &by, &ny),
		                 MAPI_OK);
		assert_int_equal(nx, 32);
		assert_int_equal(ny, 32);
		assert_int_equal(x[5 + 43], '"');
		assert_int_equal(y[5 + 43], '"');
		padded = bx[0] == 0 || by[0] == 0;
		free(bx);
		free(by);
		if (padded) {
			break;
		}
		mapi_key_unref(key);
		key = NULL;
	}
	assert_non_null(key);
	{
		struct mapi_keyset *ks = NULL;
		char *pem = NULL;
		char *path = tmp_path(f, "padded.pub.pem");
		char *json = NULL;
		char cmd[1024];
		char *want;

		assert_int_equal(mapi_key_public_pem(key, &pem), MAPI_OK);
		th_write_file(path, pem, strlen(pem));
		(void)snprintf(cmd, sizeof(cmd),
		               "/usr/bin/python3 '%s' expect '%s'", f->oracle,
		               path);
		want = run_ok(cmd);
		assert_int_equal(mapi_keyset_new(&ks), MAPI_OK);
		assert_int_equal(mapi_keyset_set_active(ks, key), MAPI_OK);
		assert_int_equal(mapi_keyset_jwks(ks, &json), MAPI_OK);
		assert_string_equal(json, want);
		free(json);
		free(want);
		free(pem);
		free(path);
		mapi_keyset_free(ks);
	}
	mapi_key_unref(key);
}

static void
test_keyset_jwks_verifies_openssl_signed_tokens_in_pyjwt(void **state)
{
	struct fixture *f = *state;
	struct mapi_keyset *ks = NULL;
	struct mapi_key *rsa = load_fixture("keys/rsa-2048.pub.pem");
	struct mapi_key *ec = load_fixture("keys/ec-p256.pkcs8.pem");
	struct mapi_key *rsa_b = load_fixture("keys/rsa-2048-b.pub.pem");
	char *jwks_path = tmp_path(f, "jwks.json");
	char *rsa_priv = th_fixture_path("keys/rsa-2048.pkcs8.pem");
	char *rsa_b_priv = th_fixture_path("keys/rsa-2048-b.pkcs8.pem");
	char *ec_priv = th_fixture_path("keys/ec-p256.sec1.pem");
	char *json = NULL;
	char *out;
	char cmd[4096];

	assert_int_equal(mapi_keyset_new(&ks), MAPI_OK);
	assert_int_equal(mapi_keyset_set_active(ks, ec), MAPI_OK);
	assert_int_equal(mapi_keyset_add_verify(ks, rsa), MAPI_OK);
	assert_int_equal(mapi_keyset_add_verify(ks, rsa_b), MAPI_OK);
	assert_int_equal(mapi_keyset_jwks(ks, &json), MAPI_OK);
	th_write_file(jwks_path, json, strlen(json));
	/*
	 * Three tokens: RS256 by rsa, ES256 by ec, and one signed by rsa-b
	 * but claiming rsa's kid, which must fail — so the check can fail.
	 */
	(void)snprintf(cmd, sizeof(cmd),
	               "/usr/bin/python3 '%s' verify '%s' '%s' %s RS256 "
	               "'%s' %s ES256 '%s' %s RS256",
	               f->oracle, jwks_path, rsa_priv, mapi_key_kid(rsa),
	               ec_priv, mapi_key_kid(ec), rsa_b_priv,
	               mapi_key_kid(rsa));
	out = run_ok(cmd);
	assert_string_equal(out, "keys 3\nvalid True\nvalid True\nbadsig\n");
	free(out);
	free(json);
	free(jwks_path);
	free(rsa_priv);
	free(rsa_b_priv);
	free(ec_priv);
	mapi_keyset_free(ks);
	mapi_key_unref(rsa);
	mapi_key_unref(ec);
	mapi_key_unref(rsa_b);
}

/* Readers never see a half-rotated keyset while a writer rotates. */
struct race {
	struct mapi_keyset *ks;
	atomic_int bad;
};

static void *
reader(void *arg)
{
	struct race *r = arg;
	int i;

	for (i = 0; i < 2000; i++) {
		struct mapi_key *act = mapi_keyset_active(r->ks);
		struct mapi_key *found;
		char *json = NULL;

		if (act == NULL) {
			r->bad++;
			continue;
		}
		/*
		 * The writer may rotate and drop act between the two calls,
		 * so a miss is fine; finding a different key under act's kid
		 * is not.
		 */
		found = mapi_keyset_find(r->ks, mapi_key_kid(act));
		if ((found != NULL && found != act) ||
		    !mapi_key_is_private(act)) {
			r->bad++;
		}
		if (mapi_keyset_jwks(r->ks, &json) != MAPI_OK ||
		    strstr(json, "{\"keys\":[{\"use\":\"sig\"") != json) {
			r->bad++;
		}
		free(json);
		mapi_key_unref(found);
		mapi_key_unref(act);
	}
	return NULL;
}

static void
test_keyset_readers_see_consistent_state_during_rotation(void **state)
{
	struct mapi_key *keys[4];
	struct race r = { 0 };
	pthread_t th[2];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_int_equal(mapi_key_generate(MAPI_KEY_P256, &keys[i]),
		                 MAPI_OK);
	}
	assert_int_equal(mapi_keyset_new(&r.ks), MAPI_OK);
	assert_int_equal(mapi_keyset_set_active(r.ks, keys[0]), MAPI_OK);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, reader, &r), 0);
	}
	for (i = 0; i < 2000; i++) {
		assert_int_equal(mapi_keyset_set_active(r.ks, keys[i % 4]),
		                 MAPI_OK);
		if (i % 7 == 0) {
			assert_int_equal(mapi_keyset_drop_inactive(r.ks),
			                 MAPI_OK);
		}
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
	}
	assert_int_equal(r.bad, 0);
	mapi_keyset_free(r.ks);
	for (i = 0; i < 4; i++) {
		mapi_key_unref(keys[i]);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_keys_generate_makes_private_keys_of_each_type),
		T(test_keys_generate_rejects_unknown_type),
		T(test_keys_parse_fixture_forms_share_kids_per_key_pair),
		T(test_keys_kid_matches_openssl_cli_pipeline),
		T(test_keys_parse_rejects_bad_input_with_a_reason),
		T(test_keys_parse_rejects_inconsistent_rsa_private_key),
		T(test_keys_parse_pkcs8_spellings_give_one_key),
		T(test_keys_parse_accepts_ec_parameters_block_before_key),
		T(test_keys_parse_rejects_oversized_pem),
		T(test_keys_load_file_reports_missing_file),
		T(test_keys_save_private_is_0600_atomic_and_reloads),
		T(test_keys_save_private_refuses_public_and_missing_dir),
		T(test_keys_parse_rsa_public_key_is_deterministic),
		T(test_keys_ref_outlives_keyset),
		T(test_keyset_rotation_keeps_previous_key_for_verification),
		T(test_keyset_public_copy_upgraded_by_private_activation),
		T(test_keyset_is_bounded),
		T(test_keyset_jwks_is_byte_exact),
		T(test_keys_ec_coordinates_are_left_padded),
		T(test_keyset_jwks_verifies_openssl_signed_tokens_in_pyjwt),
		T(test_keyset_readers_see_consistent_state_during_rotation),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
