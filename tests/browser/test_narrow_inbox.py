"""At a phone's width (390 px) the inbox's rows become cards: nothing in one card overlaps another card or its own labels.

Measured in a real browser (issue #16 item 17): the box of each card (a table row shown as a
block), of each of its cells, and of each cell's label (its ::before, "Status the requester
sees"), in both languages. A label longer than its cell's value used to hang out of the cell
over the next one, and out of the last cell over the next card.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from refuge.intake.actions.submissions import do_submit_request
from tests.personas import World, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each card's rows, their cells and each cell's label, as boxes in page coordinates.
MEASURE = """
() => [...document.querySelectorAll('main table.table tbody tr')].map(row => {
  const box = e => { const r = e.getBoundingClientRect(); return {top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left, right: r.right}; };
  return {
    row: box(row),
    cells: [...row.querySelectorAll('td[data-label]')].map(cell => {
      const label = getComputedStyle(cell, '::before');
      const cellBox = box(cell);
      return {
        box: cellBox,
        text: cell.dataset.label,
        label_height: parseFloat(label.height),
        label_top: parseFloat(label.marginTop) || 0,
        padding_top: parseFloat(getComputedStyle(cell).paddingTop),
      };
    }),
  };
})
"""


def _overlaps(cards: list[dict[str, Any]]) -> list[str]:
    problems = []
    for index, card in enumerate(cards):
        row = card["row"]
        if index + 1 < len(cards) and row["bottom"] > cards[index + 1]["row"]["top"] + 0.5:
            problems.append(f"card {index} overlaps card {index + 1}")
        previous_bottom = row["top"]
        for cell in card["cells"]:
            box = cell["box"]
            if box["top"] + 0.5 < previous_bottom:
                problems.append(f"card {index}: {cell['text']!r} overlaps the cell above it")
            previous_bottom = box["bottom"]
            if box["bottom"] > row["bottom"] + 0.5 or box["right"] > row["right"] + 0.5:
                problems.append(f"card {index}: {cell['text']!r} leaves its card")
            # The label is drawn from the top of the cell's content: it must end inside the cell.
            label_bottom = box["top"] + cell["padding_top"] + cell["label_top"] + cell["label_height"]
            if label_bottom > box["bottom"] + 0.5:
                problems.append(f"card {index}: the label {cell['text']!r} hangs out of its cell")
    return problems


@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
def test_inbox_cards_do_not_overlap_at_390_px(live_server, new_page, world: World, locale: str) -> None:  # noqa: F811
    for urgency in ("now", "weeks", "later"):
        do_submit_request(organisation=world.north, answers={"what_happened": "x"}, urgency=urgency, language="en")
    page: Page = new_page(java_script_enabled=False, locale=locale)
    assert page.viewport_size == {"width": 390, "height": 844}
    # By the fields' ids: the labels are in the page's language.
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_organisation").fill(world.ivan.org_slug)
    page.locator("#id_username").fill(world.ivan.user.username)
    page.locator("#id_password").fill(world.ivan.password)
    page.locator("#id_code").fill(world.ivan.code())
    page.locator("form.form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/requests/")
    assert page.locator("html").get_attribute("lang") == locale[:2]
    cards = page.evaluate(MEASURE)
    assert len(cards) == 3 and all(len(card["cells"]) >= 5 for card in cards)
    # Shown as cards: one column, each cell as wide as its card.
    assert all(cell["box"]["left"] == card["cells"][0]["box"]["left"] for card in cards for cell in card["cells"])
    assert _overlaps(cards) == []
