from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "qamqor.api"
    label = "api"
    verbose_name = "API"
