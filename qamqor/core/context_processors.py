from django.conf import settings

from . import accessibility


def site(request):
    """Accessibility classes for <html> and the few settings templates need."""
    values = accessibility.for_request(request)
    from .views import a11y_choices

    user = getattr(request, "user", None)
    nav_registry = nav_ledger = False
    if user is not None and user.is_authenticated:
        from qamqor.ledger.access import can_use_ledger
        from qamqor.registry.access import can_use_registry

        nav_registry = can_use_registry(user)
        nav_ledger = can_use_ledger(user)
    return {"a11y": values, "a11y_classes": accessibility.html_classes(values), "a11y_choices": a11y_choices(),
            "DEMO": settings.DEMO, "nav_registry": nav_registry,
            "nav_ledger": nav_ledger}
