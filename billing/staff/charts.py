"""Bar charts drawn as inline SVG on the server: figures in, escaped markup out, no script."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR_COLOURS = ("#417690", "#ba2121", "#79aec8", "#e1a95f")
LABEL_COLOUR = "#666"
FONT = 'font-family="sans-serif" font-size="11"'


@dataclass(frozen=True)
class Series:
    """One row of figures, drawn as one bar per category in the series' colour."""

    name: str
    values: Sequence[int]


def _svg(*, title: str, width: int, height: int, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every text in `body` and the title went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def column_chart(
    *, title: str, categories: Sequence[str], series: Sequence[Series], height: int = 200
) -> SafeString:
    """Vertical bars: for each category, one bar per series side by side, its value above it,
    the category below, and a legend when there is more than one series."""
    bar, legend_height, axis_height = 14, 20 if len(series) > 1 else 0, 32
    group = max(bar * len(series) + 12, 56)  # wide enough for a label such as "Sep 2026"
    width = max(group * len(categories), 180)
    inset = (group - bar * len(series)) / 2
    top, plot = legend_height + 14, height - legend_height - 14 - axis_height
    highest = max((value for row in series for value in row.values), default=0) or 1
    body = []
    for number, row in enumerate(series):
        colour = BAR_COLOURS[number % len(BAR_COLOURS)]
        if len(series) > 1:
            x = 4 + number * 90
            body.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>')
            body.append(f'<text x="{x + 14}" y="13" {FONT}>{escape(row.name)}</text>')
        for index, value in enumerate(row.values):
            bar_height = round(plot * value / highest)
            x = index * group + inset + number * bar
            y = top + plot - bar_height
            label = f"{categories[index]}, {row.name}: {value}"
            body.append(
                f'<rect x="{x:g}" y="{y}" width="{bar - 2}" height="{bar_height}" fill="{colour}">'
                f"<title>{escape(label)}</title></rect>"
                f'<text x="{x + bar / 2 - 1:g}" y="{y - 2}" text-anchor="middle" {FONT}>'
                f"{value}</text>"
            )
    baseline = top + plot
    body.append(
        f'<line x1="0" y1="{baseline}" x2="{width}" y2="{baseline}" stroke="{LABEL_COLOUR}"/>'
    )
    for index, category in enumerate(categories):
        x = index * group + group / 2
        body.append(
            f'<text x="{x:g}" y="{baseline + 14}" text-anchor="middle" fill="{LABEL_COLOUR}" '
            f"{FONT}>{escape(category)}</text>"
        )
    return _svg(title=title, width=width, height=height, body=body)


def bar_chart(
    *, title: str, bars: Sequence[tuple[str, int]], width: int = 420, label_width: int = 140
) -> SafeString:
    """Horizontal bars, one per (label, value), the label on the left and the value after it."""
    row, bar = 24, 16
    height = row * len(bars) + 8
    room = width - label_width - 40
    highest = max((value for _, value in bars), default=0) or 1
    body = []
    for index, (label, value) in enumerate(bars):
        y = 4 + index * row
        length = round(room * value / highest)
        body.append(
            f'<text x="{label_width - 6}" y="{y + 12}" text-anchor="end" {FONT}>'
            f"{escape(label)}</text>"
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar}" '
            f'fill="{BAR_COLOURS[0]}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{label_width + length + 4}" y="{y + 12}" {FONT}>{value}</text>'
        )
    return _svg(title=title, width=width, height=height, body=body)
