from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _trigram_threshold(sender, connection, **kwargs):
    """Name search asks the trigram index for words at least this similar (selectors.WORD_SIMILARITY); pg_trgm's
    default of 0.3 would hand back three times as many words, each checked and thrown away. The query also says
    the threshold itself, so this changes only the speed."""
    if connection.vendor == "postgresql":
        from .selectors import WORD_SIMILARITY

        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [str(WORD_SIMILARITY)])


class RegistryConfig(AppConfig):
    name = "qamqor.registry"
    label = "registry"
    verbose_name = _("Social registry")

    def ready(self):
        connection_created.connect(_trigram_threshold, dispatch_uid="registry-trigram-threshold")
