from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("regions/", views.regions, name="regions"),
    path("holidays/", views.holidays, name="holidays"),
    path("accessibility/", views.accessibility_settings, name="accessibility"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("tasks/<int:pk>/", views.task_progress, name="task_progress"),
    path("health/", views.health, name="health"),
    path("demo/seed/", views.demo_seed, name="demo_seed"),
]
