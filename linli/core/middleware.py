from django.shortcuts import render

from linli.core.errors import ApplicationError


class ApplicationErrorMiddleware:
    """Shows a domain error raised by a page (403 "you may not…", 409 "already taken") as a
    page that says why, instead of a server error. The API has its own handlers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ApplicationError) and not request.path.startswith("/api/"):
            return render(request, "core/error.html", {"error": exception}, status=exception.status)
        return None
