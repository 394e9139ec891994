"""Every API route of the application, for the tests that walk them all (the permission
matrix, site scoping, the blinding twins, locks).

FastAPI keeps a router included in another as one entry holding the ``original_router``
(the follow-up API's pregnancy and adverse-event routes sit inside the follow-up router), so a
walk over ``router.routes`` alone missed them; this one goes into included routers too.

The REDCap API (``/redcap/…/api/``, ``web.routes.redcap_api``) is left out: it is neither a
page nor a route of the JSON API but REDCap's protocol (a POST that reads, the token in the
form, REDCap's errors), and its access, scoping and blinding are tested by its own tests
(``tests/formats/redcap_api``) through the same ``admitted`` check.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.routing import APIRoute

from ovaregen.web.routes import ROUTERS

REDCAP_API = "/redcap/"


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """The API routes of ``routes``, into the routers they include."""
    for route in routes:
        if isinstance(route, APIRoute) and not route.path.startswith(REDCAP_API):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def application_routes() -> list[APIRoute]:
    """Every API route of the application's routers (``web.routes.ROUTERS``)."""
    return list(api_routes(route for router in ROUTERS for route in router.routes))
