from django.urls import path

from refuge.workspace.views import account, home, members

app_name = "workspace"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", account.login_view, name="login"),
    path("logout/", account.logout_view, name="logout"),
    path("recover/", account.recover_view, name="recover"),
    path("enrol/confirm/", account.enrol_confirm_view, name="enrol_confirm"),
    path("enrol/<str:token>/", account.enrol_view, name="enrol"),
    path("account/", account.account_view, name="account"),
    path("account/password/", account.password_change_view, name="password_change"),
    path("account/duress/", account.duress_view, name="duress"),
    path("account/sessions/revoke/", account.revoke_own_sessions_view, name="revoke_own_sessions"),
    path("members/", members.members_view, name="members"),
    path("members/<uuid:member_id>/<slug:action>/", members.member_action_view, name="member_action"),
]
