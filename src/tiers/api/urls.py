"""The HTTP API, version 1: one NinjaAPI, one router module per app."""

from ninja import NinjaAPI

from tiers.api.problems import install_problem_handlers

api = NinjaAPI(
    title="Tiers API",
    version="1",
    description=(
        "Open data and management of tiers-lieux: places, networks, memberships. "
        "Authenticate with a personal token (`Authorization: Bearer …`, created in your "
        "profile) or the browser session. Errors are RFC 9457 problem details."
    ),
    auth=None,
    urls_namespace="api",
)
install_problem_handlers(api)

from tiers.api import opendata, places  # noqa: E402

# Open data first: /places.geojson must not be taken for /places/{slug}.
api.add_router("/", opendata.router)
api.add_router("/", places.router)
