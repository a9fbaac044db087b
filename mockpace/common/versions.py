"""api-version rules (docs/emulation.md s3)."""

from __future__ import annotations

from mockpace.common.errors import ODataError, SevenPaceError

REST_VERSIONS = ("3.0", "3.0-preview", "3.1", "3.1-beta", "3.2", "3.2-beta", "3.3-beta")
TRACKING_VERSIONS = ("2.1", *REST_VERSIONS)
REPORTING_VERSIONS = ("v3.0", "v3.1", "v3.2", "v3.3-beta")
DEPRECATED_VERSIONS = ("2.1", "3.0", "3.0-preview", "3.1", "3.1-beta", "3.2-beta")
LENIENT_DEFAULT = "3.2"


def check_api_version(
    value: str | None, *, accepted: tuple[str, ...] = REST_VERSIONS, lenient: bool = False
) -> str:
    """The api-version to serve, or ApiVersionError (400) naming the accepted values."""
    if value is not None:
        for version in accepted:
            if version.lower() == value.strip().lower():
                return version
    if lenient:
        return LENIENT_DEFAULT
    listed = ", ".join(accepted)
    if value is None:
        problem = "The api-version query parameter is required"
    else:
        problem = f"The api-version '{value}' is not supported"
    raise SevenPaceError(
        "ApiVersionError",
        f"{problem}. Accepted values: {listed}.",
        fields={"parameter": "api-version", "accepted": list(accepted)},
    )


def check_reporting_version(segment: str) -> str:
    """The canonical OData version segment (``v3.2``) or a 404 OData error."""
    for version in REPORTING_VERSIONS:
        if version.lower() == segment.lower():
            return version
    raise ODataError(
        f"Unknown Reporting API version '{segment}'. Available: {', '.join(REPORTING_VERSIONS)}.",
        status=404,
        code="NotFound",
    )


def version_tuple(version: str) -> tuple[int, int]:
    """``3.2-beta`` -> (3, 2); ``v3.3-beta`` -> (3, 3)."""
    core = version.lstrip("v").split("-")[0]
    major, minor = core.split(".")
    return int(major), int(minor)
