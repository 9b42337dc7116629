from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render

from linli.accounts.access import user_scope
from linli.accounts.choices import Role
from linli.core.models import AuditEvent

AUDIT_ROLES = {Role.STAFF, Role.SUPERVISOR, Role.ADMIN}


def audit_events_for(user):
    """The audit log of the communities where `user` is staff, a supervisor or an admin."""
    scope = user_scope(user, AUDIT_ROLES)
    if scope.everywhere:
        return AuditEvent.objects.all()
    if not scope.communities:
        return None
    return AuditEvent.objects.filter(community_id__in=scope.communities)


@login_required
def audit_log(request):
    events = audit_events_for(request.user)
    if events is None:
        raise Http404
    action = request.GET.get("action", "").strip()
    actor = request.GET.get("actor", "").strip()
    target = request.GET.get("target", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    if actor:
        events = events.filter(actor_name__icontains=actor)
    if target:
        events = events.filter(Q(target_repr__icontains=target) | Q(target_id=target))
    page = Paginator(events.order_by("-created_at", "-id"), settings.LINLI_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    actions = (
        AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()[:100]
    )
    return render(
        request,
        "accounts/audit.html",
        {"page": page, "action": action, "actor": actor, "target": target, "actions": actions},
    )
