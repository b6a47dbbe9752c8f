from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.index, name="index"),
    path("organizations/<int:org_id>/", views.organization_ledger, name="organization"),
    path("organizations/<int:org_id>/donations/new/", views.donation_new, name="donation_new"),
    path("organizations/<int:org_id>/spending/new/", views.spending_new, name="spending_new"),
    path("organizations/<int:org_id>/stock/", views.stock, name="stock"),
    path("transactions/<int:pk>/reverse/", views.transaction_reverse, name="reverse"),
    path("warehouses/<int:pk>/", views.warehouse_detail, name="warehouse"),
    path("warehouses/<int:pk>/receive/", views.stock_receive, name="stock_receive"),
    path("warehouses/<int:pk>/write-off/", views.stock_write_off, name="stock_write_off"),
    path("receipts/<int:pk>.pdf", views.receipt, name="receipt"),
    path("trace/<int:offer_id>/", views.trace, name="trace"),
]
