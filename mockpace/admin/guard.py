"""Who may use the admin plane: the admin key, the ``Host`` check against DNS rebinding, and
no state change by a request a web page could send across origins (CSRF).

- Bound to loopback (the default), a request over the network must name a loopback host
  (``localhost``, ``*.localhost``, ``127.0.0.1``, ``[::1]``) or one of ``allowed_hosts``: a page
  of another site whose name was re-pointed at 127.0.0.1 sends its own name and is refused.
- Bound to another address (Docker, a team server), the user chose the network: any name
  works (``http://mockpace:8765`` in a compose file) and ``admin_key`` is the guard.
- Either way a ``POST`` must be a request a browser only sends after a CORS preflight (which
  mockpace never grants): a content type other than the three a form can send (JSON, YAML) or
  an ``X-Mockpace-*`` header; or come from the server's own origin (the admin docs page).
  Other methods (PUT, PATCH, DELETE) always need a preflight. Requests that do not come over
  a socket (an in-process test client) cannot come from a browser and are not checked.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from mockpace.common.errors import SevenPaceError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
REQUEST_HEADER = "X-Mockpace-Request"


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def over_network(scope: Mapping[str, Any]) -> bool:
    """True when the request came over a TCP socket (the ASGI ``server`` is an address)."""
    server = scope.get("server")
    if not server:
        return False
    try:
        ipaddress.ip_address(str(server[0]))
    except ValueError:
        return False
    return True


def host_name(host_header: str) -> str:
    """``example.test:8765`` -> ``example.test``; ``[::1]:8765`` -> ``::1``."""
    return (urlsplit(f"//{host_header}").hostname or "").lower()


def name_allowed(name: str, allowed: tuple[str, ...]) -> bool:
    if is_loopback(name):
        return True
    for pattern in allowed:
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
        if name == pattern:
            return True
    return False


def check_host(bind_host: str, host_header: str | None, allowed: tuple[str, ...]) -> None:
    if host_header is None or not is_loopback(bind_host):
        return
    name = host_name(host_header)
    if not name_allowed(name, allowed):
        raise SevenPaceError(
            "AccessDenied",
            f"Host '{host_header[:200]}' is not a loopback name: a mockpace bound to "
            f"{bind_host} answers its admin plane only for localhost, *.localhost, 127.0.0.1, "
            "[::1] and the names in the setting allowed_hosts (MOCKPACE_ALLOWED_HOSTS), so "
            "that a web page cannot reach it through DNS rebinding.",
            status=403, fields={"header": "Host"})


# The content types a web page may send to another site without a CORS preflight (the Fetch
# standard's CORS-safelisted request header), and no content type at all.
SIMPLE_TYPES = ("", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def check_not_simple(method: str, headers: Any, own_origin: str) -> None:
    if method != "POST":
        return
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in SIMPLE_TYPES:  # JSON, YAML...: a browser would have asked first
        return
    if any(name.lower().startswith("x-mockpace-") for name in headers):
        return
    if headers.get("origin", "").lower() == own_origin.lower():
        return
    raise SevenPaceError(
        "AccessDenied",
        "A POST to the admin plane needs a JSON (or YAML) body with its content type "
        f"(Content-Type: application/json) or a header such as '{REQUEST_HEADER}: 1', so that "
        "a web page of another site cannot send it (CSRF).",
        status=403, fields={"header": "Content-Type"})
