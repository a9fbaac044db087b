"""Admin plane rules, shared by the HTTP routes and the CLI."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from mockpace.orgs import Org
from mockpace.store import ApiToken, User


def token_list(org: Org) -> list[dict[str, Any]]:
    """One entry per user with a personal token, sorted by e-mail (40-admin.md)."""
    with org.store.read() as session:
        rows = session.exec(
            select(User, ApiToken)
            .join(ApiToken, col(ApiToken.user_id) == col(User.id))
            .where(ApiToken.kind == "personal")
            .order_by(col(User.email), col(ApiToken.token))
        ).all()
    seen: set[str] = set()
    result = []
    for user, token in rows:
        if user.id in seen:
            continue
        seen.add(user.id)
        result.append({"email": user.email, "name": user.name, "role": user.role,
                       "userId": user.id, "token": token.token})
    return result
