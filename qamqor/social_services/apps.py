from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialServicesConfig(AppConfig):
    name = "qamqor.social_services"
    label = "social_services"
    verbose_name = _("Special social services")
