from django.urls import path

from indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("report.csv", views.download_csv, name="download-csv"),
    path("report.xlsx", views.download_xlsx, name="download-xlsx"),
    path("report.pdf", views.download_pdf, name="download-pdf"),
    path("dhis2.json", views.download_dhis2, name="download-dhis2"),
    path("dhis2/push/", views.dhis2_push, name="dhis2-push"),
]
