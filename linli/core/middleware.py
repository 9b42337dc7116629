from django.conf import settings
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


class DefaultLanguageMiddleware:
    """Pages open in Simplified Chinese unless the person chose English with the switch (a
    cookie): a borrowed phone or a PC set up in English must not surprise an old resident.
    The API still honours Accept-Language, which is what API clients send on purpose."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            not request.path.startswith("/api/")
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
        ):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
