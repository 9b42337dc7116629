"""The JSON API at /api/v1: every app adds its router here."""

from linli.accounts.api import api_auth
from linli.accounts.api import router as auth_router
from linli.care.api import router as care_router
from linli.core.api import build_api
from linli.delivery.api import router as delivery_router
from linli.health.api import reports_router as health_reports_router
from linli.health.api import residents_router as health_residents_router
from linli.notices.public_api import router as public_router
from linli.residents.api import households_router, residents_router
from linli.supplies.api import jobs_router, orders_router, rounds_router
from linli.supplies.pickup_api import router as pickups_router
from linli.taskpool.api import router as tasks_router
from linli.taskpool.dispatch_api import router as dispatch_router
from linli.tracing.api import checkins_router, tracing_router
from linli.tracing.crosscheck_api import router as crosschecks_router
from linli.workforce.api import router as workers_router

api = build_api(auth=api_auth)
api.add_router("/auth", auth_router)
api.add_router("/residents", residents_router)
api.add_router("/households", households_router)
api.add_router("/tasks", tasks_router)
api.add_router("/workers", workers_router)
api.add_router("/dispatch", dispatch_router)
api.add_router("/rounds", rounds_router)
api.add_router("/orders", orders_router)
api.add_router("/jobs", jobs_router)
api.add_router("/delivery", delivery_router)
api.add_router("/pickups", pickups_router)
api.add_router("/health-reports", health_reports_router)
# GET /residents/{id}/health lives with the health app, beside the registry's own routes.
api.add_router("/residents", health_residents_router)
api.add_router("/checkins", checkins_router)
api.add_router("/tracing", tracing_router)
api.add_router("/crosschecks", crosschecks_router)
api.add_router("/care", care_router)
api.add_router("/public", public_router)
