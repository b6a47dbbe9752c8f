"""Route maps and the day's timeline, drawn on the server as inline SVG: no tile server, no script.

A map projects each stop with an equirectangular projection (x from longitude scaled by the cosine of the middle
latitude, y from latitude) fitted to a bounding box shared by all the maps of a day, so that routes can be compared
side by side. Pick-ups are circles and drop-offs squares (told apart by shape, not only by colour), numbered in the
order the vehicle visits them; the depot is a triangle. Every map names itself with <title> and <desc> and sits
beside the ordered list of the same stops, so the picture is never the only way to the information.
"""

from __future__ import annotations

import math

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _, ngettext

register = template.Library()

WIDTH, HEIGHT, PAD = 480, 320, 24
TIMELINE_WIDTH, ROW, LABEL = 720, 34, 150


def _point(latitude, longitude):
    return float(latitude), float(longitude)


def bounding_box(points):
    """(south, west, north, east) around the points, widened so a single point or a line still has an area."""
    points = list(points)
    if not points:
        return None
    south, north = min(p[0] for p in points), max(p[0] for p in points)
    west, east = min(p[1] for p in points), max(p[1] for p in points)
    pad_lat = max((north - south) * 0.05, 0.002)
    pad_lon = max((east - west) * 0.05, 0.002)
    return south - pad_lat, west - pad_lon, north + pad_lat, east + pad_lon


def projection(box, *, width=WIDTH, height=HEIGHT, pad=PAD):
    """A function (lat, lon) -> (x, y) in SVG units: equirectangular, one scale for both axes, centred."""
    south, west, north, east = box
    squeeze = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * squeeze, 1e-9)
    span_y = max(north - south, 1e-9)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2

    def project(latitude, longitude):
        x = off_x + (longitude - west) * squeeze * scale
        y = off_y + (north - latitude) * scale
        return round(x, 1), round(y, 1)

    return project


def day_box(board_shifts, extra_points=()):
    """The bounding box of every stop and depot of the day's routes."""
    points = list(extra_points)
    for entry in board_shifts:
        depot = entry["shift"].vehicle.depot
        points.append(_point(depot.latitude, depot.longitude))
        points.extend(_point(s["latitude"], s["longitude"]) for s in entry["stops"])
    return bounding_box(points)


def route_map(entry, box, *, ident):
    """The drawing of one shift's route: its stops numbered in order, the path between them, the depot."""
    shift, stops = entry["shift"], entry["stops"]
    project = projection(box)
    depot = shift.vehicle.depot
    dx, dy = project(*_point(depot.latitude, depot.longitude))
    marks = []
    for number, stop in enumerate(stops, start=1):
        x, y = project(*_point(stop["latitude"], stop["longitude"]))
        marks.append({"x": x, "y": y, "number": number, "pickup": stop["kind"] == "pickup",
                      "label_y": round(y + 4, 1), "square_x": round(x - 8, 1), "square_y": round(y - 8, 1)})
    path = " ".join(f"{x},{y}" for x, y in [(dx, dy)] + [(m["x"], m["y"]) for m in marks] + [(dx, dy)])
    title = _("Map of the route of %(vehicle)s") % {"vehicle": shift.vehicle.plate}
    desc = _("%(count)s stops: circles are pick-ups, squares are drop-offs, numbered in the order of the route; the "
             "triangle is the depot. The same stops are listed beside the map.") % {"count": len(stops)}
    return {"ident": ident, "width": WIDTH, "height": HEIGHT, "marks": marks, "path": path, "title": title,
            "desc": desc, "depot": {"points": f"{dx},{round(dy - 9, 1)} {round(dx - 8, 1)},{round(dy + 6, 1)} "
                                              f"{round(dx + 8, 1)},{round(dy + 6, 1)}"}}


@register.inclusion_tag("transport/_map.html")
def draw_route(entry, box):
    if box is None or not entry["stops"]:
        return {"map": None}
    return {"map": route_map(entry, box, ident=f"map-{entry['shift'].pk}")}


def _minutes(moment, midnight):
    return (timezone.localtime(moment) - midnight).total_seconds() / 60


def timeline(board_shifts, day):
    """Bars of the day's shifts (with the break) and a tick for each stop, hours on a common axis."""
    board_shifts = [e for e in board_shifts if e["shift"].cancelled_at is None]
    if not board_shifts:
        return None
    first = min(timezone.localtime(e["shift"].starts_at) for e in board_shifts)
    last = max(timezone.localtime(e["shift"].ends_at) for e in board_shifts)
    midnight = first.replace(hour=0, minute=0, second=0, microsecond=0)
    start_h = math.floor(_minutes(first, midnight) / 60)
    end_h = max(math.ceil(_minutes(last, midnight) / 60), start_h + 1)
    span = (end_h - start_h) * 60
    usable = TIMELINE_WIDTH - LABEL - 24  # room for the last hour label, centred on its tick

    def x(minutes):
        return round(LABEL + (minutes - start_h * 60) / span * usable, 1)

    rows = []
    for i, entry in enumerate(board_shifts):
        shift = entry["shift"]
        y = 24 + i * ROW
        row = {"label": shift.vehicle.plate, "y": y, "text_y": y + 17, "x": x(_minutes(shift.starts_at, midnight)),
               "ticks": []}
        row["width"] = round(x(_minutes(shift.ends_at, midnight)) - row["x"], 1)
        if shift.break_starts_at:
            bx = x(_minutes(shift.break_starts_at, midnight))
            row["break"] = {"x": bx, "width": round(x(_minutes(shift.break_starts_at, midnight) + shift.break_minutes)
                                                    - bx, 1)}
        for stop in entry["stops"]:
            tx = x(_minutes(stop["planned_at"], midnight))
            row["ticks"].append({"x": tx, "pickup": stop["kind"] == "pickup", "y1": y + 3, "y2": y + 21,
                                 "square_x": round(tx - 3, 1), "square_y": y + 9})
        rows.append(row)
    hours = [{"x": x(h * 60), "label": f"{h % 24:02d}:00"} for h in range(start_h, end_h + 1)]
    return {"width": TIMELINE_WIDTH, "height": 30 + len(rows) * ROW, "rows": rows, "hours": hours,
            "axis_y": 14, "bottom": 24 + len(rows) * ROW,
            "title": ngettext("Timeline of %(day)s: %(count)s vehicle", "Timeline of %(day)s: %(count)s vehicles",
                              len(rows)) % {"day": day.strftime("%d.%m.%Y"), "count": len(rows)}}


@register.inclusion_tag("transport/_timeline.html")
def draw_timeline(board_shifts, day):
    return {"timeline": timeline(board_shifts, day)}
