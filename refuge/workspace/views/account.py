from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def login_view(request: HttpRequest) -> HttpResponse:
    return render(request, "workspace/login.html")


def logout_view(request: HttpRequest) -> HttpResponse:
    return render(request, "workspace/login.html")
