from django.urls import path

from refuge.workspace.views import account, home

app_name = "workspace"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", account.login_view, name="login"),
    path("logout/", account.logout_view, name="logout"),
]
