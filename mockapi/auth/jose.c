/* SPDX-License-Identifier: MIT */
#include "auth/jose.h"

#include <stdlib.h>
#include <string.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char *
mapi_jws_alg_name(enum mapi_jws_alg alg)
{
	switch (alg) {
	case MAPI_JWS_RS256:
		return "RS256";
	case MAPI_JWS_ES256:
		return "ES256";
	case MAPI_JWS_NONE:
	default:
		return NULL;
	}
}

enum mapi_jws_alg
mapi_jws_alg_parse(const char *name)
{
	if (name == NULL) {
		return MAPI_JWS_NONE;
	}
	if (strcmp(name, "RS256") == 0) {
		return MAPI_JWS_RS256;
	}
	if (strcmp(name, "ES256") == 0) {
		return MAPI_JWS_ES256;
	}
	return MAPI_JWS_NONE;
}

size_t
mapi_b64url_encoded_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t
mapi_b64url_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i = 0;
	size_t o = 0;

	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		             in[i + 2];

		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

char *
mapi_b64url_encode_dup(const uint8_t *in, size_t n)
{
	char *out = malloc(mapi_b64url_encoded_len(n) + 1);

	if (out != NULL) {
		(void)mapi_b64url_encode(in, n, out);
	}
	return out;
}

/* base64url digit values; -1 for every other byte. */
static const int8_t digit_value[256] = {
#define R16 -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
	R16, R16,
	/* 0x20 */ -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1,
	-1,
	/* 0x30 */ 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1,
	-1,
	/* 0x40 */ -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	/* 0x50 */ 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1,
	63,
	/* 0x60 */ -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39,
	40,
	/* 0x70 */ 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1,
	-1,
	R16, R16, R16, R16, R16, R16, R16, R16,
#undef R16
};

static int
value_of(char c)
{
	return digit_value[(unsigned char)c];
}

enum mapi_err
mapi_b64url_decode(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
	uint8_t *buf = NULL;
	size_t o = 0;
	size_t i;
	uint32_t acc = 0;
	int bits = 0;
	enum mapi_err err = MAPI_EINVAL;

	if (in == NULL || len % 4 == 1) {
		goto out;
	}
	buf = malloc(len / 4 * 3 + 3 + 1);
	if (buf == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	/* Whole quads: 3 bytes each, no leftover bits. */
	for (i = 0; i + 4 <= len; i += 4) {
		int a = value_of(in[i]);
		int b = value_of(in[i + 1]);
		int c = value_of(in[i + 2]);
		int d = value_of(in[i + 3]);
		uint32_t q;

		if ((a | b | c | d) < 0) {
			goto out;
		}
		q = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
		    (uint32_t)d;
		buf[o++] = (uint8_t)(q >> 16);
		buf[o++] = (uint8_t)(q >> 8);
		buf[o++] = (uint8_t)q;
	}
	for (; i < len; i++) {
		int v = value_of(in[i]);

		if (v < 0) {
			goto out;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t)(acc >> bits);
			acc &= (1U << bits) - 1;
		}
	}
	/* Leftover bits (2 or 4) must be zero: the canonical encoding. */
	if (acc != 0) {
		goto out;
	}
	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	buf = NULL;
	err = MAPI_OK;
out:
	free(buf);
	return err;
}
