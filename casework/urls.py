from django.urls import path

from casework.views import audit, cases, intake, records

app_name = "casework"

urlpatterns = [
    # Lists and lifecycle (casework/views/cases.py)
    path("", cases.case_list, name="case-list"),
    path("supervision/", cases.supervision_list, name="supervision-list"),
    path("<uuid:pk>/", cases.case_detail, name="case-detail"),
    path("<uuid:pk>/close/", cases.case_close, name="case-close"),
    path("<uuid:pk>/reopen/", cases.case_reopen, name="case-reopen"),
    path("<uuid:pk>/assign/", cases.case_assign, name="case-assign"),
    path("<uuid:pk>/support-plan/", cases.support_plan_done, name="support-plan-done"),
    # Intake in short steps (casework/views/intake.py)
    path("new/", intake.intake_start, name="intake-start"),
    path("<uuid:pk>/intake/<str:step>/", intake.intake_step, name="intake-step"),
    # Records inside a case (casework/views/records.py)
    path("<uuid:pk>/survivor/", records.survivor_edit, name="survivor-edit"),
    path("<uuid:pk>/incidents/new/", records.incident_create, name="incident-create"),
    path("<uuid:pk>/incidents/<uuid:record_pk>/", records.incident_edit, name="incident-edit"),
    path("<uuid:pk>/consents/new/", records.consent_create, name="consent-create"),
    path("<uuid:pk>/consents/<uuid:record_pk>/withdraw/", records.consent_withdraw, name="consent-withdraw"),
    path("<uuid:pk>/risk/new/", records.risk_create, name="risk-create"),
    path("<uuid:pk>/safety-plan/", records.safety_plan_edit, name="safety-plan-edit"),
    path("<uuid:pk>/services/new/", records.service_create, name="service-create"),
    path("<uuid:pk>/services/<uuid:record_pk>/", records.service_edit, name="service-edit"),
    path("<uuid:pk>/livelihood/new/", records.livelihood_create, name="livelihood-create"),
    path("<uuid:pk>/livelihood/<uuid:record_pk>/", records.livelihood_edit, name="livelihood-edit"),
    path("<uuid:pk>/notes/new/", records.note_create, name="note-create"),
    # Audit and print (casework/views/audit.py)
    path("<uuid:pk>/access-log/", audit.access_log, name="access-log"),
    path("<uuid:pk>/who-saw/", audit.survivor_access, name="survivor-access"),
    path("<uuid:pk>/summary.pdf", audit.case_summary_pdf, name="case-summary-pdf"),
]
