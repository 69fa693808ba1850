/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * status: enum mapi_err → HTTP status code + metav1.Status body. The only
 * place in mockapi where status codes are chosen (STYLE.md 3.4).
 *
 * Bodies are byte-for-byte what kube-apiserver 1.32 writes: members in the
 * order kind, apiVersion, metadata, status, message, reason, details{name,
 * group, kind, uid, causes[{reason, message, field}], retryAfterSeconds},
 * code (empty members omitted as Go's omitempty does), strings escaped as
 * Go's encoding/json does (<, >, & as \u003c \u003e \u0026), and — in a
 * response, not in mapi_status_format()'s text — a trailing newline, as
 * json.Encoder writes. Message texts follow k8s.io/apimachinery
 * pkg/api/errors and k8s.io/apiserver (see each function).
 *
 * Ownership: strings in are borrowed; *out_json is malloc'd, caller frees.
 *   Functions taking a struct mapi_response replace its body (http.h).
 * Threads: pure; thread-safe.
 * Errors: MAPI_ENOMEM only; outputs and resp unchanged on failure.
 */

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

struct mapi_response;

/* One StatusCause. NULL/empty members are omitted. */
struct mapi_status_cause {
	const char *reason; /* e.g. "FieldValueInvalid" */
	const char *message;
	const char *field;
};

/*
 * StatusDetails. Passing NULL for details omits the member; a zeroed struct
 * gives "details":{} (as NewForbidden and NewGenericServerResponse do).
 */
struct mapi_status_details {
	const char *name;
	const char *group;
	const char *kind;
	const char *uid;
	const struct mapi_status_cause *causes;
	size_t n_causes;
	int retry_after_seconds; /* 0 = omitted */
};

/* The HTTP code for err (MAPI_OK → 200); 500 for unknown values. */
int mapi_status_code(enum mapi_err err);

/* The Status.reason for err ("NotFound"; "" for MAPI_OK). Never NULL. */
const char *mapi_status_reason(enum mapi_err err);

/*
 * Formats a metav1.Status for err (status "Success" for MAPI_OK, else
 * "Failure"), without a trailing newline. message may be NULL (omitted).
 * *out_code gets mapi_status_code(err) (may be NULL).
 */
MAPI_NODISCARD enum mapi_err
mapi_status_format(enum mapi_err err, const char *message,
                   const struct mapi_status_details *details, char **out_json,
                   int *out_code);

/* Writes a Status response (application/json, trailing newline). */
MAPI_NODISCARD enum mapi_err
mapi_status_respond(struct mapi_response *resp, enum mapi_err err,
                    const char *message,
                    const struct mapi_status_details *details);

/*
 * A Failure Status with an explicit code and reason (fault injection:
 * what a proxy or an overloaded apiserver would send), e.g. 503
 * "ServiceUnavailable". code must be 400..599 (else MAPI_EINVAL); reason
 * and message may be NULL (omitted); retry_after_seconds > 0 adds
 * details.retryAfterSeconds and a Retry-After header.
 */
MAPI_NODISCARD enum mapi_err
mapi_status_respond_code(struct mapi_response *resp, int code,
                         const char *reason, const char *message,
                         int retry_after_seconds);

/*
 * The common errors, exactly as apimachinery words them. group is "" for
 * the core group; resource is the plural ("pods"); the qualified resource
 * is "pods" or "tokenreviews.authentication.k8s.io".
 */

/* 404 `pods "p1" not found`, details {name, group, kind: resource}. */
MAPI_NODISCARD enum mapi_err mapi_status_not_found(struct mapi_response *resp,
                                                   const char *group,
                                                   const char *resource,
                                                   const char *name);

/* 409 AlreadyExists `serviceaccounts "x" already exists`. */
MAPI_NODISCARD enum mapi_err
mapi_status_already_exists(struct mapi_response *resp, const char *group,
                           const char *resource, const char *name);

/* 409 Conflict `Operation cannot be fulfilled on <gr> "<name>": <why>`. */
MAPI_NODISCARD enum mapi_err
mapi_status_conflict(struct mapi_response *resp, const char *group,
                     const char *resource, const char *name, const char *why);

/* field.ErrorType values (apimachinery util/validation/field). */
enum mapi_field_err_type {
	MAPI_FIELD_INVALID,       /* FieldValueInvalid "Invalid value" */
	MAPI_FIELD_REQUIRED,      /* FieldValueRequired "Required value" */
	MAPI_FIELD_DUPLICATE,     /* FieldValueDuplicate "Duplicate value" */
	MAPI_FIELD_NOT_FOUND,     /* FieldValueNotFound "Not found" */
	MAPI_FIELD_NOT_SUPPORTED, /* FieldValueNotSupported "Unsupported value"
	                           */
	MAPI_FIELD_FORBIDDEN,     /* FieldValueForbidden "Forbidden" */
	MAPI_FIELD_TOO_LONG,      /* FieldValueTooLong "Too long" */
	MAPI_FIELD_TOO_MANY,      /* FieldValueTooMany "Too many" */
	MAPI_FIELD_INTERNAL,      /* InternalError "Internal error" */
	MAPI_FIELD_TYPE_INVALID,  /* FieldValueTypeInvalid "Invalid value" */
};

/*
 * One field.Error. bad_value is the value as Go prints it: for a string
 * set value_is_string and pass the raw text (it is quoted like %q); for a
 * number pass its digits. bad_value NULL omits the value (as for Required,
 * Forbidden, TooLong and Internal, which never print it). detail may be
 * NULL.
 */
struct mapi_field_error {
	enum mapi_field_err_type type;
	const char *field;
	const char *bad_value;
	bool value_is_string;
	const char *detail;
};

/*
 * 422 Invalid: `<Kind>[.<group>] "<name>" is invalid: <errs>` where one
 * error prints as "<field>: <body>" and several as "[e1, e2]" (duplicate
 * texts once, as utilerrors.NewAggregate + Flatten do), and every error is
 * a cause {reason: type, message: body, field}. n == 0 gives
 * `... is invalid` with no causes.
 */
MAPI_NODISCARD enum mapi_err
mapi_status_invalid(struct mapi_response *resp, const char *group,
                    const char *kind, const char *name,
                    const struct mapi_field_error *errs, size_t n);

/* 401 Unauthorized, exactly reference §6 (no details). */
MAPI_NODISCARD enum mapi_err
mapi_status_unauthorized(struct mapi_response *resp);

/* What was refused, for the Forbidden message (authorizer.Attributes). */
struct mapi_forbidden {
	const char *user; /* username */
	const char *verb; /* "list", "get" (non-resource: "get") */
	bool resource_request;
	const char *path;  /* non-resource: the raw path */
	const char *group; /* API group, "" for core */
	const char *resource;
	const char *subresource; /* may be NULL/"" */
	const char *ns;          /* namespace, may be NULL/"" */
	const char *name;        /* may be NULL/"" */
	const char *reason;      /* authorizer reason appended after ": " */
};

/*
 * 403 Forbidden as responsewriters.Forbidden + apierrors.NewForbidden:
 * `pods is forbidden: User "u" cannot list resource "pods" in API group ""
 * in the namespace "default"` / `... at the cluster scope` / `pods "p" is
 * forbidden: ...` / `forbidden: User "u" cannot get path "/api"`; details
 * {name, group, kind: resource} (an empty {} for non-resource requests).
 */
MAPI_NODISCARD enum mapi_err
mapi_status_forbidden(struct mapi_response *resp,
                      const struct mapi_forbidden *what);

/*
 * 405 as NewGenericServerResponse: "the server does not allow this method
 * on the requested resource", details {}.
 */
MAPI_NODISCARD enum mapi_err
mapi_status_method_not_allowed(struct mapi_response *resp);

/*
 * 415 as the negotiation package: "the body of the request was in an
 * unknown format - accepted media types include: application/json,
 * application/yaml, application/vnd.kubernetes.protobuf".
 */
MAPI_NODISCARD enum mapi_err
mapi_status_unsupported_media_type(struct mapi_response *resp);

/* 413 "Request entity too large: limit is <limit>" (limitedReadBody). */
MAPI_NODISCARD enum mapi_err mapi_status_too_large(struct mapi_response *resp,
                                                   size_t limit);

/* 400 BadRequest with message (no details). */
MAPI_NODISCARD enum mapi_err mapi_status_bad_request(struct mapi_response *resp,
                                                     const char *message);

/*
 * 400 for a body that is not valid JSON, in transformDecodeError's words:
 * `the object provided is unrecognized (must be of type <Kind>): couldn't
 * get version/kind; json parse error: <why> (<summary>)` where summary is
 * the first 30 bytes of the body (+ " ...") if it starts with '{', else
 * their hex, or "<empty>". mockapi's parser does not produce Go's
 * messages, so why is "syntax error at byte offset N" (the closest faithful
 * text: Go's SyntaxError carries the same offset).
 */
MAPI_NODISCARD enum mapi_err
mapi_status_bad_json(struct mapi_response *resp, const char *kind,
                     size_t offset, const char *body, size_t body_len);

/*
 * 500 "Internal error occurred: <msg>", details {causes: [{message: msg}]}
 * (apierrors.NewInternalError).
 */
MAPI_NODISCARD enum mapi_err mapi_status_internal(struct mapi_response *resp,
                                                  const char *msg);

/*
 * Any error with a diag: message diag->msg (or the reason if empty), no
 * details; MAPI_EINTERNAL-class errors go through mapi_status_internal().
 * For errors that need details use the specific builders.
 */
MAPI_NODISCARD enum mapi_err
mapi_status_from_diag(struct mapi_response *resp, enum mapi_err err,
                      const struct mapi_diag *diag);

/*
 * Non-Status bodies kube-apiserver writes as plain text
 * (text/plain; charset=utf-8, X-Content-Type-Options: nosniff):
 * Go's http.NotFound "404 page not found\n" for unknown URLs, and API
 * Priority & Fairness's "Too many requests, please try again later.\n"
 * (429, with Retry-After: retry_after_seconds).
 */
MAPI_NODISCARD enum mapi_err
mapi_status_not_found_page(struct mapi_response *resp);
MAPI_NODISCARD enum mapi_err
mapi_status_too_many_requests_text(struct mapi_response *resp,
                                   int retry_after_seconds);

/*
 * A growing text buffer for building small JSON texts by hand (exposed for
 * api/ handlers). Start from a zeroed struct; appends never fail loudly:
 * an allocation failure sets the sticky failed flag and _take returns NULL.
 * mapi_strbuf_json_string() appends s as a JSON string literal (with
 * quotes), escaped as Go's encoding/json does.
 */
struct mapi_strbuf {
	char *data; /* NUL-terminated; malloc'd */
	size_t len;
	size_t cap;
	bool failed; /* sticky: an append failed */
};
void mapi_strbuf_append(struct mapi_strbuf *sb, const char *s, size_t n);
void mapi_strbuf_puts(struct mapi_strbuf *sb, const char *s);
void mapi_strbuf_printf(struct mapi_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void mapi_strbuf_json_string(struct mapi_strbuf *sb, const char *s);
/* Returns the text (caller frees) or NULL if any append failed. */
char *mapi_strbuf_take(struct mapi_strbuf *sb);
