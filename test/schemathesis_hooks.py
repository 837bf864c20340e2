"""
Schemathesis hooks of test/schemathesis.integration.test.ts (loaded through SCHEMATHESIS_HOOKS).

The same holds for a site's raw export (both days or both instants, in order, a zone only with
days) and an import (any bytes are schema-valid; only an export of its source is taken, and a
refusal must name the uploaded file, `field` "body"); for both, a `timezone` of the documented
pattern that names no zone.

The Query API's body has rules between its fields that JSON Schema cannot state (they are listed
in the 400 answer's description in /openapi.json and in docs/query.md). A body the request schema
calls valid may therefore still be a 400, so test/schemathesis.toml lets POST /api/v2/query answer
a schema-valid body with 400 — and this check holds that 400 to those rules only: a refusal for
anything else (a bad window, a site, a zone name of the wrong form …) means the document and the parser
disagree, and fails the run as schemathesis' own positive_data_acceptance would. A `timezone` is
documented by the pattern of a zone's name, not the list of 438: a name of that pattern no zone has
is a 400 of the Query API, funnels, reports and sites alike.
"""

import re

import schemathesis

# (pointer, message) of each rule between fields, as the parser and the engine word them, by path.
CROSS_FIELD_RULES = [
    (r"^/orderBy/\d+/0$", r"order by a metric or dimension of the query"),
    (r"^/(dateRange|compare)/0$", r"from is after to"),
    (r"^/filters(/\d+|/1/\d+)*/2/\d+$", r"RE2 refuses this pattern"),
    (r"^/filters(/\d+|/1/\d+|/1)*$", r"nested more than 8 levels"),
    (r"^/metrics$", r"conversions and conversion_rate need a goal"),
    (r"^/dimensions(/\d+)?$", r"buckets over this range|groups: add filters"),
    # The document states the pattern of a zone's name, not the 438 names (each would be cases).
    (r"^/timezone$", r"unknown IANA time zone"),
]
ZONE_RULE = (r"^/timezone$", r"unknown IANA time zone")


# The funnel's: its steps are filters on event dimensions, parsed as the Query API's filters.
FUNNEL_RULES = [
    (r"^/dateRange/0$", r"from is after to"),
    (r"^/steps/\d+(/1/\d+|/1)*/2/\d+$", r"RE2 refuses this pattern"),
    (r"^/steps/\d+(/1/\d+|/1)*$", r"nested more than 8 levels|a step selects events"),
    ZONE_RULE,
]
EXPORT_RULES = [
    (r"^(from|to)$", r"both dates or both times"),
    (r"^to$", r"must not be before from|must be after from"),
    (r"^timezone$", r"only with dates"),
    (r"^timezone$", r"not an IANA time zone"),
]
# An import's refusals of a schema-valid request: the uploaded bytes are not an export of its source,
# or a zone name (the document states their pattern, not the list) no zone has.
IMPORT_RULES = [(r"^body$", r"."), (r"^timezone$", r"not an IANA time zone")]
# A shared link's locked filters are Query API filters, checked by its parser when the link is
# made: the one rule of theirs JSON Schema cannot state is how deep they nest.
LINK_RULES = [(r"^/filters(/\d+|/1/\d+|/1)*$", r"nested more than 8 levels")]
# An alert rule's: its query follows the Query API's rules (under /query), plus its own between
# fields (interval bounds, look-back, evaluation cost, SMTP for e-mail, the WHATWG URL parser).
ALERT_RULES = [(p.replace("^/", "^/query/", 1), w) for p, w in CROSS_FIELD_RULES] + [
    (r"^/every$", r"too heavy for its interval"),
    (r"^/query/dateRange$", r"too heavy for its interval"),
    (r"^/channels/\d+/type$", r"e-mail needs SMTP_URL"),
    (r"^/channels/\d+/url$", r"url must be an http\(s\) URL"),
]
REPORT_RULES = [
    (r"^/channels/\d+/type$", r"e-mail needs SMTP_URL"),
    (r"^/channels/\d+/url$", r"url must be an http\(s\) URL"),
    ZONE_RULE,
]
# A site's settings: a zone name of the documented pattern that no zone has.
SITE_RULES = [(r"^/timezone$", r"IANA time zone")]
RULES = {
    ("POST", "/api/v2/query"): CROSS_FIELD_RULES,
    ("POST", "/api/v2/alerts"): ALERT_RULES,
    ("POST", "/api/v2/reports"): REPORT_RULES,
    ("POST", "/api/v2/funnel"): FUNNEL_RULES,
    ("POST", "/api/v2/sites"): SITE_RULES,
    ("PATCH", "/api/v2/sites/{site}"): SITE_RULES,
    ("POST", "/api/v2/sites/{site}/shared-links"): LINK_RULES,
    ("GET", "/api/v2/sites/{site}/export"): EXPORT_RULES,
    ("POST", "/api/v2/sites/{site}/imports"): IMPORT_RULES,
}


@schemathesis.check
def query_refusals_follow_rules_between_fields(ctx, response, case):
    """A schema-valid request (Query API body, a funnel, a link's locked filters, an alert or report rule, export range, import) is refused only for a rule the schema cannot state."""
    meta = case.meta
    rules = RULES.get((case.operation.method.upper(), case.operation.path))
    if rules is None or meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code != 400:
        return None
    try:
        answer = response.json()
    except ValueError:
        raise AssertionError(f"400 without a JSON answer: {response.text[:200]!r}")
    field, message = str(answer.get("field", "")), str(answer.get("error", ""))
    for pointer, words in rules:
        if re.search(pointer, field) and re.search(words, message):
            return None
    raise AssertionError(
        "Valid data should have been accepted: the request schema allows this body, and the 400 names "
        f"no rule between fields (field {field!r}: {message!r})"
    )
