from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.search, name="search"),
    path("persons/new/", views.person_new, name="person_new"),
    path("persons/<int:pk>/", views.person_detail, name="person"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("persons/<int:pk>/consents/new/", views.consent_new, name="consent_new"),
    path("persons/<int:pk>/consents/<int:consent_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("persons/<int:pk>/categories/new/", views.category_new, name="category_new"),
    path("persons/<int:pk>/household/", views.household_new, name="household_new"),
    path("categories/<int:assignment_id>/end/", views.category_end, name="category_end"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("coordination/", views.coordination, name="coordination"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/find/", views.find_duplicates, name="find_duplicates"),
    path("duplicates/<int:pk>/", views.duplicate_detail, name="duplicate"),
    path("merges/<int:pk>/", views.merge_detail, name="merge"),
    path("merges/<int:pk>/undo/", views.merge_detail, name="merge_undo"),
    path("me/", views.me, name="me"),
    path("me/export.json", views.me_export, name="me_export"),
]

# Bulk import of persons (its own module: upload, preview, commit).
from . import import_views  # noqa: E402

urlpatterns += import_views.urlpatterns
