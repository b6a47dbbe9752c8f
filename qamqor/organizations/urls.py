from django.urls import path

from . import views

app_name = "organizations"
urlpatterns = [
    path("", views.organization_list, name="list"),
    path("register/", views.organization_register, name="register"),
    path("review/", views.review, name="review"),
    path("<int:pk>/", views.organization_detail, name="detail"),
    path("<int:pk>/edit/", views.organization_edit, name="edit"),
    path("<int:pk>/verify/", views.organization_verify, name="verify"),
    path("<int:pk>/reject/", views.organization_reject, name="reject"),
    path("<int:pk>/resubmit/", views.organization_resubmit, name="resubmit"),
    path("<int:pk>/members/", views.members, name="members"),
    path("<int:pk>/members/<int:assignment_id>/remove/", views.member_remove, name="member_remove"),
]
