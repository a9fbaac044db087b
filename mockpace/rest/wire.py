"""REST wire shapes, built straight from rows in the exact key order of the real service
(10-rest.md section 7). Output we build ourselves is not re-validated (hot paths)."""

from __future__ import annotations

from typing import Any

from mockpace.store import ActivityType, Organization, User
from mockpace.store.tables import NOT_SET_ACTIVITY_TYPE_ID

NOT_SET = {"color": "ffffff", "name": "[Not Set]", "id": NOT_SET_ACTIVITY_TYPE_ID}


def user_json(user: User, *, expand_display_name: bool = False) -> dict[str, Any]:
    """User in the 3.2 key order: uniqueName, displayName, vstsId, vstsCollectionId,
    vstsCollectionId2, email, name, id."""
    return {
        "uniqueName": user.unique_name,
        "displayName": user.name if expand_display_name else None,
        "vstsId": user.vsts_id,
        "vstsCollectionId": user.vsts_collection_id,
        "vstsCollectionId2": user.vsts_collection_id2,
        "email": user.email,
        "name": user.name,
        "id": user.id,
    }


def activity_type_json(activity_type: ActivityType | None) -> dict[str, Any]:
    if activity_type is None:
        return dict(NOT_SET)
    return {"color": activity_type.color, "name": activity_type.name, "id": activity_type.id}


def account_json(org: Organization) -> dict[str, Any]:
    return {
        "vstsId": org.vsts_id,
        "vstsCollectionId": org.vsts_collection_id,
        "name": org.collection,
        "id": org.id,
    }
