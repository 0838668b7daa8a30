"""schemathesis hooks for e2e/tests/api/contract.rs.

The same Idempotency-Key with a different request is a 422 (API.md, "Idempotency"): an answer that
depends on the requests before it, which no schema can state. Generated keys repeat (hypothesis
likes short strings such as "0"), so a valid key is made unique before each call; an invalid key
(a negative case) is left as it is, for the server to refuse. Replays are tested in
e2e/tests/api/idempotency.rs.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[\x21-\x7e]([\t\x20-\x7e]*[\x21-\x7e])?$")


@schemathesis.hook
def before_call(context, case, kwargs):
    # A case that leaves out the token is left alone: editing it would bring the token back.
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    if str(getattr(data, "parameter", "") or "").lower() == "authorization":
        return
    headers = case.headers or {}
    for name in list(headers):
        value = headers[name]
        if name.lower() == "idempotency-key" and isinstance(value, str):
            if len(value) <= 255 and VALID_KEY.match(value):
                headers[name] = uuid.uuid4().hex


# `players` names players, whose answer is not paged: with `around` or `cursor` (where a page starts)
# the read is a 422 (README, "Choices where the documents are silent"), a rule between two parameters
# that no schema can state. A valid case that names players and places a page keeps the players and
# drops the page's place, so the rest of the read is still checked as valid; an invalid case is left
# as it is, for the server to refuse. The 422s are tested in e2e/tests/api/leaderboard_players.rs.
@schemathesis.hook("before_call")
def players_are_not_paged(context, case, kwargs):
    if str(case.method).upper() != "GET" or case.path != "/v1/leaderboards/{game}":
        return
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or "players" not in (case.query or {}):
        return
    for name in ("around", "cursor"):
        case.query.pop(name, None)


# `window` names a kept window by its start date, which must start a window of the read's `period`
# (any day for `day`, a Monday for `week`, the 1st for `month`; never with `all`, the default): a rule
# between two parameters that no schema can state. A valid case with a `window` reads it as a day's,
# which every date starts, so the rest of the read is still checked as valid (a window not kept is a
# 404, which the check allows); an invalid case is left as it is. The 422s are tested in
# e2e/tests/api/closed_windows.rs.
@schemathesis.hook("before_call")
def a_window_is_a_day_s(context, case, kwargs):
    if str(case.method).upper() != "GET" or case.path != "/v1/leaderboards/{game}":
        return
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or "window" not in (case.query or {}):
        return
    case.query["period"] = "day"


# `onWindowClose.url` must be on the webhook allow-list (`jobs.webhook_allowed_hosts`, loopback by
# default): configuration, which no schema can state. A valid case with a callback posts it to a
# loopback URL instead, so the rest of the settings are still checked as valid; an invalid case is
# left as it is, for the server to refuse. The 422s are tested in e2e/tests/api/window_callbacks.rs.
@schemathesis.hook("before_call")
def a_callback_is_posted_to_loopback(context, case, kwargs):
    if str(case.method).upper() != "PUT" or case.path != "/v1/games/{game}":
        return
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or not isinstance(case.body, dict):
        return
    callback = case.body.get("onWindowClose")
    if isinstance(callback, dict) and isinstance(callback.get("url"), str):
        callback["url"] = "http://127.0.0.1:9/closed"


# CPython 3.11.7's ast.parse can fail with "AST constructor recursion depth mismatch" (a CPython
# bug) when hypothesis describes a lambda of schemathesis's for a strategy's repr; a description is
# only cosmetic, so a failure to make one falls back to a plain name instead of ending the run.
from hypothesis.internal import lambda_sources  # noqa: E402

_describe_lambda = lambda_sources.lambda_description


def _describe_lambda_or_not(function):
    try:
        return _describe_lambda(function)
    except SystemError:
        return "lambda"


lambda_sources.lambda_description = _describe_lambda_or_not
