"""
Schemathesis hooks of test/collector-schemathesis.integration.test.ts (loaded through SCHEMATHESIS_HOOKS).

The Events API's body has rules JSON Schema cannot state, written in the descriptions of the
collector's /openapi.json: a `url` must parse as a WHATWG URL; a `timestamp` lies at most 30 days
back and 1 minute ahead; a body is at most 8 KiB (one event) or 256 KiB (an array). test/collector-schemathesis.toml lets a
schema-valid body be answered 400 or 413, and this check holds each such answer to those rules:
a refusal for anything else means the document and the validator disagree, and fails the run:
lengths are counted as JSON Schema counts them (code points), so a length refusal is never excused.
"""

import json
import re

import schemathesis

EVENT_BYTES = 8 * 1024
BATCH_BYTES = 256 * 1024

# (field, message) of the rules JSON Schema cannot state, as the validator words them.
UNSTATED = [
    (r"^(\d+\.)?url$", r"must be an absolute http\(s\) URL"),
    (r"^(\d+\.)?timestamp$", r"must be at most 30 days old|must be at most 1 minute ahead"),
]


@schemathesis.check
def events_refusals_follow_unstated_rules(ctx, response, case):
    """A schema-valid body is refused only for a rule the document states in words, not in schema."""
    meta = case.meta
    if case.operation.method.upper() != "POST" or meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code == 413:
        sent = len(response.request.body or b"")
        limit = BATCH_BYTES if isinstance(case.body, list) else EVENT_BYTES
        if sent > limit:
            return None
        raise AssertionError(f"413 for a body of {sent} bytes, within its limit of {limit}")
    if response.status_code != 400:
        return None
    answer = response.json()
    field, message = str(answer.get("field", "")), str(answer.get("error", ""))
    for pointer, words in UNSTATED:
        if re.search(pointer, field) and re.search(words, message):
            return None
    raise AssertionError(
        "Valid data should have been accepted: the schema allows this body, and the 400 names no rule "
        f"the document states in words (field {field!r}: {message!r}; body {json.dumps(case.body)[:300]})"
    )


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@schemathesis.hook
def map_body(ctx, body):
    """A well-formed `timestamp` moved into its window (the last 30 days): the bound is relative to
    the collector's clock, which no schema can state, and a generator's random dates would nearly all
    fall outside it. Its form is untouched, and so is any malformed one (negative cases)."""
    import datetime
    import random

    events = body if isinstance(body, list) else [body]
    for event in events:
        if isinstance(event, dict) and isinstance(event.get("timestamp"), str) and RFC3339.match(event["timestamp"]):
            when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=random.randint(60, 29 * 86400))
            event["timestamp"] = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return body
