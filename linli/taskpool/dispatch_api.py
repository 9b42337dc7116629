"""/api/v1/dispatch: proposals of who should do which open task."""

from ninja import Router

router = Router(tags=["dispatch"])
