"""Dependencies shared by the REST routes: api-version and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mockpace.common.context import Context, get_context
from mockpace.common.versions import REST_VERSIONS, check_api_version


def rest_version(request: Request, context: Annotated[Context, Depends(get_context)]) -> str:
    return check_api_version(
        request.query_params.get("api-version"),
        accepted=REST_VERSIONS,
        lenient=context.settings.lenient_api_version,
    )


RestVersion = Annotated[str, Depends(rest_version)]
