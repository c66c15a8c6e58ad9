from django.urls import path

from refuge.workspace.views import account, home, intake, members, organisation

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

# Intake inbox and organisation settings.
urlpatterns += [
    path("requests/", intake.inbox_view, name="intake_inbox"),
    path("requests/<uuid:request_id>/", intake.detail_view, name="intake_request"),
    path("requests/<uuid:request_id>/reply/", intake.reply_view, name="intake_reply"),
    path("requests/<uuid:request_id>/status/", intake.status_view, name="intake_status"),
    path("requests/<uuid:request_id>/decline/", intake.decline_view, name="intake_decline"),
    path("requests/<uuid:request_id>/plant/", intake.plant_view, name="intake_plant"),
    path("requests/<uuid:request_id>/files/<uuid:file_id>/", intake.file_view, name="intake_file"),
    path("organisation/", organisation.organisation_view, name="organisation"),
]

# Cases: list, one case and what is done on it (refuge/workspace/views/cases.py).
urlpatterns += []

# Accepting requests, people and their compartments, shelters
# (refuge/workspace/views/accept.py, people.py, shelters.py).
urlpatterns += []
