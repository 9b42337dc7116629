"""/api/v1/workers: the roster."""

from ninja import Router

router = Router(tags=["workers"])
