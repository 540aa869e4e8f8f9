"""A URLconf for the error-page tests: the project's URLs plus one view that fails."""

from django.urls import path

from config.urls import urlpatterns as project_urls


def broken(request):
    raise RuntimeError("a failure the user must never see the details of")


urlpatterns = [path("__broken__/", broken), *project_urls]
