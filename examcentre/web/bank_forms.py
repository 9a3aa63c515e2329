"""Forms of the question-bank pages. Every error names its field (see macros.field)."""

from __future__ import annotations

from typing import ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..bank.vocab import AREAS, ITEMS, LEVELS, TYPES
from ..papers.blueprint import SCORING_POLICIES
from . import labels


def _lines(text: str | None) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


class QuestionForm(FlaskForm):
    item = SelectField(_l("Item"), choices=[])
    area = SelectField(_l("Syllabus area"), choices=[])
    point = SelectField(_l("Syllabus point"), choices=[])
    type = SelectField(_l("Question type"), choices=[])
    difficulty = SelectField(_l("Difficulty"), choices=[], coerce=int)
    level = SelectField(_l("Cognitive level"), choices=[])
    critical = BooleanField(_l("Critical to safety"))
    stem_zh = TextAreaField(
        _l("Stem (Chinese)"),
        validators=[DataRequired(message=_l("Write the question in Chinese."))],
        render_kw={"rows": 3},
    )
    options_zh = TextAreaField(_l("Options (Chinese), one per line"), render_kw={"rows": 5})
    answer = StringField(
        _l("Answer"),
        validators=[DataRequired(message=_l("Give the answer."))],
        render_kw={"autocomplete": "off"},
    )
    explanation_zh = TextAreaField(_l("Explanation (Chinese)"), render_kw={"rows": 3})
    stem_en = TextAreaField(_l("Stem (English, optional)"), render_kw={"rows": 3})
    options_en = TextAreaField(_l("Options (English), one per line"), render_kw={"rows": 5})
    explanation_en = TextAreaField(_l("Explanation (English)"), render_kw={"rows": 3})
    reference = StringField(
        _l("Regulation reference"), validators=[Length(max=200)], render_kw={"maxlength": 200}
    )
    # The stored image's name (kept across "Update the preview"); a new upload replaces it.
    image = HiddenField()
    image_file = FileField(
        _l("Image (PNG or JPEG, optional)"),
        validators=[FileAllowed(["png", "jpg", "jpeg"], message=_l("Use a PNG or JPEG picture."))],
        render_kw={"accept": ".png,.jpg,.jpeg"},
    )
    remove_image = BooleanField(_l("Remove the image"))

    def __init__(self, *args, points=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.item.choices = [(i, labels.item_label(i)) for i in ITEMS]
        self.area.choices = [("", labels.area_label(None))] + [
            (a, labels.area_label(a)) for a in AREAS
        ]
        self.point.choices = [("", "—")] + [(p.code, f"{p.code} {p.name_zh}") for p in points]
        self.type.choices = [(t, labels.type_label(t)) for t in TYPES]
        self.difficulty.choices = [(d, labels.difficulty_label(d)) for d in (1, 2, 3)]
        self.level.choices = [("", "—")] + [(lv, labels.level_label(lv)) for lv in LEVELS]

    def content(self):
        from ..bank.vocab import QuestionContent

        answer = (self.answer.data or "").strip()
        answer = answer.lower() if answer.lower() in ("true", "false") else answer.upper()
        return QuestionContent(
            area=self.area.data or None,
            type=self.type.data,
            stem_zh=(self.stem_zh.data or "").strip(),
            answer=answer,
            options_zh=_lines(self.options_zh.data) if self.type.data != "true_false" else (),
            point=self.point.data or None,
            difficulty=self.difficulty.data,
            level=self.level.data or None,
            critical=bool(self.critical.data),
            explanation_zh=(self.explanation_zh.data or "").strip() or None,
            stem_en=(self.stem_en.data or "").strip() or None,
            options_en=_lines(self.options_en.data) if self.type.data != "true_false" else (),
            explanation_en=(self.explanation_en.data or "").strip() or None,
            reference=(self.reference.data or "").strip() or None,
            image=None if self.remove_image.data else (self.image.data or "").strip() or None,
        )

    def fill(self, version, item: str) -> None:
        if self.item is not None:  # the edit page has no item field
            self.item.data = item
        self.area.data = version.area or ""
        self.point.data = version.point.code if version.point else ""
        self.type.data = version.type
        self.difficulty.data = version.difficulty
        self.level.data = version.level or ""
        self.critical.data = version.critical
        self.stem_zh.data = version.stem_zh
        self.options_zh.data = "\n".join(version.options_zh or ())
        self.answer.data = version.answer
        self.explanation_zh.data = version.explanation_zh or ""
        self.stem_en.data = version.stem_en or ""
        self.options_en.data = "\n".join(version.options_en or ())
        self.explanation_en.data = version.explanation_en or ""
        self.reference.data = version.reference or ""
        self.image.data = version.image or ""


class ImportForm(FlaskForm):
    item = SelectField(_l("Item"), choices=[])
    file = FileField(
        _l("File (.txt, .csv or .xlsx)"),
        validators=[FileRequired(message=_l("Choose the file to import."))],
        render_kw={"accept": ".txt,.csv,.xlsx"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.item.choices = [(i, labels.item_label(i)) for i in ITEMS]


class ConfirmImportForm(FlaskForm):
    token = HiddenField()
    item = HiddenField()
    filename = HiddenField()


def _count(label):
    return IntegerField(
        label,
        validators=[
            InputRequired(message=_l("Enter a whole number.")),
            NumberRange(min=0, max=1000, message=_l("Enter a number from 0 to 1000.")),
        ],
    )


class BlueprintForm(FlaskForm):
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        validators=[
            InputRequired(message=_l("Enter a whole number.")),
            NumberRange(min=1, max=600, message=_l("Enter a number from 1 to 600.")),
        ],
    )
    pass_mark = _count(_l("Pass mark (points)"))
    count_true_false = _count(_l("True/false questions"))
    count_single = _count(_l("Single-choice questions"))
    count_multiple = _count(_l("Multiple-choice questions"))
    points_true_false = _count(_l("Points per true/false question"))
    points_single = _count(_l("Points per single-choice question"))
    points_multiple = _count(_l("Points per multiple-choice question"))
    weight_basics = _count(_l("Professional basics (%)"))
    weight_operation = _count(_l("Safe use and operation (%)"))
    weight_law = _count(_l("Laws and regulations (%)"))
    mix_1 = _count(_l("Easy (%)"))
    mix_2 = _count(_l("Medium (%)"))
    mix_3 = _count(_l("Hard (%)"))
    min_critical = _count(_l("Critical-safety questions per paper, at least"))
    multiple_scoring = SelectField(_l("Multiple-choice scoring"), choices=[])

    # spec_problems() field -> the form field its message goes under
    FIELD_FOR: ClassVar[dict[str, str]] = {
        "counts": "count_true_false",
        "points": "points_true_false",
        "area_weights": "weight_basics",
        "difficulty_mix": "mix_1",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        names = {
            "all_or_nothing": _l("All or nothing"),
            "partial": _l("Partial credit per right option"),
        }
        self.multiple_scoring.choices = [(p, names[p]) for p in SCORING_POLICIES]

    def fill(self, spec) -> None:
        self.duration_minutes.data = spec.duration_minutes
        self.pass_mark.data = spec.pass_mark
        for t in TYPES:
            getattr(self, f"count_{t}").data = spec.counts[t]
            getattr(self, f"points_{t}").data = spec.points[t]
        for a in AREAS:
            getattr(self, f"weight_{a}").data = spec.area_weights[a]
        for d in ("1", "2", "3"):
            getattr(self, f"mix_{d}").data = spec.difficulty_mix[d]
        self.min_critical.data = spec.min_critical
        self.multiple_scoring.data = spec.multiple_scoring

    def spec(self):
        from ..papers.blueprint import Spec

        return Spec(
            duration_minutes=self.duration_minutes.data,
            pass_mark=self.pass_mark.data,
            counts={t: getattr(self, f"count_{t}").data for t in TYPES},
            points={t: getattr(self, f"points_{t}").data for t in TYPES},
            area_weights={a: getattr(self, f"weight_{a}").data for a in AREAS},
            difficulty_mix={d: getattr(self, f"mix_{d}").data for d in ("1", "2", "3")},
            min_critical=self.min_critical.data,
            multiple_scoring=self.multiple_scoring.data,
        )
