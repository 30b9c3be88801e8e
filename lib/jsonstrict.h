/* Strict JSON for untrusted result sets: RFC 8259 exactly, where json-c (even with
 * JSON_TOKENER_STRICT) accepts single quotes, NaN, Infinity, 1e309, clamps integers beyond 64 bits
 * and silently keeps the last of two equal keys. */
#ifndef CB_JSONSTRICT_H
#define CB_JSONSTRICT_H

#include <stddef.h>

#include <json-c/json.h>

#define CB_JSON_DEPTH_MAX 32

/*
 * Parses exactly one JSON value from text[0..len), with only JSON whitespace around it. Numbers
 * must be finite doubles; integers (no fraction, no exponent) must fit int64 or uint64. Strings
 * must be valid UTF-8 without control characters or \u0000; an object must not repeat a key.
 * Returns the value (the caller puts it), or NULL with the reason in why and the byte offset
 * where it was found in *off.
 */
json_object *cb_json_strict_parse(const char *text, size_t len, size_t *off, char *why, size_t whylen);

#endif
