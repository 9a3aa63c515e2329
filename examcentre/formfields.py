"""Form field helpers shared by every form in the app."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget


def choices(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms SelectChoice objects (plain tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a row of checkboxes rather than a list box."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
