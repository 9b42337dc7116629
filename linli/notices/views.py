"""My notifications: a person's in-app messages and their read receipts."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from linli.notices import selectors, services


@login_required
def my_notifications(request):
    qs = selectors.notifications_for(user=request.user)
    page = Paginator(qs, settings.LINLI_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/mine.html",
        {"page": page, "unread": selectors.unread_count(user=request.user)},
    )


@login_required
@require_POST
def mark_read(request, pk):
    notification = selectors.notifications_for(user=request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    services.notification_read(user=request.user, notification=notification)
    return redirect("notices:mine")


@login_required
@require_POST
def mark_all_read(request):
    services.notifications_read_all(user=request.user)
    return redirect("notices:mine")
