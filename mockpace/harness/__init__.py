"""The test harness around the 7pace routes: request journal, fault injection, rate limiting and
contract diagnostics, applied by one pure ASGI middleware (``HarnessMiddleware``)."""

from mockpace.harness.middleware import HarnessMiddleware
from mockpace.harness.state import Harness, OrgHarness, harness_of

__all__ = ["Harness", "HarnessMiddleware", "OrgHarness", "harness_of"]
