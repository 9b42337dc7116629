"""Volunteer recruitment (S11) on a phone: the public sign-up page, then the volunteer's own
status page with their screening steps and the short safety training."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core.errors import ApplicationError
from linli.core.ratelimit import client_ip, over_limit
from linli.places.models import Community
from linli.workforce import selectors, services
from linli.workforce.forms import SignupForm


def signup(request):
    """No login: anyone living in the community may offer help. Creates a login with no role
    and a roster entry waiting for screening; nothing is offered to them before approval."""
    if request.user.is_authenticated and selectors.worker_for(request.user) is not None:
        return redirect("volunteer:status")
    communities = Community.objects.order_by("name")
    # A poster's QR code can name the community (?community=code), so nobody has to choose.
    code = request.GET.get("community", "")
    if code and communities.filter(code=code).exists():
        communities = communities.filter(code=code)
    if not communities.exists():
        raise Http404
    form = SignupForm(request.POST or None, communities=communities)
    if request.method == "POST" and over_limit(
        f"signup:{client_ip(request)}",
        limit=settings.LINLI_SIGNUP_PER_HOUR,
        window_seconds=3600,
    ):
        # A public page: a script must not fill the roster with fake volunteers.
        messages.error(
            request, _("Too many sign-ups from this connection. Please try again later.")
        )
        form = SignupForm(communities=communities)
        return render(
            request,
            "workforce/signup.html",
            {"form": form, "availability": form.availability_grid()},
            status=429,
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            worker = services.volunteer_signup(
                community=data["community"],
                name=data["name"],
                phone=data["phone"],
                id_number=data["id_number"],
                building_number=data["building"],
                room=data["room"],
                skills=data["skills"],
                availability=data["availability"],
                organisation=data["organisation"],
                username=data["username"],
                password=data["password"],
            )
        except ApplicationError as exc:
            form.add_application_errors(exc.fields or {"__all__": [exc.message]})
            if exc.code == "already_signed_up":
                form.add_error(None, exc.message)
        else:
            login(request, worker.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Thank you! Community staff will now screen your sign-up."))
            return redirect("volunteer:status")
    return render(
        request,
        "workforce/signup.html",
        {"form": form, "availability": form.availability_grid()},
        status=400 if form.errors else 200,
    )


def _own_worker(request):
    worker = selectors.worker_for(request.user)
    if worker is None:
        raise Http404
    return worker


@login_required
def status(request):
    worker = _own_worker(request)
    return render(
        request,
        "workforce/status.html",
        {
            "worker": worker,
            "state": services.screening_state(worker),
            "valid_days": services.TEST_VALID_DAYS,
        },
    )


@login_required
@require_POST
def acknowledge_training(request):
    worker = _own_worker(request)
    services.volunteer_acknowledge_training(actor=request.user, worker=worker)
    messages.success(request, _("Thank you. Your acknowledgement was recorded."))
    return redirect("volunteer:status")
