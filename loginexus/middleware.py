"""Page middleware: a domain error raised below a page becomes its answer (API errors are the
DRF exception handler's)."""

from django.shortcuts import render

from loginexus.exceptions import ApplicationError


class ApplicationErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ApplicationError):
            return None
        return render(
            request,
            "error.html",
            {"error": exception, "status": exception.status},
            status=exception.status,
        )
