"""Bulk import of persons from CSV and XLSX (upload, preview every bad row, all-or-nothing commit)."""

urlpatterns = []
