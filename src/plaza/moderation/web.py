"""The moderator console: the queue, a case, the audit log and the keyword and hash lists.

The pages are shells that static/moderation*.js fills from the JSON API
(`/api/v1/moderation/...`, `/api/v1/policies`) with the cookie session and the CSRF header,
as the chat page does: the API is the one place that decides what a moderator may see and do,
and the console shows what it answers. What the pages decide themselves is who gets them (and
whether a case asked for exists): a signed-out visitor goes to sign in; anyone who is not a
moderator (the audit log: not an admin) gets the very page an unknown address gets, so the
console's existence does not leak (the API answers such a caller 404 `not_found` likewise).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from plaza.accounts.models import User
from plaza.deps import DbSession, RuntimeDep, WebUser
from plaza.moderation.roles import ADMIN_ROLES, is_moderator
from plaza.moderation.service import cases
from plaza.web.forms import page_id, render, sign_in_first

router = APIRouter(include_in_schema=False)

QUEUE_STATES = ("open", "claimed", "closed", "all")


def _not_found() -> HTTPException:
    """What an address that does not exist answers (see plaza.web.errors)."""
    return HTTPException(status_code=404)


def _console(request: Request, user: User | None, *, admin: bool = False) -> Response | None:
    """None when `user` may have the page; otherwise the answer instead of it."""
    if user is None:
        return sign_in_first(request)
    if not (user.role in ADMIN_ROLES if admin else is_moderator(user)):
        raise _not_found()
    return None


@router.get("/moderation")
async def queue_page(request: Request, user: WebUser, state: str = "open") -> Response:
    """The queue: cases by severity, then age. `state` picks the tab (an unknown one is the
    open tab, as a hand-edited address deserves)."""
    refused = _console(request, user)
    if refused is not None:
        return refused
    return render(
        request,
        "moderation_queue.html",
        user,
        state=state if state in QUEUE_STATES else "open",
        states=QUEUE_STATES,
    )


@router.get("/moderation/cases/{case_id}")
async def case_page(
    request: Request, user: WebUser, session: DbSession, runtime: RuntimeDep, case_id: str
) -> Response:
    """One case. The id is checked here rather than by a typed parameter, so that a member
    gets the same 404 for `/moderation/cases/x` as for any other address; a moderator gets a
    404 page ("no such case") for a case that does not exist."""
    refused = _console(request, user)
    if refused is not None:
        return refused
    number = page_id(case_id)
    await cases.get(session, number)
    return render(
        request,
        "moderation_case.html",
        user,
        case_id=number,
        explanation_max=runtime.settings.moderation_explanation_max_chars,
    )


AUDIT_FILTERS = ("verb", "actor", "target", "from", "to")
# Offered in the verb filter; others (a new surface's) may still be typed in.
AUDIT_VERBS = (
    "case.claim",
    "case.release",
    "case.decide",
    "terms.add",
    "terms.remove",
    "terms.import",
    "hashes.add",
    "hashes.remove",
    "hashes.import",
    "screening.hold",
    "screening.remove_content",
    "user.create",
    "user.role",
    "user.status",
)


@router.get("/moderation/audit")
async def audit_page(request: Request, user: WebUser) -> Response:
    """The audit log, for admins only, with its filters as a form (its values are passed on
    to `GET /api/v1/moderation/audit` by the page's script, which reports a bad one)."""
    refused = _console(request, user, admin=True)
    if refused is not None:
        return refused
    filters = {name: request.query_params.get(name, "") for name in AUDIT_FILTERS}
    return render(request, "moderation_audit.html", user, filters=filters, verbs=AUDIT_VERBS)


@router.get("/moderation/lists")
async def lists_page(request: Request, user: WebUser, kind: str = "terms") -> Response:
    """The keyword lists (`kind=terms`) and the picture hash lists (`kind=hashes`)."""
    refused = _console(request, user)
    if refused is not None:
        return refused
    return render(
        request, "moderation_lists.html", user, kind="hashes" if kind == "hashes" else "terms"
    )
