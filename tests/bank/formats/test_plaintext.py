"""The plain-text layout: the realistic fixture, each tolerance, each malformed case."""

from __future__ import annotations

from pathlib import Path

import pytest

from examcentre.bank.formats import ParsedQuestion, parse_plain_text, write_plain_text

FIXTURES = Path(__file__).parent / "fixtures"


def read_fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def only(text: str) -> ParsedQuestion:
    """The single question in `text`, failing loudly on any problem."""
    result = parse_plain_text(text)
    assert result.problems == ()
    assert len(result.questions) == 1
    return result.questions[0]


# --- the realistic fixture ------------------------------------------------------------


@pytest.fixture(scope="module")
def realistic():
    return parse_plain_text(read_fixture("realistic.txt"))


def test_realistic_fixture_reads_without_problems(realistic):
    assert realistic.ok
    assert realistic.counts() == {"true_false": 6, "single": 4, "multiple": 3}


def test_realistic_question_lines_point_at_each_first_line(realistic):
    assert [q.line for q in realistic.questions] == [
        6, 7, 8, 10, 12, 14, 18, 24, 30, 31, 39, 41, 47,
    ]  # fmt: skip


def test_realistic_true_false_answers(realistic):
    true_false = [q for q in realistic.questions if q.type == "true_false"]
    assert [q.answer for q in true_false] == ["false", "true", "true", "false", "true", "false"]
    assert all(q.options == () for q in true_false)


def test_realistic_trailing_answer_is_removed_from_a_true_false_stem(realistic):
    assert realistic.questions[0] == ParsedQuestion(
        line=6,
        type="true_false",
        stem="吊钩表面出现裂纹后，经焊补打磨平整可以继续使用。",
        options=(),
        answer="false",
    )


def test_realistic_stem_over_two_lines_with_a_decimal_is_joined(realistic):
    question = realistic.questions[4]
    assert question.stem == "司机在吊运重物前，应先将重物吊离地面0.2 m左右，检查制动器是否可靠。"
    assert question.answer == "true"


def test_realistic_single_with_options_one_per_line(realistic):
    assert realistic.questions[6] == ParsedQuestion(
        line=18,
        type="single",
        stem="起重机的额定起重量是指在正常工作条件下允许吊起的（  ）。",
        options=("吊具自重", "最大质量", "平均质量", "试验载荷"),
        answer="B",
    )


def test_realistic_two_options_a_line_answer_line_and_explanation(realistic):
    assert realistic.questions[7] == ParsedQuestion(
        line=24,
        type="single",
        stem="吊运重物时，被吊物体底面距离地面最高障碍物的安全距离一般不应小于（  ）。",
        options=("0.3 m", "0.5 m", "1 m", "2 m"),
        answer="B",
        explanation="为防止吊物碰撞地面障碍物，吊运中应保持至少0.5 m的安全距离。",
    )


def test_realistic_options_on_the_stem_line_and_full_width_answer(realistic):
    question = realistic.questions[8]
    assert question.stem == "起重机上的起重量限制器属于（  ）。"
    assert question.options == ("照明装置", "指示装置", "安全保护装置", "动力装置")
    assert question.answer == "C"


def test_realistic_multiple_with_five_options_and_spaced_answer(realistic):
    assert realistic.questions[11] == ParsedQuestion(
        line=41,
        type="multiple",
        stem="钢丝绳出现下列哪些情况时应当报废？（  ）",
        options=(
            "整股断裂",
            "表面有少量油污",
            "出现严重扭结",
            "绳芯挤出",
            "直径略小于新绳，但未达到报废标准",
        ),
        answer="ACD",
    )


def test_realistic_multiple_with_answer_line_and_no_blank(realistic):
    question = realistic.questions[12]
    assert question.stem == "司机在交接班时应当检查的项目有"
    assert question.answer == "ABD"
    assert len(question.options) == 4


# --- tolerance ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "一、判断题",
        "一、判断题（每题1分，共20分）",
        "一、判断题：（对的打“√”，错的打“×”）",
        "一、判断题 每题1分，共20分",
        "一．判断题：",
        "1、判断题",
        "（一）判断题",
        "(1) 判断题",
        "第一部分 判断题",
        "第1大题　判断题(共10题)",
        "判断题",
        "是非题",
        "True/False questions",
    ],
)
def test_true_false_section_headers(header):
    # "(A)" in a true/false section is no answer, so the type must come from the header.
    result = parse_plain_text(f"{header}\n1. 起重机可以超载吊运。\n答案：×\n")
    assert result.ok
    assert result.questions[0].type == "true_false"


@pytest.mark.parametrize(
    ("header", "expected_type"),
    [
        ("二、单项选择题", "single"),
        ("二、单选题（每题2分）", "single"),
        ("2. 单选题", "single"),
        ("Single choice", "single"),
        ("三、多项选择题", "multiple"),
        ("三、多选题【每题3分，多选、少选均不得分】", "multiple"),
        ("第三部分　多选题", "multiple"),
    ],
)
def test_choice_section_headers(header, expected_type):
    answer = "A" if expected_type == "single" else "AB"
    text = (
        f"{header}\n1. 下列属于安全装置的是（ ）。\nA、限位器 B、缓冲器 C、收音机\n答案：{answer}\n"
    )
    assert only(text).type == expected_type


@pytest.mark.parametrize(
    "line",
    [
        "1、起重机可以超载吊运。（×）",
        "1.起重机可以超载吊运。(×)",
        "1．起重机可以超载吊运。( × )",
        "1)起重机可以超载吊运。【×】",
        "1）起重机可以超载吊运。[×]",
        "（1）起重机可以超载吊运。（×）",
        "第1题 起重机可以超载吊运。（×）",
        "（ ）1.起重机可以超载吊运。（×）",
        "()1. 起重机可以超载吊运。（×）",
        "(×)1. 起重机可以超载吊运。",
        "（×）1、起重机可以超载吊运。（  ）",
        "1、（×）起重机可以超载吊运。",
        "1、起重机可以超载吊运。（✘）",
        "1、起重机可以超载吊运。（✗）",
        "1、起重机可以超载吊运。（错）",
        "1、起重机可以超载吊运。（错误）",
    ],
)
def test_true_false_numbering_and_answer_positions(line):
    question = only(f"一、判断题\n{line}\n")
    assert question.stem == "起重机可以超载吊运。"
    assert question.answer == "false"


@pytest.mark.parametrize("mark", ["√", "✓", "✔", "对", "正确"])
def test_true_marks(mark):
    assert only(f"一、判断题\n1、吊物下方严禁站人。（{mark}）\n").answer == "true"


@pytest.mark.parametrize(
    "answer_line",
    [
        "答案：×",
        "答案:×",
        "答案：×。",
        "正确答案：错",
        "参考答案： 错误",
        "【答案】×",
        "答：F",
        "答案：false",
    ],
)
def test_true_false_answer_lines(answer_line):
    question = only(f"一、判断题\n1、起重机可以超载吊运。（  ）\n{answer_line}\n")
    assert question.stem == "起重机可以超载吊运。"
    assert question.answer == "false"


@pytest.mark.parametrize(
    "body",
    [
        "1. 额定起重量的单位是（ A ）。\nA、t\nB、m\nC、s",
        "1. 额定起重量的单位是（Ａ）。\nA．t\nB．m\nC．s",
        "1. 额定起重量的单位是(A)。\nA.t\nB.m\nC.s",
        "1. 额定起重量的单位是【A】。\nA)t\nB)m\nC)s",
        "1. 额定起重量的单位是( A )。\nA:t\nB:m\nC:s",
        "1. 额定起重量的单位是（ ）。\nA、t B、m C、s\n答案：A",
        "1. 额定起重量的单位是（ ）。\nA、t  B、m\nC、s\n答案:A",
        "1. 额定起重量的单位是（ ）。 A、t B、m C、s\n答案：A",
        "1. 额定起重量的单位是（A）。A、t　B、m　C、s",
        "1. 额定起重量的单位是（ ）。\n(A) t (B) m (C) s\n答案：A",
        "(A)1. 额定起重量的单位是（ ）。\nA、t\nB、m\nC、s",
        "1. 额定起重量的单位是\n（  ）。\nA、t\n\nB、m\n\nC、s\n正确答案：A",
        "1. 额定起重量的单位是（  ）。\nA、t\nB、m\nC、s\nA",
    ],
)
def test_single_choice_layouts(body):
    question = only(f"二、单项选择题\n{body}\n")
    assert question.stem == "额定起重量的单位是（  ）。"
    assert question.options == ("t", "m", "s")
    assert question.answer == "A"


@pytest.mark.parametrize("answer", ["（ABD）", "(A B D)", "（A、B、D）", "【A,B,D】", "（DBA）"])
def test_multiple_answer_spellings_are_sorted(answer):
    text = f"三、多选题\n1. 属于安全装置的有{answer}。\nA、限位器 B、缓冲器 C、收音机 D、夹轨器\n"
    question = only(text)
    assert question.answer == "ABD"
    assert question.stem == "属于安全装置的有（  ）。"


def test_options_continue_over_lines():
    question = only(
        "二、单选题\n1. 起重机司机在下列哪种情况下应当鸣铃？（ B ）\nA、吊物已经落地\n"
        "并且摘钩完毕\nB、起吊、落下\n和吊物接近人员时\nC、下班后\n"
    )
    assert question.options == ("吊物已经落地并且摘钩完毕", "起吊、落下和吊物接近人员时", "下班后")


@pytest.mark.parametrize(
    ("line", "stem"),
    [
        ("1、吊钩（×）可以焊补后使用。", "吊钩可以焊补后使用。"),
        ("1. A hook (×) may be welded.", "A hook may be welded."),
    ],
)
def test_true_false_answer_inside_the_stem_leaves_no_gap(line, stem):
    assert only(f"一、判断题\n{line}\n").stem == stem


def test_english_words_on_continued_lines_keep_a_space():
    question = only("一、判断题\n1. The crane must not\nlift people. (×)\n")
    assert question.stem == "The crane must not lift people."


def test_stem_mentioning_a_letter_is_not_split_into_options():
    question = only("二、单选题\n1. 图中 A: 点为吊点，该吊法正确吗？（ B ）\nA、正确\nB、不正确\n")
    assert question.stem == "图中 A: 点为吊点，该吊法正确吗？（  ）"
    assert question.options == ("正确", "不正确")


def test_letters_inside_words_are_not_option_markers():
    question = only("二、单选题\n1. 依据的标准是（ A ）。\nA、GB/T 3811 第4B.2条 B、GB 6067.1\n")
    assert question.options == ("GB/T 3811 第4B.2条", "GB 6067.1")


def test_a_numbered_line_with_more_than_a_note_is_a_question_not_a_header():
    question = only("1、判断题的答案写在括号内，本句正确。（√）\n")
    assert question.stem == "判断题的答案写在括号内，本句正确。"


def test_titles_and_instructions_before_the_first_question_are_ignored():
    question = only(
        "某某培训中心\n起重机理论试题（A卷）\n注意：A、B卷不得混用\n"
        "一、判断题\n1. 吊物下方严禁站人（√）\n"
    )
    assert question.stem == "吊物下方严禁站人"


def test_explanation_after_the_answer_on_the_same_line():
    question = only("一、判断题\n1、起重机可以超载吊运。\n答案：× 解析：超载会导致结构破坏。\n")
    assert question.answer == "false"
    assert question.explanation == "超载会导致结构破坏。"


def test_answer_line_leaves_other_brackets_in_the_stem():
    question = only("二、单选题\n1. 额定电流（A）一栏应填写（  ）。\nA、10 B、20\n答案：B\n")
    assert question.stem == "额定电流（A）一栏应填写（  ）。"
    assert question.answer == "B"


def test_the_last_answer_like_bracket_is_the_answer():
    question = only("二、单选题\n1. 额定电流(A)一栏应填写( B )。\nA、10 B、20\n")
    assert question.stem == "额定电流(A)一栏应填写（  ）。"
    assert question.answer == "B"


def test_true_false_section_with_right_wrong_options():
    question = only("一、判断题\n1. 吊物下方严禁站人。（ B ）\nA、正确 B、错误\n")
    assert question.type == "true_false"
    assert question.options == ()
    assert question.answer == "false"


def test_true_false_section_with_right_wrong_options_and_a_mark_answer():
    question = only("一、判断题\n1．起重机可以带病运行。\nA．对　　B．错\n答案：×\n")
    assert (question.options, question.answer) == ((), "false")


def test_page_footers_are_dropped():
    result = parse_plain_text(
        "二、单选题\n1. 吊钩的材料一般是（ ）\nA. 20号钢 B. 铸铁\n"
        "第 1 页 共 3 页\n- 2 -\nPage 2 of 3\n"
        "C. 塑料\n答案：A\n"
    )
    assert result.ok
    assert result.questions[0].options == ("20号钢", "铸铁", "塑料")


def test_text_after_the_answer_is_its_explanation_not_an_option():
    question = only(
        "二、单选题\n1. 吊钩的材料一般是（ ）\nA. 20号钢 B. 铸铁\n答案：A\n本题考查吊钩材料。\n"
    )
    assert question.options == ("20号钢", "铸铁")
    assert question.explanation == "本题考查吊钩材料。"


@pytest.mark.parametrize(
    ("body", "expected_type", "expected_answer"),
    [
        ("1. 吊物下方严禁站人。（√）", "true_false", "true"),
        ("1. 吊物下方可以站人。\n答案：F", "true_false", "false"),
        ("1. 额定起重量的单位是（ A ）。\nA、t B、m", "single", "A"),
        ("1. 属于安全装置的有（ AB ）。\nA、限位器 B、缓冲器 C、收音机", "multiple", "AB"),
    ],
)
def test_type_is_inferred_outside_any_section(body, expected_type, expected_answer):
    question = only(f"{body}\n")
    assert (question.type, question.answer) == (expected_type, expected_answer)


def test_generic_choice_section_infers_single_or_multiple():
    result = parse_plain_text(
        "一、选择题\n1. 单位是（ A ）。\nA、t B、m\n"
        "2. 安全装置有（ AB ）。\nA、限位器 B、缓冲器 C、灯\n"
    )
    assert result.ok
    assert [q.type for q in result.questions] == ["single", "multiple"]


def test_crlf_line_endings_and_a_bom():
    question = only("\ufeff一、判断题\r\n1、吊物下方严禁站人。（√）\r\n")
    assert question.line == 2


# --- malformed files: exactly one problem each, at the question's first line ------------

MALFORMED = [
    ("no_options.txt", 5, "no_options"),
    ("answer_not_in_options.txt", 6, "answer_not_in_options"),
    ("bad_true_false_answer.txt", 3, "bad_true_false_answer"),
    ("duplicate_stem.txt", 4, "duplicate_stem"),
    ("empty_stem.txt", 3, "empty_stem"),
    ("no_answer.txt", 3, "no_answer"),
    ("answer_count_single.txt", 4, "answer_count"),
    ("answer_count_multiple.txt", 4, "answer_count"),
    ("option_count.txt", 4, "option_count"),
    ("option_order.txt", 5, "option_order"),
    ("bad_answer.txt", 4, "bad_answer"),
    ("options_on_true_false.txt", 3, "options_on_true_false"),
    ("no_questions.txt", 1, "no_questions"),
]


@pytest.mark.parametrize(("name", "line", "code"), MALFORMED)
def test_malformed_plain_text(name, line, code):
    result = parse_plain_text(read_fixture(f"malformed/{name}"))
    assert not result.ok
    assert [(p.line, p.code) for p in result.problems] == [(line, code)]


def test_problem_reasons_name_the_values():
    result = parse_plain_text(read_fixture("malformed/answer_not_in_options.txt"))
    assert result.problems[0].reason == 'answer "E" is not among the options A-D'
    assert (
        result.problems[0].format("bank.txt")
        == 'bank.txt:6: answer "E" is not among the options A-D'
    )
    duplicate = parse_plain_text(read_fixture("malformed/duplicate_stem.txt")).problems[0]
    assert "line 2" in duplicate.reason
    assert "起重机可以超载吊运" in duplicate.reason


def test_every_problem_in_a_file_is_listed_and_no_question_is_lost():
    text = "".join(
        read_fixture(f"malformed/{name}")
        for name in ("no_answer.txt", "option_order.txt", "empty_stem.txt")
    )
    result = parse_plain_text(text)
    assert [(p.line, p.code) for p in result.problems] == [
        (3, "no_answer"),
        (8, "option_order"),
        (12, "duplicate_stem"),  # repeats line 2
        (13, "empty_stem"),
    ]
    # The good questions are still read, so a preview can show them next to the problems.
    assert result.counts() == {"true_false": 2, "single": 1, "multiple": 0}


def test_one_question_with_several_problems_lists_them_all():
    result = parse_plain_text("三、多选题\n1. （  ）\nA、甲\n答案：F\n")
    assert sorted(p.code for p in result.problems) == [
        "answer_count",
        "answer_not_in_options",
        "empty_stem",
        "option_count",
    ]
    assert {p.line for p in result.problems} == {2}


# --- writing ---------------------------------------------------------------------------


def test_writer_layout():
    questions = [
        ParsedQuestion(1, "true_false", "吊物下方严禁站人。", (), "true"),
        ParsedQuestion(2, "single", "单位是（  ）。", ("t", "m"), "A", explanation="质量单位。"),
    ]
    assert write_plain_text(questions) == (
        "一、判断题\n\n1. 吊物下方严禁站人。\n答案：√\n\n"
        "二、单项选择题\n\n2. 单位是（  ）。\nA. t\nB. m\n答案：A\n解析：质量单位。\n"
    )


def test_realistic_fixture_round_trips_through_the_writer(realistic):
    again = parse_plain_text(write_plain_text(realistic.questions))
    assert again.ok
    assert [strip_line(q) for q in again.questions] == [strip_line(q) for q in realistic.questions]


def test_writer_escapes_text_that_looks_like_structure():
    question = ParsedQuestion(
        1,
        "single",
        r"见 A. 款和 B、项，路径 C:\B (D) 的说明（  ）",
        ("选 B. 项 C、项", "(A) 与 \\A"),
        "A",
    )
    written = write_plain_text([question])
    assert r"\A. 款" in written
    again = parse_plain_text(written)
    assert again.ok
    assert strip_line(again.questions[0]) == strip_line(question)


def test_writer_starts_a_new_section_whenever_the_type_changes():
    questions = [
        ParsedQuestion(1, "true_false", "甲。", (), "true"),
        ParsedQuestion(2, "single", "乙（  ）", ("a", "b"), "B"),
        ParsedQuestion(3, "true_false", "丙。", (), "false"),
    ]
    written = write_plain_text(questions)
    assert "一、判断题" in written and "二、单项选择题" in written and "三、判断题" in written
    assert [q.stem for q in parse_plain_text(written).questions] == ["甲。", "乙（  ）", "丙。"]


def strip_line(question: ParsedQuestion) -> ParsedQuestion:
    from dataclasses import replace

    return replace(question, line=0)
