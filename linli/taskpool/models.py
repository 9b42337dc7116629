from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.taskpool.choices import LIVE, Priority, Source, Status, TaskKind


class TaskQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        from linli.taskpool.access import task_scope_q

        return self.filter(task_scope_q(user, action))

    def live(self):
        return self.filter(status__in=LIVE)

    def overdue(self, now=None):
        return self.live().filter(due_at__lt=now or timezone.now())


class Task(models.Model):
    """One need of the community, owned by one worker: the spine of Linli (DESIGN.md).
    Every request for the same need at the same target while it is live joins this task."""

    community = models.ForeignKey("places.Community", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    # The target: one of these, from the most specific; `target_key` names it for de-duplication.
    resident = models.ForeignKey(
        "residents.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "places.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        "places.Building", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place = models.ForeignKey(
        "places.PublicPlace", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "places.Grid", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_key = models.CharField(max_length=40, editable=False)
    # Where the work happens on the site plan, for dispatch and walking order.
    x = models.FloatField(default=0)
    y = models.FloatField(default=0)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    required_skill = models.CharField(_("skill needed"), max_length=20, blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(_("estimated minutes"), default=30)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    assignee = models.ForeignKey(
        "workforce.Worker",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=_("owner"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True, db_index=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    result_note = models.CharField(_("result"), max_length=500, blank=True)
    photo = models.ImageField(_("photo"), upload_to="tasks/%Y/%m/", blank=True)
    failure_reason = models.CharField(_("why it failed"), max_length=300, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=300, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "due_at", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [models.Index(fields=["community", "status", "priority"])]
        constraints = [
            # Problem P2 in the database itself: one live task per need and target.
            models.UniqueConstraint(
                fields=["community", "kind", "target_key"],
                condition=Q(status__in=["open", "assigned", "accepted", "in_progress"]),
                name="task_one_live_per_target",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(status="cancelled") | Q(assignee__isnull=False),
                name="task_owned_unless_open",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="task_failure_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="task_rating_1_5",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    @property
    def overdue(self) -> bool:
        return bool(self.due_at and self.status in LIVE and self.due_at < timezone.now())


class TaskRequest(models.Model):
    """One request for a need. Several requests for the same live need share one task, so
    nobody gets two visits and every requester is answered."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="requests")
    source = models.CharField(max_length=16, choices=Source.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("request")
        verbose_name_plural = _("requests")

    def __str__(self):
        return f"{self.task_id}: {self.note[:40]}"


class TaskEvent(models.Model):
    """A change of a task's state: who, when, from what to what."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    worker = models.ForeignKey(
        "workforce.Worker", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("task event")
        verbose_name_plural = _("task events")

    def __str__(self):
        return f"{self.task_id} {self.action} {self.from_status}→{self.to_status}"


class DispatchProposal(models.Model):
    """A computed assignment of open tasks to workers, for a dispatcher to accept or change."""

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    total_cost = models.FloatField(default=0)
    baseline_cost = models.FloatField(null=True, blank=True)
    seconds = models.FloatField(default=0)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dispatch proposal")
        verbose_name_plural = _("dispatch proposals")

    def __str__(self):
        return f"#{self.pk} {self.created_at:%Y-%m-%d %H:%M}"


class ProposalItem(models.Model):
    """One open task of a proposal: the worker proposed for it and why, or (no worker) why
    nobody could take it."""

    proposal = models.ForeignKey(DispatchProposal, on_delete=models.CASCADE, related_name="items")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(
        "workforce.Worker", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    distance_m = models.FloatField()
    cost = models.FloatField()
    explanation = models.CharField(max_length=300)
    # The engine's reason code and parameters, so the explanation reads in the reader's language.
    reason = models.JSONField(default=dict, blank=True)
    accepted = models.BooleanField(null=True)

    class Meta:
        ordering = ["task__priority", "task_id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "task"], name="proposal_task_once")
        ]

    def __str__(self):
        return f"{self.task_id} → {self.worker_id}"
