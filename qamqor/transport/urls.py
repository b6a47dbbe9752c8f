from django.urls import path

from . import views

app_name = "transport"

urlpatterns = [
    path("", views.home, name="home"),
    path("board/", views.board, name="board"),
    path("board/progress/", views.board_progress, name="board_progress"),
    path("board/plan/", views.board_plan, name="board_plan"),
    path("board/request/", views.phone_request, name="phone_request"),
    path("rides/", views.my_rides, name="my_rides"),
    path("rides/<int:pk>/assign/", views.ride_assign, name="ride_assign"),
    path("rides/<int:pk>/unassign/", views.ride_unassign, name="ride_unassign"),
    path("rides/<int:pk>/release/", views.ride_release, name="ride_release"),
    path("rides/<int:pk>/cancel/", views.ride_cancel, name="ride_cancel"),
    path("rides/<int:pk>/mark/", views.ride_mark, name="ride_mark"),
    path("book/", views.book, name="book"),
    path("fleet/", views.fleet, name="fleet"),
    path("fleet/depots/new/", views.depot_new, name="depot_new"),
    path("fleet/vehicles/new/", views.vehicle_new, name="vehicle_new"),
    path("fleet/shifts/new/", views.shift_new, name="shift_new"),
    path("vehicles/<int:pk>/active/", views.vehicle_active, name="vehicle_active"),
    path("shifts/<int:pk>/cancel/", views.shift_cancel, name="shift_cancel"),
    path("shifts/<int:pk>/manifest/", views.manifest, name="manifest"),
    path("shifts/<int:pk>/manifest.pdf", views.manifest_pdf, name="manifest_pdf"),
]
