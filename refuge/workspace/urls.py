from django.urls import path

from refuge.workspace.views import (
    accept,
    account,
    api_tokens,
    applications,
    attach,
    audit,
    case_edit,
    cases,
    compartments,
    conversation,
    documents,
    expenses,
    grants,
    home,
    inbox,
    intake,
    letter_templates,
    lockout,
    members,
    merge,
    notes,
    organisation,
    outcomes,
    packets,
    partners,
    pathways,
    people,
    referrals,
    retention,
    safety,
    shelters,
    stages,
    tasks,
    team,
    travel,
)

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
    path("account/tokens/", api_tokens.api_tokens_view, name="api_tokens"),
    path("account/tokens/<uuid:token_id>/revoke/", api_tokens.api_token_revoke_view, name="api_token_revoke"),
    path("members/", members.members_view, name="members"),
    path("members/<uuid:member_id>/<slug:action>/", members.member_action_view, name="member_action"),
    path(
        "members/invitations/<uuid:invitation_id>/<slug:decision>/",
        members.invitation_decide_view,
        name="invitation_decide",
    ),
    # Keys owed to members and a holder's decision on each (grants.py).
    path("grants/", grants.key_grants_view, name="key_grants"),
    path("grants/<uuid:grant_id>/<slug:decision>/", grants.key_grant_decide_view, name="key_grant_decide"),
]

# Intake inbox and organisation settings.
urlpatterns += [
    path("requests/", inbox.inbox_view, name="intake_inbox"),
    path("requests/decline/", inbox.bulk_decline_view, name="intake_bulk_decline"),
    path("requests/<uuid:request_id>/", intake.detail_view, name="intake_request"),
    path("requests/<uuid:request_id>/reply/", intake.reply_view, name="intake_reply"),
    path("requests/<uuid:request_id>/status/", intake.status_view, name="intake_status"),
    path("requests/<uuid:request_id>/decline/", intake.decline_view, name="intake_decline"),
    path("requests/<uuid:request_id>/plant/", intake.plant_view, name="intake_plant"),
    path("requests/<uuid:request_id>/link/", intake.link_view, name="intake_link"),
    path("requests/<uuid:request_id>/unlink/", intake.unlink_view, name="intake_unlink"),
    path("requests/<uuid:request_id>/merge/", merge.merge_view, name="intake_merge"),
    path("requests/<uuid:request_id>/unmerge/", merge.unmerge_view, name="intake_unmerge"),
    path("requests/<uuid:request_id>/attach/", attach.attach_view, name="intake_attach"),
    path("requests/<uuid:request_id>/files/<uuid:file_id>/", intake.file_view, name="intake_file"),
    path("organisation/", organisation.organisation_view, name="organisation"),
]

# Cases: the list, one case and the page's own acts (views/cases.py), its edit page (case_edit.py),
# and each panel's acts in the module of its resource (stages, team, notes, tasks, expenses,
# documents, conversation); the timeline's sentences are case_timeline.py.
urlpatterns += [
    path("cases/", cases.case_list_view, name="case_list"),
    path("cases/<uuid:case_id>/", cases.case_detail_view, name="case_detail"),
    path("cases/<uuid:case_id>/edit/", case_edit.case_edit_view, name="case_edit"),
    path("cases/<uuid:case_id>/stage/", stages.case_stage_view, name="case_stage"),
    path("cases/<uuid:case_id>/lost-contact/", cases.case_lost_contact_view, name="case_lost_contact"),
    path("cases/<uuid:case_id>/team/", team.case_team_add_view, name="case_team_add"),
    path("cases/<uuid:case_id>/team/<uuid:member_id>/remove/", team.case_team_remove_view, name="case_team_remove"),
    path("cases/<uuid:case_id>/team/<uuid:member_id>/lead/", team.case_team_lead_view, name="case_team_lead"),
    path("cases/<uuid:case_id>/rotate/", cases.case_rotate_view, name="case_rotate"),
    path("cases/<uuid:case_id>/notes/", notes.case_note_view, name="case_note"),
    path("cases/<uuid:case_id>/tasks/", tasks.case_task_add_view, name="case_task_add"),
    path("cases/<uuid:case_id>/tasks/<uuid:task_id>/done/", tasks.case_task_done_view, name="case_task_done"),
    path("cases/<uuid:case_id>/expenses/", expenses.case_expense_view, name="case_expense"),
    path("cases/<uuid:case_id>/documents/", documents.case_document_upload_view, name="case_document_upload"),
    path("cases/<uuid:case_id>/documents/<uuid:document_id>/", documents.case_document_view, name="case_document"),
    path("cases/<uuid:case_id>/messages/", conversation.case_message_view, name="case_message"),
    # Disclosures (views/partners.py, views/packets.py): partners, packets, the register.
    path("partners/", partners.partner_list_view, name="partner_list"),
    path("partners/new/", partners.partner_new_view, name="partner_new"),
    path("partners/<uuid:partner_id>/", partners.partner_detail_view, name="partner_detail"),
    path("partners/<uuid:partner_id>/edit/", partners.partner_edit_view, name="partner_edit"),
    path("disclosures/", partners.disclosure_register_view, name="disclosure_register"),
    # The organisation's support letters (views/letter_templates.py): kind and language by name.
    path("disclosures/letters/", letter_templates.letter_template_list_view, name="letter_templates"),
    path(
        "disclosures/letters/<str:kind>/<str:language>/",
        letter_templates.letter_template_edit_view,
        name="letter_template_edit",
    ),
    path(
        "disclosures/letters/<str:kind>/<str:language>/reset/",
        letter_templates.letter_template_reset_view,
        name="letter_template_reset",
    ),
    path("referrals/import/", referrals.referral_import_view, name="referral_import"),
    path("disclosures/<uuid:packet_id>/", packets.packet_review_view, name="packet_review"),
    path("disclosures/<uuid:packet_id>/approve/", packets.packet_approve_view, name="packet_approve"),
    path("disclosures/<uuid:packet_id>/file/", packets.packet_review_file_view, name="packet_review_file"),
    path("disclosures/<uuid:packet_id>/received/", packets.packet_review_received_view, name="packet_review_received"),
    path("cases/<uuid:case_id>/disclosures/new/", packets.packet_new_view, name="packet_new"),
    path("cases/<uuid:case_id>/disclosures/<uuid:packet_id>/", packets.packet_detail_view, name="packet_detail"),
    path(
        "cases/<uuid:case_id>/disclosures/<uuid:packet_id>/consent/",
        packets.packet_consent_view,
        name="packet_consent",
    ),
    path(
        "cases/<uuid:case_id>/disclosures/<uuid:packet_id>/ask/",
        packets.packet_ask_view,
        name="packet_ask",
    ),
    path(
        "cases/<uuid:case_id>/disclosures/<uuid:packet_id>/referred/",
        packets.packet_referred_view,
        name="packet_referred",
    ),
    path(
        "cases/<uuid:case_id>/disclosures/<uuid:packet_id>/file/",
        packets.packet_file_view,
        name="packet_file",
    ),
    path(
        "cases/<uuid:case_id>/disclosures/<uuid:packet_id>/received/",
        packets.packet_received_view,
        name="packet_received",
    ),
    path(
        "cases/<uuid:case_id>/disclosures/<uuid:packet_id>/revoke/",
        packets.packet_revoke_view,
        name="packet_revoke",
    ),
    path("cases/<uuid:case_id>/attached/reply/", attach.attached_reply_view, name="case_attached_reply"),
    path(
        "cases/<uuid:case_id>/messages/files/<uuid:file_id>/",
        documents.case_request_file_view,
        name="case_request_file",
    ),
]

# Accepting requests, people and their compartments, shelters
# (refuge/workspace/views/accept.py, people.py, compartments.py, shelters.py).
_person = "cases/<uuid:case_id>/people/<uuid:person_id>/"
urlpatterns += [
    path("requests/<uuid:request_id>/accept/", accept.accept_view, name="intake_accept"),
    path("cases/<uuid:case_id>/people/add/", people.person_add_view, name="person_add"),
    path(_person, people.person_detail_view, name="person_detail"),
    # "edit" and "place" before the compartment kinds: they are not kinds.
    path(_person + "edit/", people.person_edit_view, name="person_edit"),
    path(_person + "place/", people.person_place_view, name="person_place"),
    path(_person + "<slug:kind>/", compartments.compartment_view, name="compartment"),
    path(_person + "<slug:kind>/share/", compartments.compartment_share_view, name="compartment_share"),
    path(
        _person + "<slug:kind>/unshare/<uuid:member_id>/",
        compartments.compartment_unshare_view,
        name="compartment_unshare",
    ),
    # Files inside a compartment, under its key: its holders only (compartments.py).
    path(_person + "<slug:kind>/files/", compartments.compartment_file_upload_view, name="compartment_file_upload"),
    path(_person + "<slug:kind>/files/<uuid:file_id>/", compartments.compartment_file_view, name="compartment_file"),
    path("placements/<uuid:placement_id>/end/", people.placement_end_view, name="placement_end"),
    path("shelters/", shelters.shelter_list_view, name="shelter_list"),
    path("shelters/new/", shelters.shelter_new_view, name="shelter_new"),
    path("shelters/<uuid:shelter_id>/", shelters.shelter_detail_view, name="shelter_detail"),
    path("shelters/<uuid:shelter_id>/edit/", shelters.shelter_edit_view, name="shelter_edit"),
]

# The audit pages for auditors and coordinators (audit.py): the log, its verification,
# the witness export and counts per event and month; nothing here decrypts anything.
urlpatterns += [
    path("audit/", audit.audit_log_view, name="audit"),
    path("audit/verify/", audit.audit_verify_view, name="audit_verify"),
    path("audit/export/", audit.audit_export_view, name="audit_export"),
    path("audit/statistics/", audit.audit_statistics_view, name="audit_statistics"),
]

# The pathway catalogue (refuge/workspace/views/pathways.py).
urlpatterns += [
    path("pathways/", pathways.pathway_list_view, name="pathway_list"),
    path("pathways/new/", pathways.pathway_new_view, name="pathway_new"),
    path("pathways/<int:pathway_id>/", pathways.pathway_detail_view, name="pathway_detail"),
    path("pathways/<int:pathway_id>/edit/", pathways.pathway_edit_view, name="pathway_edit"),
    path("pathways/<int:pathway_id>/note/", pathways.pathway_note_view, name="pathway_note"),
    path("pathways/<int:pathway_id>/retire/", pathways.pathway_retire_view, name="pathway_retire"),
]

# Applications and the advisor (refuge/workspace/views/applications.py).
_application = "cases/<uuid:case_id>/applications/<uuid:application_id>/"
urlpatterns += [
    path("cases/<uuid:case_id>/applications/new/", applications.application_start_view, name="application_start"),
    path("cases/<uuid:case_id>/advisor/", applications.advisor_view, name="advisor"),
    path(_application, applications.application_detail_view, name="application_detail"),
    path(_application + "folder/", applications.application_folder_view, name="application_folder"),
    path(_application + "status/", applications.application_status_view, name="application_status"),
    path(_application + "appointments/", applications.application_appointment_view, name="application_appointment"),
]

# Travel and arrival (refuge/workspace/views/travel.py).
urlpatterns += [
    path("cases/<uuid:case_id>/travel/", travel.travel_view, name="travel"),
    path("cases/<uuid:case_id>/travel/legs/", travel.travel_leg_view, name="travel_leg"),
    path("cases/<uuid:case_id>/travel/departure/", travel.travel_departure_view, name="travel_departure"),
    path("cases/<uuid:case_id>/travel/arrival/", travel.travel_arrival_view, name="travel_arrival"),
    path("cases/<uuid:case_id>/travel/close/", travel.travel_close_view, name="travel_close"),
]

# Outcomes of applications (refuge/workspace/views/outcomes.py).
urlpatterns += [
    path("outcomes/", outcomes.outcomes_view, name="outcomes"),
    path("outcomes/outcomes.csv", outcomes.outcomes_csv_view, name="outcomes_csv"),
]

# Safety: a case's check-in schedule and check-ins, alarms, the escalation checklist (views/safety.py).
urlpatterns += [
    path("cases/<uuid:case_id>/check-ins/", safety.case_check_ins_view, name="case_check_ins"),
    path("cases/<uuid:case_id>/check-ins/schedule/", safety.case_schedule_view, name="case_schedule"),
    path("cases/<uuid:case_id>/check-ins/stop/", safety.case_schedule_stop_view, name="case_schedule_stop"),
    path("alarms/<uuid:alarm_id>/", safety.alarm_view, name="alarm"),
    path("alarms/<uuid:alarm_id>/acknowledge/", safety.alarm_acknowledge_view, name="alarm_acknowledge"),
    path("alarms/<uuid:alarm_id>/outcome/", safety.alarm_outcome_view, name="alarm_outcome"),
    path("alarms/<uuid:alarm_id>/tasks/<uuid:task_id>/done/", safety.alarm_task_done_view, name="alarm_task_done"),
    path("organisation/escalation/", safety.escalation_view, name="escalation"),
    path("organisation/escalation/<uuid:step_id>/remove/", safety.escalation_remove_view, name="escalation_remove"),
]

# Staff under coercion (views/lockout.py).
urlpatterns += [
    path("account/lock/", lockout.lock_view, name="lock"),
    path("account/lock/me/", lockout.lock_me_out_view, name="lock_me_out"),
    path("account/lock/everyone/", lockout.emergency_lock_view, name="emergency_lock"),
]

# Retention for coordinators (views/retention.py): the rules, what the next 30 days shred, legal holds.
urlpatterns += [
    path("organisation/retention/", retention.retention_view, name="retention"),
    path(
        "organisation/retention/cases/<uuid:case_id>/<slug:decision>/",
        retention.case_hold_view,
        name="retention_case_hold",
    ),
    path(
        "organisation/retention/requests/<uuid:request_id>/<slug:decision>/",
        retention.request_hold_view,
        name="retention_request_hold",
    ),
]
