from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from linli.core.models import Job


@login_required
def home(request):
    # The dashboard belongs to the registry; core only routes to it (core imports no app).
    return redirect("residents:dashboard")


@require_POST
def toggle_large_type(request):
    request.session["large_type"] = not request.session.get("large_type", False)
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    return redirect(target)


@login_required
def job_detail(request, pk):
    # A job is visible to the person who started it (and to superusers, for support).
    job = Job.objects.filter(pk=pk).first()
    if job is None or not (request.user.is_superuser or job.created_by_id == request.user.pk):
        raise Http404
    data = {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "finished": job.finished,
        "result": job.result,
    }
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(data)
    return render(request, "core/job.html", {"job": job, "data": data})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
