from django.urls import path

from . import views, views_documents

app_name = "social_services"

urlpatterns = [
    path("", views.my_services, name="my"),
    path("book/", views.book, name="book"),
    path("book/series/", views.book_series, name="book_series"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<int:pk>/change/", views.booking_change, name="booking_change"),
    path("bookings/<int:pk>/no-show/", views.booking_no_show, name="booking_no_show"),
    path("bookings/<int:pk>/assign/", views.booking_assign, name="booking_assign"),
    path("bookings/<int:pk>/deliver/", views.booking_deliver, name="booking_deliver"),
    path("provider/", views.provider, name="provider"),
    path("provider/<int:org>/staff/new/", views.staff_new, name="staff_new"),
    path("staff/<int:pk>/hours/", views.staff_hours, name="staff_hours"),
    path("contracts/", views.contracts, name="contracts"),
    path("contracts/new/", views.contract_new, name="contract_new"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("contracts/<int:pk>/amend/", views.contract_amend, name="contract_amend"),
    path("contracts/<int:pk>/acts/", views.act_generate, name="act_generate"),
    path("acts/<int:pk>/", views.act_detail, name="act"),
    path("acts/<int:pk>/issue/", views.act_issue, name="act_issue"),
    path("acts/<int:pk>/act.pdf", views_documents.act_pdf, name="act_pdf"),
    path("acts/<int:pk>/act.xlsx", views_documents.act_xlsx, name="act_xlsx"),
    path("totals/", views.totals, name="totals"),
    path("persons/<int:pk>/representatives/", views.representatives, name="representatives"),
    path("representatives/<int:pk>/revoke/", views.representative_revoke, name="representative_revoke"),
]
