"""/api/v1/tasks: the task pool."""

from ninja import Router

router = Router(tags=["tasks"])
