import pytest

from mockpace.common.routing import normalize


@pytest.mark.parametrize(
    ("path", "routed", "collection"),
    [
        ("/api/rest/workLogs", "/api/rest/worklogs", None),
        ("/api/rest/workLogs/", "/api/rest/worklogs", None),
        ("/api/DefaultCollection/rest/workLogs/all", "/api/rest/worklogs/all", "DefaultCollection"),
        ("/api/Fabrikam/tracking/client/current", "/api/tracking/client/current", "Fabrikam"),
        ("/api/odata/V3.2/workLogsOnly", "/api/odata/v3.2/workLogsOnly", None),
        ("/api/DefaultCollection/odata/v3.2/workItems(12)/Children",
         "/api/odata/v3.2/workItems(12)/Children", "DefaultCollection"),
        ("/api/pin/create", "/api/pin/create", None),
        ("/api/DefaultCollection/pin/status", "/api/pin/status", "DefaultCollection"),
        ("/Token", "/token", None),
        ("/api/DefaultCollection/token", "/api/token", "DefaultCollection"),
        ("/_mockpace/health", "/_mockpace/health", None),
        ("/api/nothing", "/api/nothing", None),
    ],
)
def test_paths_are_normalized_like_aspnet_routing(path: str, routed: str,
                                                   collection: str | None) -> None:
    assert normalize(path) == (routed, collection)
