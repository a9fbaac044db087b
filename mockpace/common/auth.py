"""Authentication and roles: one dependency used by every 7pace surface (docs/emulation.md s2).

Accepted credentials: ``Authorization: Bearer <token>`` and ``Authorization: Basic
base64(<anything>:<token>)`` (the Excel and Power BI way; a bare token after ``Basic`` works too).
``auth=off`` serves every request as the organization's admin user. On on-prem paths
(``/api/{collection}/...``) ``NTLM`` and ``Negotiate`` credentials run the Windows handshake
(``mockpace.common.ntlm``): the type 3 message names a seeded user, whose API token is the
password with ``onprem_auth=token``; with ``onprem_auth=trust`` any password passes, an unknown
name and a request without credentials are the admin user.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel import select

from mockpace.common import ntlm
from mockpace.common.context import Context, get_context
from mockpace.common.errors import SevenPaceError
from mockpace.store import User, db_datetime


@dataclass(frozen=True)
class Caller:
    user: User
    token: str | None  # None when served without a token (auth=off, onprem trust)
    context: Context

    @property
    def role(self) -> str:
        return self.user.role

    def has_role(self, *roles: str) -> bool:
        return self.user.role in roles


def token_from_header(value: str | None) -> tuple[str | None, str | None]:
    """(scheme, token) from an Authorization header; scheme lower-cased."""
    if not value:
        return None, None
    scheme, _, credential = value.strip().partition(" ")
    scheme = scheme.lower()
    credential = credential.strip()
    if scheme == "basic" and credential:
        try:
            decoded = base64.b64decode(credential, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):  # not base64 (non-ASCII raises ValueError), not UTF-8
            return scheme, credential
        user, sep, password = decoded.partition(":")
        if not sep:
            return scheme, decoded
        return scheme, password or user
    return scheme, credential or None


def unauthorized(message: str, *, on_prem: bool = False) -> SevenPaceError:
    challenge: str | list[str] = (["NTLM", "Negotiate"] if on_prem
                                  else 'Bearer realm="7pace Timetracker"')
    return SevenPaceError("UnauthorizedError", message, status=401,
                          headers={"WWW-Authenticate": challenge})


def _admin_user(context: Context) -> User:
    with context.org.store.read() as session:
        user = session.get(User, context.org.admin_user_id) if context.org.admin_user_id else None
        if user is None:
            user = session.exec(select(User).where(User.role == "Administrator")
                                .order_by(User.email)).first()
    if user is None:
        raise unauthorized("The organization has no administrator to serve this request as.")
    return user


_USER_COLUMNS = tuple(User.model_fields)
_TOKEN_SQL = (
    f"SELECT {', '.join('u.' + c for c in _USER_COLUMNS)} FROM api_tokens t "
    "JOIN users u ON u.id = t.user_id WHERE t.token = ? "
    "AND t.kind != 'refresh' "  # refresh tokens only buy new tokens
    "AND (t.expires_at IS NULL OR t.expires_at > ?)"
)


def lookup_token(context: Context, token: str) -> User | None:
    """The token's user, if the token is known and not expired on the organization's clock.
    Raw SQL on the hot path: every authenticated request pays for this lookup."""
    rows = context.org.store.fast_rows(_TOKEN_SQL, (token, db_datetime(context.now())))
    if not rows:
        return None
    return user_from_row(tuple(rows[0]))


_USER_CACHE: dict[tuple[Any, ...], User] = {}
_USER_CACHE_SIZE = 1024


def user_from_row(row: tuple[Any, ...]) -> User:
    """The User of a full ``users`` row (columns in model order). Building a SQLModel table
    object costs more than the token lookup itself, so objects are kept per exact row: any
    change of the row (role, time zone, ...) is another key. Callers only read them."""
    user = _USER_CACHE.get(row)
    if user is None:
        if len(_USER_CACHE) >= _USER_CACHE_SIZE:
            _USER_CACHE.clear()
        user = User(**dict(zip(_USER_COLUMNS, row, strict=True)))
        _USER_CACHE[row] = user
    return user


_WINDOWS_USER_SQL = (
    f"SELECT {', '.join(_USER_COLUMNS)} FROM users WHERE lower(unique_name) IN (?, ?) "
    "OR lower(email) = ? OR lower(substr(email, 1, instr(email, '@') - 1)) = ?"
)
_USER_TOKENS_SQL = (
    "SELECT token FROM api_tokens WHERE user_id = ? AND kind != 'refresh' "
    "AND (expires_at IS NULL OR expires_at > ?) ORDER BY token"
)


def windows_user(context: Context, domain: str, name: str) -> User | None:
    """The seeded user a Windows name denotes, case-insensitively: ``DOMAIN\\user`` as the
    unique name, else ``user`` as unique name or e-mail, else as e-mail local part. The first
    of these that matches exactly one user wins; no match or an ambiguous one is None."""
    name = name.lower()
    full = f"{domain}\\{name}".lower() if domain else name
    rows = context.org.store.fast_rows(_WINDOWS_USER_SQL, (full, name, name, name))
    users = [user_from_row(tuple(r)) for r in rows]
    for matches in (
        lambda u: u.unique_name.lower() == full,
        lambda u: name in (u.unique_name.lower(), u.email.lower()),
        lambda u: u.email.lower().partition("@")[0] == name,
    ):
        found = [u for u in users if matches(u)]
        if len(found) == 1:
            return found[0]
    return None


def _windows_caller(request: Request, context: Context, scheme: str, credential: str,
                    trust: bool) -> Caller:
    connection = (context.org.name, request.scope.get("server"), request.scope.get("client"))
    try:
        step = ntlm.accept(scheme, credential, connection)
    except ntlm.NtlmError as exc:
        raise unauthorized(f"Windows authentication failed: {exc}.", on_prem=True) from None
    if isinstance(step, ntlm.ChallengeReply):
        raise SevenPaceError(
            "UnauthorizedError", "NTLM challenge: answer it with the authenticate (type 3) "
            "message on the same connection.", status=401,
            headers={"WWW-Authenticate": step.header})
    user = None if step.anonymous else windows_user(context, step.domain, step.user)
    if trust:
        return Caller(user or _admin_user(context), None, context)
    who = f"{step.domain}\\{step.user}" if step.domain else step.user
    if user is None:
        raise unauthorized(
            f"Windows user '{who}' is not a user of this organization (matched by unique name, "
            "e-mail or e-mail local part).", on_prem=True)
    if step.server_challenge is None:
        raise unauthorized("No NTLM challenge is pending on this connection: send the "
                           "negotiate (type 1) message first, on the same connection.",
                           on_prem=True)
    rows = context.org.store.fast_rows(_USER_TOKENS_SQL,
                                       (user.id, db_datetime(context.now())))
    token = step.proven_by(r[0] for r in rows)
    if token is None:
        raise unauthorized(
            f"The NTLM response of '{who}' does not match: with onprem_auth=token the "
            "password is the user's API token (NTLMv2).", on_prem=True)
    return Caller(user, token, context)


def authenticate(request: Request, context: Context) -> Caller:
    if context.settings.auth == "off":
        return Caller(_admin_user(context), None, context)
    scheme, token = token_from_header(request.headers.get("authorization"))
    trust = context.on_prem and context.settings.onprem_auth == "trust"
    if context.on_prem and scheme in ntlm.SCHEMES:
        return _windows_caller(request, context, scheme or "", token or "", trust)
    if trust and scheme is None:
        return Caller(_admin_user(context), None, context)
    if scheme is None or token is None:
        raise unauthorized(
            "Authorization required: send 'Authorization: Bearer <token>' with a Timetracker "
            "API token.", on_prem=context.on_prem)
    if scheme not in ("bearer", "basic"):
        raise unauthorized(
            f"Unsupported authorization scheme '{scheme}': use Bearer or Basic with the token.",
            on_prem=context.on_prem)
    user = lookup_token(context, token)
    if user is None:
        raise unauthorized("The token is not valid for this organization, or it has expired.",
                           on_prem=context.on_prem)
    return Caller(user, token, context)


async def get_caller(request: Request,
                     context: Annotated[Context, Depends(get_context)]) -> Caller:
    # async: no thread-pool hop for a lookup that costs tens of microseconds
    cached = getattr(request.state, "mockpace_caller", None)
    if cached is not None:
        return cached
    caller = authenticate(request, context)
    request.state.mockpace_caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


def require_role(caller: Caller, roles: tuple[str, ...], action: str) -> None:
    """403 AccessDenied unless the caller has one of ``roles``."""
    if caller.role not in roles:
        needed = " or ".join(roles)
        raise SevenPaceError(
            "AccessDenied",
            f"Access denied. Not enough rights: {action} needs the role {needed}; "
            f"the caller's role is {caller.role}.",
            fields={"requiredRoles": list(roles), "role": caller.role},
        )


def require_any_role(caller: Caller, action: str) -> None:
    """Every REST call but ``me`` is refused to users whose role is None."""
    if caller.role == "None":
        raise SevenPaceError(
            "AccessDenied",
            f"Access denied. Not enough rights: {action} needs a Timetracker role; "
            "the caller's role is None.",
            fields={"role": caller.role},
        )
