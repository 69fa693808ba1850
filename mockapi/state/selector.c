/* SPDX-License-Identifier: MIT */
#include "state/selector.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/*
 * The label parser follows apimachinery's labels/selector.go token by token
 * (lexer, lookahead in the Values context where "in"/"notin" are plain
 * identifiers, the same error strings), so a bad selector gets the same
 * message a real kube-apiserver returns.
 */

enum tok {
	T_ERROR,
	T_END,
	T_CLOSE,
	T_COMMA,
	T_NOT,
	T_DEQ,
	T_EQ,
	T_GT,
	T_IDENT,
	T_IN,
	T_LT,
	T_NE,
	T_NOTIN,
	T_OPEN,
};

enum op {
	OP_EXISTS,
	OP_NOT_EXISTS,
	OP_EQ,
	OP_NE,
	OP_IN,
	OP_NOTIN,
	OP_GT,
	OP_LT,
};

struct item {
	enum tok tok;
	char *lit;
};

struct req {
	char *key;
	enum op op;
	char **values;
	size_t nvalues;
	long long num; /* OP_GT / OP_LT */
};

struct mapi_label_selector {
	struct req *reqs;
	size_t nreqs;
};

struct parser {
	struct item items[4 * MAPI_SELECTOR_MAX_TERMS * 2 + 8];
	size_t nitems;
	size_t pos;
};

#define MAX_ITEMS (sizeof(((struct parser *)0)->items) / sizeof(struct item))

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_special(char c)
{
	return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' ||
	       c == '>' || c == '<';
}

static enum tok
keyword(const char *s, size_t n)
{
	static const struct {
		const char *s;
		enum tok t;
	} tab[] = {
		{ ")", T_CLOSE }, { ",", T_COMMA }, { "!", T_NOT },
		{ "==", T_DEQ },  { "=", T_EQ },    { ">", T_GT },
		{ "in", T_IN },   { "<", T_LT },    { "!=", T_NE },
		{ "notin", T_NOTIN }, { "(", T_OPEN },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strlen(tab[i].s) == n && memcmp(tab[i].s, s, n) == 0) {
			return tab[i].t;
		}
	}
	return T_IDENT;
}

static void
parser_fini(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->nitems; i++) {
		free(p->items[i].lit);
	}
}

static enum mapi_err
push(struct parser *p, enum tok t, const char *s, size_t n)
{
	char *lit;

	if (p->nitems >= MAX_ITEMS) {
		return MAPI_EINVAL;
	}
	lit = malloc(n + 1);
	if (lit == NULL) {
		return MAPI_ENOMEM;
	}
	memcpy(lit, s, n);
	lit[n] = '\0';
	p->items[p->nitems].tok = t;
	p->items[p->nitems].lit = lit;
	p->nitems++;
	return MAPI_OK;
}

/* Lexes the whole string (Lexer.Lex until EndOfString). */
static enum mapi_err
scan(struct parser *p, const char *s)
{
	size_t i = 0, n = strlen(s);
	enum mapi_err err;

	for (;;) {
		size_t start;

		while (i < n && is_ws(s[i])) {
			i++;
		}
		if (i >= n) {
			return push(p, T_END, "", 0);
		}
		start = i;
		if (is_special(s[i])) {
			/* Longest special-symbol prefix that is a token. */
			enum tok last = T_ERROR;
			size_t last_len = 0;

			while (i < n && is_special(s[i])) {
				enum tok t = keyword(s + start, i - start + 1);

				if (t != T_IDENT) {
					last = t;
					last_len = i - start + 1;
				} else if (last != T_ERROR) {
					break;
				}
				i++;
			}
			if (last == T_ERROR) {
				return MAPI_EINVAL;
			}
			i = start + last_len;
			err = push(p, last, s + start, last_len);
		} else {
			while (i < n && !is_special(s[i]) && !is_ws(s[i])) {
				i++;
			}
			err = push(p, keyword(s + start, i - start), s + start,
			           i - start);
		}
		if (err != MAPI_OK) {
			return err;
		}
	}
}

static enum tok
values_ctx(enum tok t)
{
	return t == T_IN || t == T_NOTIN ? T_IDENT : t;
}

static enum tok
lookahead(const struct parser *p, bool values, const char **lit)
{
	const struct item *it = &p->items[p->pos];

	if (lit != NULL) {
		*lit = it->lit;
	}
	return values ? values_ctx(it->tok) : it->tok;
}

static enum tok
consume(struct parser *p, bool values, const char **lit)
{
	enum tok t = lookahead(p, values, lit);

	if (p->items[p->pos].tok != T_END) {
		p->pos++;
	}
	return t;
}

static bool
alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], up to max chars. */
static bool
valid_name_part(const char *s, size_t n, size_t max)
{
	size_t i;

	if (n == 0 || n > max || !alnum(s[0]) || !alnum(s[n - 1])) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') {
			return false;
		}
	}
	return true;
}

/* RFC 1123 subdomain: lowercase labels [a-z0-9]([-a-z0-9]*[a-z0-9])? */
static bool
valid_dns_subdomain(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 253) {
		return false;
	}
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool lower = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!lower && c != '-' && c != '.') {
			return false;
		}
		if ((c == '-' || c == '.') &&
		    (i == 0 || i == n - 1 || s[i - 1] == '.' ||
		     (c == '.' && s[i - 1] == '-') ||
		     (c == '-' && i + 1 < n && s[i + 1] == '.'))) {
			return false;
		}
	}
	return true;
}

static const char name_msg[] =
	"name part must consist of alphanumeric characters, '-', '_' or '.', "
	"and must start and end with an alphanumeric character (e.g. "
	"'MyName',  or 'my.name',  or '123-abc', regex used for validation "
	"is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

static bool
check_key(const char *k, struct mapi_diag *diag)
{
	const char *slash = strchr(k, '/');
	const char *name = slash != NULL ? slash + 1 : k;

	if (slash != NULL && !valid_dns_subdomain(k, (size_t)(slash - k))) {
		mapi_diag_set(diag,
		              "unable to parse requirement: <nil>: Invalid "
		              "value: \"%s\": prefix part a lowercase RFC 1123 "
		              "subdomain must consist of lower case alphanumeric "
		              "characters, '-' or '.', and must start and end "
		              "with an alphanumeric character",
		              k);
		return false;
	}
	if (strlen(name) > 63) {
		mapi_diag_set(diag,
		              "unable to parse requirement: <nil>: Invalid "
		              "value: \"%s\": name part must be no more than 63 "
		              "characters",
		              k);
		return false;
	}
	if (!valid_name_part(name, strlen(name), 63)) {
		mapi_diag_set(diag,
		              "unable to parse requirement: <nil>: Invalid "
		              "value: \"%s\": %s",
		              k, name_msg);
		return false;
	}
	return true;
}

static bool
check_value(const char *key, const char *v, size_t idx,
            struct mapi_diag *diag)
{
	size_t n = strlen(v);

	if (n == 0 || valid_name_part(v, n, 63)) {
		return true;
	}
	mapi_diag_set(diag,
	              "unable to parse requirement: values[%zu][%s]: Invalid "
	              "value: \"%s\": %s",
	              idx, key,
	              v, n > 63 ? "must be no more than 63 characters"
	                        : "a valid label must be an empty string or "
	                          "consist of alphanumeric characters, '-', "
	                          "'_' or '.', and must start and end with an "
	                          "alphanumeric character (e.g. 'MyValue',  "
	                          "or 'my_value',  or '12345', regex used for "
	                          "validation is "
	                          "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
	return false;
}

static void
req_fini(struct req *r)
{
	size_t i;

	free(r->key);
	for (i = 0; i < r->nvalues; i++) {
		free(r->values[i]);
	}
	free(r->values);
}

static enum mapi_err
add_value(struct req *r, const char *v)
{
	size_t i;
	char **nv;

	for (i = 0; i < r->nvalues; i++) {
		if (strcmp(r->values[i], v) == 0) {
			return MAPI_OK; /* a set, as sets.String */
		}
	}
	if (r->nvalues >= MAPI_SELECTOR_MAX_TERMS) {
		return MAPI_EINVAL;
	}
	nv = realloc(r->values, (r->nvalues + 1) * sizeof(*nv));
	if (nv == NULL) {
		return MAPI_ENOMEM;
	}
	r->values = nv;
	r->values[r->nvalues] = strdup(v);
	if (r->values[r->nvalues] == NULL) {
		return MAPI_ENOMEM;
	}
	r->nvalues++;
	return MAPI_OK;
}

#define FAIL(...)                                    \
	do {                                         \
		mapi_diag_set(diag, __VA_ARGS__);    \
		return MAPI_EINVAL;                  \
	} while (0)

static enum mapi_err
parse_values(struct parser *p, struct req *r, struct mapi_diag *diag)
{
	const char *lit;
	enum tok t = consume(p, true, &lit);
	enum mapi_err err;

	if (t != T_OPEN) {
		FAIL("unable to parse requirement: found '%s' expected: '('",
		     lit);
	}
	t = lookahead(p, true, &lit);
	if (t == T_CLOSE) {
		(void)consume(p, true, NULL);
		return add_value(r, "");
	}
	if (t != T_IDENT && t != T_COMMA) {
		FAIL("unable to parse requirement: found '%s', expected: ',', "
		     "')' or identifier",
		     lit);
	}
	for (;;) {
		const char *l2;

		t = consume(p, true, &lit);
		if (t == T_IDENT) {
			err = add_value(r, lit);
			if (err != MAPI_OK) {
				return err;
			}
			t = lookahead(p, true, &l2);
			if (t == T_COMMA) {
				(void)consume(p, true, NULL);
				if (lookahead(p, true, NULL) == T_CLOSE) {
					err = add_value(r, "");
					if (err != MAPI_OK) {
						return err;
					}
					break;
				}
				continue;
			}
			if (t == T_CLOSE) {
				break;
			}
			FAIL("unable to parse requirement: found '%s', "
			     "expected: ',' or ')'",
			     l2);
		} else if (t == T_COMMA) {
			/* "(,", ",)" and ",," each stand for "". */
			err = add_value(r, "");
			if (err != MAPI_OK) {
				return err;
			}
			t = lookahead(p, true, NULL);
			if (t == T_CLOSE) {
				break;
			}
		} else {
			FAIL("unable to parse requirement: found '%s', "
			     "expected: ',', or identifier",
			     lit);
		}
	}
	(void)consume(p, true, NULL); /* the ')' */
	return MAPI_OK;
}

static enum mapi_err
parse_requirement(struct parser *p, struct req *r, struct mapi_diag *diag)
{
	const char *lit;
	enum tok t = consume(p, true, &lit);
	bool neg = false;
	enum mapi_err err;
	size_t i;

	if (t == T_NOT) {
		neg = true;
		t = consume(p, true, &lit);
	}
	if (t != T_IDENT) {
		FAIL("unable to parse requirement: found '%s', expected: "
		     "identifier",
		     lit);
	}
	if (!check_key(lit, diag)) {
		return MAPI_EINVAL;
	}
	r->key = strdup(lit);
	if (r->key == NULL) {
		return MAPI_ENOMEM;
	}
	/*
	 * "!key" is complete by itself; in "!key=v" Kubernetes then stops at
	 * the '=' with "expected: ',' or 'end of string'" (the caller's text).
	 */
	if (neg) {
		r->op = OP_NOT_EXISTS;
		return MAPI_OK;
	}
	t = lookahead(p, true, NULL);
	if (t == T_END || t == T_COMMA) {
		r->op = OP_EXISTS;
		return MAPI_OK;
	}
	t = consume(p, false, &lit);
	switch (t) {
	case T_IN:
		r->op = OP_IN;
		break;
	case T_NOTIN:
		r->op = OP_NOTIN;
		break;
	case T_EQ:
	case T_DEQ:
		r->op = OP_EQ;
		break;
	case T_NE:
		r->op = OP_NE;
		break;
	case T_GT:
		r->op = OP_GT;
		break;
	case T_LT:
		r->op = OP_LT;
		break;
	default:
		FAIL("unable to parse requirement: found '%s', expected: in, "
		     "notin, =, ==, !=, gt, lt",
		     lit);
	}
	if (r->op == OP_IN || r->op == OP_NOTIN) {
		err = parse_values(p, r, diag);
	} else {
		t = lookahead(p, true, NULL);
		if (t == T_END || t == T_COMMA) {
			err = add_value(r, "");
		} else {
			t = consume(p, true, &lit);
			if (t != T_IDENT) {
				FAIL("unable to parse requirement: found '%s', "
				     "expected: identifier",
				     lit);
			}
			err = add_value(r, lit);
		}
	}
	if (err != MAPI_OK) {
		return err;
	}
	if (r->op == OP_GT || r->op == OP_LT) {
		char *end = NULL;

		errno = 0;
		r->num = strtoll(r->values[0], &end, 10);
		if (r->values[0][0] == '\0' || *end != '\0' || errno != 0) {
			FAIL("unable to parse requirement: values[0]: Invalid "
			     "value: \"%s\": for 'Gt', 'Lt' operators, the "
			     "value must be an integer",
			     r->values[0]);
		}
		return MAPI_OK;
	}
	for (i = 0; i < r->nvalues; i++) {
		if (!check_value(r->key, r->values[i], i, diag)) {
			return MAPI_EINVAL;
		}
	}
	return MAPI_OK;
}

enum mapi_err
mapi_label_selector_parse(const char *text,
                          struct mapi_label_selector **out_sel,
                          struct mapi_diag *diag)
{
	struct parser *p = NULL;
	struct mapi_label_selector *sel = NULL;
	enum mapi_err err = MAPI_ENOMEM;
	const char *lit;

	if (text == NULL) {
		text = "";
	}
	if (strlen(text) > MAPI_SELECTOR_MAX_LEN) {
		mapi_diag_set(diag, "label selector longer than %d bytes",
		              MAPI_SELECTOR_MAX_LEN);
		return MAPI_EINVAL;
	}
	for (lit = text; is_ws(*lit); lit++) {
	}
	if (*lit == '\0') {
		/*
		 * Nothing to parse (every plain list and watch): no parser,
		 * whose token table is several KB to allocate and clear.
		 */
		sel = calloc(1, sizeof(*sel));
		if (sel == NULL) {
			return MAPI_ENOMEM;
		}
		*out_sel = sel;
		return MAPI_OK;
	}
	p = calloc(1, sizeof(*p));
	sel = calloc(1, sizeof(*sel));
	if (p == NULL || sel == NULL) {
		goto out;
	}
	err = scan(p, text);
	if (err == MAPI_EINVAL) {
		mapi_diag_set(diag, "label selector is too complex or has an "
		                    "invalid operator");
	}
	if (err != MAPI_OK) {
		goto out;
	}
	for (;;) {
		enum tok t = lookahead(p, true, &lit);
		struct req *nr;

		if (t == T_END) {
			break;
		}
		if (t != T_IDENT && t != T_NOT) {
			mapi_diag_set(diag,
			              "found '%s', expected: !, identifier, or "
			              "'end of string'",
			              lit);
			err = MAPI_EINVAL;
			goto out;
		}
		if (sel->nreqs >= MAPI_SELECTOR_MAX_TERMS) {
			mapi_diag_set(diag, "label selector has more than %d "
			                    "requirements",
			              MAPI_SELECTOR_MAX_TERMS);
			err = MAPI_EINVAL;
			goto out;
		}
		nr = realloc(sel->reqs, (sel->nreqs + 1) * sizeof(*nr));
		if (nr == NULL) {
			err = MAPI_ENOMEM;
			goto out;
		}
		sel->reqs = nr;
		memset(&sel->reqs[sel->nreqs], 0, sizeof(*nr));
		sel->nreqs++;
		err = parse_requirement(p, &sel->reqs[sel->nreqs - 1], diag);
		if (err != MAPI_OK) {
			goto out;
		}
		t = consume(p, true, &lit);
		if (t == T_END) {
			break;
		}
		if (t != T_COMMA) {
			mapi_diag_set(diag,
			              "found '%s', expected: ',' or 'end of "
			              "string'",
			              lit);
			err = MAPI_EINVAL;
			goto out;
		}
		t = lookahead(p, true, &lit);
		if (t != T_IDENT && t != T_NOT) {
			mapi_diag_set(diag,
			              "found '%s', expected: identifier after ','",
			              lit);
			err = MAPI_EINVAL;
			goto out;
		}
	}
	*out_sel = sel;
	sel = NULL;
	err = MAPI_OK;
out:
	if (p != NULL) {
		parser_fini(p);
		free(p);
	}
	mapi_label_selector_free(sel);
	return err;
}

void
mapi_label_selector_free(struct mapi_label_selector *sel)
{
	size_t i;

	if (sel == NULL) {
		return;
	}
	for (i = 0; i < sel->nreqs; i++) {
		req_fini(&sel->reqs[i]);
	}
	free(sel->reqs);
	free(sel);
}

static bool
in_set(const struct req *r, const char *v)
{
	size_t i;

	for (i = 0; i < r->nvalues; i++) {
		if (strcmp(r->values[i], v) == 0) {
			return true;
		}
	}
	return false;
}

static bool
req_matches(const struct req *r, const cJSON *labels)
{
	const cJSON *item = labels != NULL
	                            ? cJSON_GetObjectItemCaseSensitive(labels,
	                                                               r->key)
	                            : NULL;
	const char *v =
		item != NULL && cJSON_IsString(item) ? item->valuestring : NULL;
	char *end = NULL;
	long long n;

	switch (r->op) {
	case OP_EXISTS:
		return v != NULL;
	case OP_NOT_EXISTS:
		return v == NULL;
	case OP_EQ:
	case OP_IN:
		return v != NULL && in_set(r, v);
	case OP_NE:
	case OP_NOTIN:
		return v == NULL || !in_set(r, v);
	case OP_GT:
	case OP_LT:
		if (v == NULL) {
			return false;
		}
		errno = 0;
		n = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0) {
			return false;
		}
		return r->op == OP_GT ? n > r->num : n < r->num;
	}
	return false;
}

bool
mapi_label_selector_matches(const struct mapi_label_selector *sel,
                            const struct cJSON *labels)
{
	size_t i;

	if (sel == NULL) {
		return true;
	}
	for (i = 0; i < sel->nreqs; i++) {
		if (!req_matches(&sel->reqs[i], labels)) {
			return false;
		}
	}
	return true;
}

/* ---- field selectors ---- */

struct fterm {
	char *field;
	char *value;
	bool negate;
};

struct mapi_field_selector {
	struct fterm terms[MAPI_SELECTOR_MAX_TERMS];
	size_t nterms;
};

/* Unescapes \\ \, \= \! (fields.UnescapeValue); false on a bad escape. */
static bool
unescape(const char *s, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\') {
			if (i + 1 >= n || (s[i + 1] != '\\' && s[i + 1] != ',' &&
			                   s[i + 1] != '=' && s[i + 1] != '!')) {
				return false;
			}
			i++;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	return true;
}

static enum mapi_err
add_term(struct mapi_field_selector *sel, const char *all, const char *t,
         size_t n, const char *const *supported, struct mapi_diag *diag)
{
	size_t i, oplen = 0, at = 0;
	struct fterm *ft;
	const char *const *s;

	/* splitTerm: first "!=", "==" or "=" not escaped. */
	for (i = 0; i < n; i++) {
		if (t[i] == '\\') {
			i++;
			continue;
		}
		if (i + 1 < n && (t[i] == '!' || t[i] == '=') &&
		    t[i + 1] == '=') {
			oplen = 2;
		} else if (t[i] == '=') {
			oplen = 1;
		}
		if (oplen != 0) {
			at = i;
			break;
		}
	}
	if (oplen == 0) {
		mapi_diag_set(diag, "invalid selector: '%s'; can't understand "
		                    "'%.*s'",
		              all, (int)n, t);
		return MAPI_EINVAL;
	}
	if (sel->nterms >= MAPI_SELECTOR_MAX_TERMS) {
		mapi_diag_set(diag, "field selector has more than %d terms",
		              MAPI_SELECTOR_MAX_TERMS);
		return MAPI_EINVAL;
	}
	ft = &sel->terms[sel->nterms];
	ft->negate = t[at] == '!';
	ft->field = strndup(t, at);
	ft->value = malloc(n - at - oplen + 1);
	sel->nterms++;
	if (ft->field == NULL || ft->value == NULL) {
		return MAPI_ENOMEM;
	}
	if (!unescape(t + at + oplen, n - at - oplen, ft->value)) {
		mapi_diag_set(diag, "invalid field selector: invalid escape "
		                    "sequence");
		return MAPI_EINVAL;
	}
	for (s = supported; s != NULL && *s != NULL; s++) {
		if (strcmp(*s, ft->field) == 0) {
			return MAPI_OK;
		}
	}
	mapi_diag_set(diag, "field label not supported: %s", ft->field);
	return MAPI_EINVAL;
}

enum mapi_err
mapi_field_selector_parse(const char *text, const char *const *supported,
                          struct mapi_field_selector **out_sel,
                          struct mapi_diag *diag)
{
	struct mapi_field_selector *sel = NULL;
	enum mapi_err err = MAPI_OK;
	size_t i, start = 0, n;

	if (text == NULL) {
		text = "";
	}
	n = strlen(text);
	if (n > MAPI_SELECTOR_MAX_LEN) {
		mapi_diag_set(diag, "field selector longer than %d bytes",
		              MAPI_SELECTOR_MAX_LEN);
		return MAPI_EINVAL;
	}
	sel = calloc(1, sizeof(*sel));
	if (sel == NULL) {
		return MAPI_ENOMEM;
	}
	for (i = 0; i <= n && err == MAPI_OK; i++) {
		if (i < n && text[i] == '\\') {
			i++;
			continue;
		}
		if (i == n || text[i] == ',') {
			if (i > start) {
				err = add_term(sel, text, text + start,
				               i - start, supported, diag);
			}
			start = i + 1;
		}
	}
	if (err != MAPI_OK) {
		mapi_field_selector_free(sel);
		return err;
	}
	*out_sel = sel;
	return MAPI_OK;
}

void
mapi_field_selector_free(struct mapi_field_selector *sel)
{
	size_t i;

	if (sel == NULL) {
		return;
	}
	for (i = 0; i < sel->nterms; i++) {
		free(sel->terms[i].field);
		free(sel->terms[i].value);
	}
	free(sel);
}

bool
mapi_field_selector_matches(const struct mapi_field_selector *sel,
                            mapi_field_get_fn *get, void *payload)
{
	size_t i;

	if (sel == NULL) {
		return true;
	}
	for (i = 0; i < sel->nterms; i++) {
		const char *v = get(sel->terms[i].field, payload);
		bool eq = strcmp(v != NULL ? v : "", sel->terms[i].value) == 0;

		if (eq == sel->terms[i].negate) {
			return false;
		}
	}
	return true;
}
