from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("calendar.ics", views.calendar_feed, name="ics"),
    path("new/", views.create, name="create"),
    path("manage/", views.manage, name="manage"),
    path("mine/", views.mine, name="mine"),
    path("summary/", views.summary, name="summary"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("campaigns/<slug:slug>/", views.campaign, name="campaign"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/held/", views.mark_held, name="mark_held"),
    path("<int:pk>/sign-up/", views.sign_up, name="sign_up"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/volunteers/", views.volunteers, name="volunteers"),
    path("<int:pk>/volunteers/<int:signup_id>/hours/", views.volunteers, name="hours"),
]
