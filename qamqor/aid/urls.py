from django.urls import path

from . import views

app_name = "aid"

urlpatterns = [
    path("", views.needs, name="needs"),
    path("needs/new/", views.need_new, name="need_new"),
    path("needs/<int:pk>/", views.need_detail, name="need"),
    path("needs/<int:pk>/cancel/", views.need_cancel, name="need_cancel"),
    path("needs/<int:pk>/link/", views.need_link, name="need_link"),
    path("needs/<int:pk>/give/", views.need_give, name="need_give"),
    path("apply/", views.apply, name="apply"),
    path("my/", views.my_help, name="my"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign"),
    path("campaigns/<slug:slug>/status/", views.campaign_status, name="campaign_status"),
    path("campaigns/<slug:slug>/gather/", views.campaign_gather, name="campaign_gather"),
    path("campaigns/<slug:slug>/lots/new/", views.lot_new, name="lot_new"),
    path("campaigns/<slug:slug>/allocate/", views.allocate, name="allocate"),
    path("allocations/<int:pk>/", views.run_detail, name="run"),
    path("allocations/<int:pk>/confirm/", views.run_confirm, name="run_confirm"),
    path("allocations/<int:pk>/discard/", views.run_discard, name="run_discard"),
    path("distributions/<int:pk>/", views.distribution_detail, name="distribution"),
    path("distributions/<int:pk>/cancel/", views.distribution_cancel, name="distribution_cancel"),
    path("offers/", views.offers, name="offers"),
    path("offers/new/", views.offer_new, name="offer_new"),
    path("offers/<int:pk>/receive/", views.offer_receive, name="offer_receive"),
    path("offers/<int:pk>/cancel/", views.offer_cancel, name="offer_cancel"),
    path("warehouses/", views.warehouses, name="warehouses"),
]
