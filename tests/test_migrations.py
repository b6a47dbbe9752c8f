import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_migrations_match_the_models():
    """A model change without its migration would break a fresh `make run`."""
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
