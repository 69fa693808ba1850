/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * proto: the Kubernetes protobuf request body -> the equivalent JSON object.
 *
 * kubectl 1.32+ sends typed requests (create token, auth whoami/can-i,
 * create serviceaccount|secret|configmap|namespace|role|rolebinding|...) as
 * Content-Type application/vnd.kubernetes.protobuf. This module turns such a
 * body into the cJSON object a JSON client would have sent for the same
 * object, so everything downstream sees JSON only. It is the ONLY user of
 * protobuf-c; the schema subset lives in server/k8s/k8s_*.proto (upstream
 * package names and field numbers, JSON field names) and is compiled with
 * protoc-c at build time.
 *
 * Wire format (apimachinery runtime/serializer/protobuf): the magic bytes
 * 6b 38 73 00 ("k8s\0"), then a runtime.Unknown {typeMeta {apiVersion,
 * kind}, raw (the object's own protobuf), contentEncoding, contentType}.
 *
 * Mapping to JSON:
 *  - Go's marshaller writes every non-pointer field, so an empty string, a
 *    zero number, false, or a message that converts to {} are treated as
 *    absent and omitted (JSON's omitempty view). Fields that are pointers in
 *    Go (TokenRequestSpec.expirationSeconds, DeleteOptions.gracePeriodSeconds,
 *    *.automountServiceAccountToken, immutable, boundObjectRef,
 *    resourceAttributes, ...) are emitted whenever present, even as 0, false,
 *    "" or {}.
 *  - Elements of repeated fields and map values are kept as sent, so
 *    apiGroups [""] and label values "" survive.
 *  - bytes (Secret.data, ConfigMap.binaryData) become standard base64 with
 *    padding; int64 becomes a JSON integer (|v| > 2^53 is refused rather than
 *    rounded); metav1.Time becomes RFC 3339 UTC ("2025-06-01T10:00:00Z");
 *    resource.Quantity its string; ExtraValue a plain string array.
 *  - Pod.status is accepted and dropped (the apiserver ignores it on create).
 *  - A field the schema does not model is ignored when its value is empty
 *    (Go's zero-value quirk) and refused with MAPI_EMEDIATYPE otherwise, with
 *    the field path in diag, so nothing is silently lost.
 *
 * Kinds decoded (apiVersion + kind of the envelope):
 *   authentication.k8s.io/v1  TokenRequest TokenReview SelfSubjectReview
 *   authorization.k8s.io/v1   SelfSubjectAccessReview SubjectAccessReview
 *                             LocalSubjectAccessReview SelfSubjectRulesReview
 *   v1                        ServiceAccount Namespace Secret ConfigMap Pod
 *   rbac.authorization.k8s.io/v1  Role ClusterRole RoleBinding
 *                             ClusterRoleBinding
 *   DeleteOptions under v1, meta.k8s.io/v1 and each group above.
 *
 * Ownership: the returned object belongs to the caller (cJSON_Delete).
 * Threads: no shared state; safe from any thread.
 * Errors: enum mapi_err; *out is written only on MAPI_OK; diag (optional)
 *   gets a message, and for field-level errors the field path in diag->field
 *   and the byte offset (relative to the start of body) in diag->offset.
 * Limits: body <= MAPI_PROTO_MAX_BODY, message nesting <= MAPI_PROTO_MAX_DEPTH,
 *   elements of one repeated/map field <= MAPI_PROTO_MAX_ELEMS, fields in the
 *   whole body <= MAPI_PROTO_MAX_FIELDS; checked on the wire before
 *   protobuf-c allocates anything.
 */

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

struct cJSON;

#define MAPI_PROTO_CONTENT_TYPE "application/vnd.kubernetes.protobuf"

#define MAPI_PROTO_MAX_BODY   ((size_t)3 * 1024 * 1024)
#define MAPI_PROTO_MAX_DEPTH  16
#define MAPI_PROTO_MAX_ELEMS  10000u
#define MAPI_PROTO_MAX_FIELDS 100000u

/*
 * Decodes a Kubernetes protobuf body (starting with the 4-byte magic) into a
 * fresh cJSON object with "apiVersion" and "kind" set from the envelope.
 *
 * Returns MAPI_OK and sets *out_obj; MAPI_EINVAL for a bad magic, a truncated
 * or malformed message, a wrong wire type, invalid UTF-8 or a NUL byte in a
 * string, or an integer JSON cannot carry exactly; MAPI_EMEDIATYPE for a kind
 * not decoded here (diag names apiVersion and kind), a non-empty
 * contentEncoding, or a non-empty unmodelled field; MAPI_ETOOLARGE when a
 * limit above is exceeded; MAPI_ENOMEM. body may be NULL only if len is 0.
 */
MAPI_NODISCARD enum mapi_err mapi_proto_decode(const void *body, size_t len,
                                               struct cJSON **out_obj,
                                               struct mapi_diag *diag);

/*
 * True if content_type is application/vnd.kubernetes.protobuf, compared
 * case-insensitively, ignoring surrounding blanks and any ";parameters".
 * NULL gives false.
 */
bool mapi_proto_is_content_type(const char *content_type);
