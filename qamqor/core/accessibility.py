"""Reading and validating accessibility panel settings (from the user's record or a visitor's cookie)."""

from __future__ import annotations

import json

from .models import AccessibilityPreference as Pref

COOKIE = "qamqor_a11y"
DEFAULTS = {"font_size": 100, "letter_spacing": "normal", "line_height": "normal", "scheme": "normal", "images": True}
CHOICES = {
    "font_size": {c for c, _ in Pref.FontSize.choices},
    "letter_spacing": {c for c, _ in Pref.Spacing.choices},
    "line_height": {c for c, _ in Pref.LineHeight.choices},
    "scheme": {c for c, _ in Pref.Scheme.choices},
    "images": {True, False},
}


def clean(raw: dict) -> dict:
    """Keep only known settings with allowed values; anything else falls back to the default."""
    values = dict(DEFAULTS)
    for name, allowed in CHOICES.items():
        if name not in raw:
            continue
        value = raw[name]
        if name == "font_size":
            try:
                value = int(value)
            except (TypeError, ValueError):
                continue
        elif name == "images":
            value = value in (True, "1", "on", "true", 1)
        if value in allowed:
            values[name] = value
    return values


def from_cookie(value: str | None) -> dict:
    if not value:
        return dict(DEFAULTS)
    try:
        raw = json.loads(value)
    except ValueError:
        return dict(DEFAULTS)
    return clean(raw) if isinstance(raw, dict) else dict(DEFAULTS)


def to_cookie(values: dict) -> str:
    return json.dumps(values, separators=(",", ":"))


def for_request(request) -> dict:
    """The settings that apply to this request: the user's stored ones, else the visitor's cookie."""
    cached = getattr(request, "_a11y", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    values = None
    if user is not None and user.is_authenticated:
        pref = Pref.objects.filter(user=user).first()
        if pref is not None:
            values = {name: getattr(pref, name) for name in Pref.FIELDS}
    if values is None:
        values = from_cookie(request.COOKIES.get(COOKIE))
    request._a11y = values
    return values


def html_classes(values: dict) -> str:
    """CSS classes on <html> that apply the settings (no inline styles: the CSP forbids them)."""
    classes = [f"a11y-font-{values['font_size']}", f"a11y-spacing-{values['letter_spacing']}",
               f"a11y-lines-{values['line_height']}", f"scheme-{values['scheme']}"]
    if not values["images"]:
        classes.append("a11y-no-images")
    return " ".join(classes)
