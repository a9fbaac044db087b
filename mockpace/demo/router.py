"""``GET /``: the demo page (``page.html``, shipped in the package; no build step, nothing from
another host)."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter()


@lru_cache(maxsize=1)
def page() -> bytes:
    return files("mockpace.demo").joinpath("page.html").read_bytes()


@router.get("/", include_in_schema=False)
def demo_page() -> HTMLResponse:
    return HTMLResponse(page(), headers={"Cache-Control": "no-cache"})
