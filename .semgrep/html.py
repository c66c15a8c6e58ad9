# Fixture for html.yml: each line after a "ruleid" comment must be reported, each after "ok" must not.
import segno
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _


def badge(answer: str, uri: str, rows: list[tuple[str]]) -> list[str]:
    return [
        # ruleid: mark-safe-on-data
        mark_safe(answer),
        # ruleid: mark-safe-on-data
        mark_safe(f"<b>{answer}</b>"),
        # ruleid: mark-safe-on-data
        SafeString("<i>" + answer + "</i>"),
        # ok: mark-safe-on-data
        mark_safe("<br>"),
        # ok: mark-safe-on-data
        mark_safe(segno.make(uri, error="m").svg_inline(scale=4)),
        # ruleid: format-html-with-built-format-string
        format_html(f"<b>{answer}</b>"),
        # ruleid: format-html-with-built-format-string
        format_html("<b>%s</b>" % answer),
        # ruleid: format-html-with-built-format-string
        format_html("<b>{}</b>".format(answer) + "{}", answer),
        # ruleid: format-html-with-built-format-string
        format_html_join("\n", "<li>" + answer + "{}</li>", rows),
        # ok: format-html-with-built-format-string
        format_html("<b>{}</b>", answer),
        # ok: format-html-with-built-format-string
        format_html(_("<b>{}</b> wrote"), answer),
        # ok: format-html-with-built-format-string
        format_html_join("\n", "<li>{}</li>", rows),
    ]
