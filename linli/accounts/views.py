import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import user_has_device

from linli.accounts import services
from linli.accounts.access import user_scope
from linli.accounts.choices import Role
from linli.accounts.forms import LoginForm, TotpConfirmForm
from linli.core.errors import ApplicationError
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


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        device = getattr(form.get_user(), "otp_device", None)
        if device is not None:
            otp_login(self.request, device)  # mark the session as verified by the second step
        return response


@login_required
def two_factor(request):
    """Set up, or turn off, two-step login with an authenticator app."""
    user = request.user
    enabled = user_has_device(user, confirmed=True)
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action")
        try:
            if action == "disable":
                services.totp_disable(user=user, token=form.cleaned_data["token"])
                messages.success(request, _("Two-step login is off."))
            else:
                services.totp_confirm(user=user, token=form.cleaned_data["token"])
                messages.success(request, _("Two-step login is on."))
            return redirect("accounts:two_factor")
        except ApplicationError as exc:
            for name, errors in exc.fields.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
    qr_svg = secret = ""
    if not enabled:
        device = services.totp_start(user=user) if request.method == "GET" else None
        if device is None:
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is not None:
            qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4)
            secret = device.config_url.split("secret=")[1].split("&")[0]
    return render(
        request,
        "accounts/two_factor.html",
        {"enabled": enabled, "form": form, "qr_svg": qr_svg, "secret": secret},
    )
