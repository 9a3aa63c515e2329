"""Property: whatever the writers write, the parsers read back as the same questions."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examcentre.bank.formats import (
    AREAS,
    LEVELS,
    ParsedQuestion,
    parse_csv,
    parse_plain_text,
    parse_xlsx,
    write_csv,
    write_plain_text,
    write_xlsx,
)
from examcentre.bank.formats.checks import (
    clean_block,
    clean_inline,
    clean_stem,
    is_meaningful_stem,
    stem_key,
)

# Characters that stress the layouts: CSV quoting (, " newline), answer brackets, option
# markers in both widths, the escape character, formula starts, spaces of both widths.
TRICKY = list(
    "吊钩起重机钢丝绳制动器的是否，。、；：？“”‘’（）()【】[]ABCDEＡＢＣabcexyzTF0123456789"
    ".．:-=+@'\"\\√×✓ \n\t,　_"
)
# Whole pieces that look like structure, so that examples hit them often.
FRAGMENTS = [
    " A. ", " B、", "C:", " D)", "（ E ）", "(A)", " (B) ", "Ａ．", " Ｂ、", "（ AB ）", "【C】",
    "(√)", "（×）", "( )", "（  ）", "\\", "\\B.", "答案：", "解析：", "1.", "2、", "\n", "\r\n",
    ",", '"', "'=", "=", "-", "@", "0.5", "一、判断题", "_x0041_",
]  # fmt: skip
characters = st.one_of(
    st.sampled_from(TRICKY), st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
)
text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(alphabet=characters, max_size=6)),
    max_size=8,
).map("".join)
inline = text.map(clean_inline).filter(bool)
optional_inline = st.one_of(st.none(), inline)
LETTERS = "ABCDE"


@st.composite
def core(draw) -> ParsedQuestion:
    """Type, stem, options and answer: what every format can hold."""
    question_type = draw(st.sampled_from(["true_false", "single", "multiple"]))
    stem = clean_stem(draw(text), question_type)
    if not is_meaningful_stem(stem):
        stem = clean_stem("吊钩" + stem, question_type)
    if question_type == "true_false":
        return ParsedQuestion(0, question_type, stem, (), draw(st.sampled_from(["true", "false"])))
    options = tuple(draw(st.lists(inline, min_size=2, max_size=5)))
    available = LETTERS[: len(options)]
    if question_type == "single":
        answer = draw(st.sampled_from(available))
    else:
        chosen = draw(st.sets(st.sampled_from(available), min_size=2))
        answer = "".join(sorted(chosen))
    return ParsedQuestion(0, question_type, stem, options, answer)


@st.composite
def full(draw) -> ParsedQuestion:
    """A question with every metadata field a table can hold."""
    question = draw(core())
    en_stem = draw(optional_inline)
    en_options: tuple[str, ...] = ()
    if en_stem and question.options:
        en_options = tuple(draw(st.lists(inline, min_size=len(question.options),
                                          max_size=len(question.options))))  # fmt: skip
    return replace(
        question,
        area=draw(st.sampled_from([None, *AREAS])),
        point=draw(optional_inline),
        difficulty=draw(st.sampled_from([None, 1, 2, 3])),
        level=draw(st.sampled_from([None, *LEVELS])),
        critical=draw(st.booleans()),
        explanation=clean_block(draw(text)) or None,
        reference=draw(optional_inline),
        en_stem=en_stem,
        en_options=en_options,
        en_explanation=clean_block(draw(text)) or None,
        external_id=draw(optional_inline),
    )


def unique(strategy):
    """A file's worth of questions; a repeated stem would (rightly) be a problem."""
    return st.lists(strategy, max_size=6, unique_by=lambda q: (q.type, stem_key(q.stem)))


def without_lines(questions) -> list[ParsedQuestion]:
    return [replace(question, line=0) for question in questions]


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(unique(full()))
def test_csv_round_trip(questions):
    result = parse_csv(write_csv(questions))
    if questions:
        assert result.problems == ()
    assert without_lines(result.questions) == questions


@settings(max_examples=40, deadline=None)
@given(unique(full()))
def test_xlsx_round_trip(questions):
    result = parse_xlsx(write_xlsx(questions))
    if questions:
        assert result.problems == ()
    assert without_lines(result.questions) == questions


@SETTINGS
@given(unique(core().flatmap(lambda q: st.builds(
    lambda explanation: replace(q, explanation=explanation), optional_inline))))  # fmt: skip
def test_plain_text_round_trip(questions):
    result = parse_plain_text(write_plain_text(questions))
    if questions:
        assert result.problems == ()
    assert without_lines(result.questions) == questions


def test_csv_line_numbers_follow_multi_line_cells():
    questions = [
        ParsedQuestion(0, "true_false", "甲", (), "true", explanation="一\n二"),
        ParsedQuestion(0, "true_false", "乙", (), "false"),
    ]
    assert [q.line for q in parse_csv(write_csv(questions)).questions] == [2, 4]
