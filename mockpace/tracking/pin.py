"""PIN pairing and the OAuth2 token endpoint (the 7pace Tracking contract, docs/emulation.md s2).

Flow: ``POST /api/pin/create`` -> ``{pin, secret}``; the user validates the PIN (the admin plane
``POST /_mockpace/pins/{pin}/validate``, or at once for the organization's admin user with
``pin_auto_validate``); ``POST /api/pin/status`` with the JSON-quoted secret reports it;
``POST /token`` (form body, ``client_id=OpenApi``) exchanges the secret once
(``grant_type=authorization_code&code=<secret>``) for an access token of one hour of clock time
and a refresh token (``grant_type=refresh_token``; refresh tokens rotate). Access tokens are
``api_tokens`` rows of kind ``access`` with ``expires_at``, so the one auth dependency accepts them
on all three APIs.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Body, Depends
from sqlmodel import Session, col, delete, select

from mockpace.admin.router import OrgDep, check_admin_key
from mockpace.common import limits
from mockpace.common.context import Context
from mockpace.common.errors import SevenPaceError
from mockpace.common.guard import BoundedJsonRoute
from mockpace.common.timefmt import as_utc
from mockpace.orgs import Org
from mockpace.store import ApiToken, Pin, User
from mockpace.tracking.schemas import bad_body, parse_guid

PIN_LIFETIME = timedelta(minutes=1)
ACCESS_LIFETIME = timedelta(hours=1)
# The docs say "one year" and 129600 s in one sentence; mockpace takes the year.
REFRESH_LIFETIME = timedelta(days=365)
CLIENT_ID = "OpenApi"

# /api/pin/status answers (C9's PinStatusEnum spellings).
STATUS_VALIDATED, STATUS_VALIDATING, STATUS_EXPIRED = "Validated", "Validating", "WrongOrExpired"


def _expired(pin: Pin, now: datetime) -> bool:
    return as_utc(pin.created_at) + PIN_LIFETIME <= now


def create_pin(context: Context) -> dict[str, Any]:
    now = as_utc(context.now())
    auto_user = context.org.admin_user_id if context.settings.pin_auto_validate else None
    with context.org.store.write() as session:
        # Keep the table small: finished PINs and PINs nobody validated in time go away.
        session.exec(delete(Pin).where(
            (col(Pin.status) == "used")
            | ((col(Pin.status) == "created") & (col(Pin.created_at) <= now - PIN_LIFETIME))))
        while True:
            number = f"{secrets.randbelow(1_000_000):06d}"
            existing = session.get(Pin, number)
            if existing is None:
                break
            if existing.status != "validated" and _expired(existing, now):
                session.delete(existing)
                session.flush()
                break
        secret = secrets.token_urlsafe(32)
        session.add(Pin(pin=number, secret=secret, user_id=auto_user,
                        status="validated" if auto_user else "created", created_at=now))
    return {"pin": number, "secret": secret}


def parse_secret(raw: bytes, *, lenient: bool) -> str:
    """The body of pin/status: the secret as a JSON string (``"Zjk1...=="``)."""
    text = raw.strip()
    if not text:
        raise bad_body("The pin/status request needs the secret as a JSON string body.",
                       body="missing")
    try:
        value = limits.parse_json(text)
    except limits.JsonBodyError as exc:
        if lenient and "malformed" in str(exc):  # lenient_params: a bare, unquoted secret
            return text.decode("utf-8", "replace")
        raise bad_body("The pin/status body must be the secret as a JSON string (quoted), "
                       f"e.g. \"Zjk1...\"; the body is not: {exc}.",
                       body="invalid JSON") from None
    if isinstance(value, dict) and lenient:
        value = {str(k).lower(): v for k, v in value.items()}.get("secret")
    if not isinstance(value, str) or not value:
        raise bad_body("The pin/status body must be the secret as a JSON string, not "
                       f"{limits.echo_json(value)}.", body="not a string")
    return value


def pin_status(context: Context, secret: str) -> dict[str, str]:
    now = as_utc(context.now())
    with context.org.store.read() as session:
        pin = session.exec(select(Pin).where(Pin.secret == secret)).first()
    if pin is None or pin.status == "used":
        return {"status": STATUS_EXPIRED}
    if pin.status == "validated" and pin.user_id:
        return {"status": STATUS_VALIDATED}
    return {"status": STATUS_EXPIRED if _expired(pin, now) else STATUS_VALIDATING}


def validate_pin(org: Org, pin_number: str, user_id: Any) -> dict[str, Any]:
    """What a user typing the PIN into the 7pace Apps page does (docs/admin.md)."""
    if not isinstance(user_id, str) or not user_id:
        raise SevenPaceError("BadRequest", "The body needs 'userId': the GUID of the user "
                             "who validates the PIN.", fields={"field": "userId"})
    guid = parse_guid(user_id)
    if guid is None:
        raise SevenPaceError("BadRequest", f"'userId' must be a GUID; got '{user_id}'.",
                             fields={"field": "userId"})
    now = as_utc(org.clock().now())
    with org.store.write() as session:
        user = session.get(User, guid)
        if user is None:
            raise SevenPaceError("EntityNotFound", f"User '{guid}' does not exist.",
                                 fields={"userId": guid})
        pin = session.get(Pin, pin_number)
        if pin is None or pin.status == "used" or _expired(pin, now):
            raise SevenPaceError("EntityNotFound",
                                 f"PIN '{pin_number}' is unknown or expired (a PIN is valid "
                                 "for one minute).", status=404, fields={"pin": pin_number})
        pin.user_id = user.id
        pin.status = "validated"
        session.add(pin)
    return {"pin": pin_number, "userId": guid, "status": "validated"}


def _oauth_error(message: str, oauth_error: str, **fields: Any) -> SevenPaceError:
    return SevenPaceError("BadRequest", message, fields={"oauthError": oauth_error, **fields})


def parse_form(raw: bytes) -> dict[str, str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _oauth_error("The token request body is not UTF-8 text.", "invalid_request") \
            from exc
    if text.lstrip().startswith(("{", "[")):
        raise _oauth_error("The token request body must be form-urlencoded "
                           "(application/x-www-form-urlencoded), not JSON.", "invalid_request")
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _rfc1123(value: datetime) -> str:
    return format_datetime(as_utc(value), usegmt=True)


def _issue(session: Session, user_id: str, now: datetime) -> dict[str, Any]:
    # Expired pairing tokens are dead weight in the auth lookups' table.
    session.exec(delete(ApiToken).where(
        col(ApiToken.kind).in_(("access", "refresh")), col(ApiToken.expires_at) <= now))
    access = secrets.token_urlsafe(32)
    refresh = secrets.token_urlsafe(32)
    expires = now + ACCESS_LIFETIME
    session.add(ApiToken(token=access, user_id=user_id, kind="access", created_at=now,
                         expires_at=expires))
    session.add(ApiToken(token=refresh, user_id=user_id, kind="refresh", created_at=now,
                         expires_at=now + REFRESH_LIFETIME))
    return {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": int(ACCESS_LIFETIME.total_seconds()),
        "refresh_token": refresh,
        "client_id": CLIENT_ID,
        ".issued": _rfc1123(now),
        ".expires": _rfc1123(expires),
    }


def token(context: Context, form: dict[str, str]) -> dict[str, Any]:
    """POST /token: the classic OWIN OAuth2 server's JSON answer."""
    client_id = form.get("client_id")
    if client_id != CLIENT_ID:
        raise _oauth_error(f"client_id must be '{CLIENT_ID}'; got "
                           f"{'nothing' if client_id is None else repr(client_id)}.",
                           "invalid_client", parameter="client_id")
    grant = form.get("grant_type")
    now = as_utc(context.now())
    with context.org.store.write() as session:
        if grant == "authorization_code":
            code = form.get("code")
            if not code:
                raise _oauth_error("grant_type=authorization_code needs 'code' (the PIN secret).",
                                   "invalid_request", parameter="code")
            pin = session.exec(select(Pin).where(Pin.secret == code)).first()
            if pin is None or pin.status == "used":
                raise _oauth_error("The code is unknown or was already exchanged.",
                                   "invalid_grant", parameter="code")
            if pin.status != "validated" or not pin.user_id:
                state = "expired" if _expired(pin, now) else "not validated yet"
                raise _oauth_error(f"The PIN of this code is {state}.", "invalid_grant",
                                   parameter="code")
            pin.status = "used"
            session.add(pin)
            return _issue(session, pin.user_id, now)
        if grant == "refresh_token":
            value = form.get("refresh_token")
            if not value:
                raise _oauth_error("grant_type=refresh_token needs 'refresh_token'.",
                                   "invalid_request", parameter="refresh_token")
            row = session.exec(select(ApiToken).where(
                ApiToken.token == value, ApiToken.kind == "refresh")).first()
            if row is None or (row.expires_at is not None and as_utc(row.expires_at) <= now):
                raise _oauth_error("The refresh token is unknown, expired or already used.",
                                   "invalid_grant", parameter="refresh_token")
            session.delete(row)  # refresh tokens rotate: each is good for one refresh
            return _issue(session, row.user_id, now)
    raise _oauth_error(f"Unsupported grant_type {grant!r}: use 'authorization_code' or "
                       "'refresh_token'.", "unsupported_grant_type", parameter="grant_type")


admin_router = APIRouter(prefix="/_mockpace", tags=["admin"],
                         dependencies=[Depends(check_admin_key)], route_class=BoundedJsonRoute)


@admin_router.post("/pins/{pin}/validate")
def validate(pin: str, org: OrgDep,
             body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Validate a PIN as the user ``userId`` (what typing it into the 7pace Apps page does)."""
    lowered = {str(k).lower(): v for k, v in body.items()}
    return validate_pin(org, pin, lowered.get("userid"))
