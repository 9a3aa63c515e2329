"""The sample bank shipped in question_bank/: it loads cleanly, covers the default blueprint
three times over in every cell, draws valid papers, holds no near-duplicate stems, and passes
the quality sweep: no unemphasised negative question, no "all of the above", no answer hint."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
import yaml

from examcentre.bank.operations import load_bank
from examcentre.extensions import db
from examcentre.papers.blueprint import Spec, can_publish, cells
from examcentre.papers.operations import (
    blueprint_coverage,
    create_blueprint_version,
    draw_papers,
    publish_blueprint,
)

from .factories import TEST_ACTOR

BANK = Path(__file__).resolve().parents[1] / "question_bank"
ITEMS = ("Q1", "Q2(限桥式起重机)")
PAPERS_PER_ITEM = 1000


@pytest.fixture
def loaded(make):
    centre = make.centre()
    report = load_bank(TEST_ACTOR, centre, BANK)
    db.session.commit()
    return centre, report


def test_the_shipped_bank_loads_with_no_error(loaded):
    _centre, report = loaded
    assert report.files == 6


@pytest.mark.parametrize("item", ITEMS)
def test_every_default_cell_holds_three_times_its_draw_and_papers_meet_the_blueprint(
    loaded, item
):
    centre, _report = loaded
    spec = Spec()
    blueprint = create_blueprint_version(TEST_ACTOR, centre, item, spec)
    cover = blueprint_coverage(blueprint, 3)
    short = {c.cell: (c.live_questions, c.required) for c in cover if c.shortfall}
    assert short == {}
    assert can_publish(cover)
    publish_blueprint(TEST_ACTOR, blueprint)
    db.session.commit()

    batch = draw_papers(blueprint, list(range(PAPERS_PER_ITEM)))
    pool, wanted = batch.pool, cells(spec)
    for paper in batch.papers:
        chosen = paper.order
        assert len(np.unique(chosen)) == len(chosen) == spec.question_count
        drawn = Counter(
            (pool.questions[i].area, pool.questions[i].type) for i in chosen.tolist()
        )
        assert drawn == Counter(wanted), paper.seed


def normalised(stem: str) -> str:
    text = unicodedata.normalize("NFKC", stem)
    return re.sub(r"[\s（）()，。、？?：:“”\"'‘’《》]", "", text)


def trigrams(text: str) -> set[str]:
    return {text[i:i + 3] for i in range(max(len(text) - 2, 1))}


@pytest.mark.parametrize("item_dir", ["Q1", "Q2"])
def test_no_two_stems_of_an_item_are_near_duplicates(item_dir):
    stems = {}
    for path in sorted((BANK / "theory" / item_dir).glob("*.yaml")):
        for question in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
            stems[question["id"]] = trigrams(normalised(question["zh"]["stem"]))
    near = [
        (a, b) for (a, sa), (b, sb) in combinations(stems.items(), 2)
        if len(sa & sb) / len(sa | sb) >= 0.8
    ]
    assert near == []


# --- the quality sweep (question_bank/FORMAT.md, "Writing good questions") ----------------

CHOICE = ("single", "multiple")
LETTERS = "ABCDE"


def shipped_questions() -> list[tuple[str, dict]]:
    """(item folder, question) for every shipped question, in file order."""
    return [
        (path.parent.name, question)
        for path in sorted((BANK / "theory").glob("*/*.yaml"))
        for question in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    ]


# Negative questions: the stem asks for the option that is wrong, false, excluded or forbidden.
NEGATIVE_ZH = re.compile(
    "不正确|错误|有误|不属于|不是|不应|不得|不能|不包括|除外|不需要|不必|不宜|不允许|不可以|"
    "禁止|严禁|不符合|不恰当|不妥|无关"
)
EMPHASIS_ZH = re.compile("【([^】]*)】")
# "不应超过（  ）" asks for a limit, "几级…不得起吊" for a number, "禁止…的原因" for a reason:
# the negative word there qualifies the answer; it does not turn the question around.
LIMIT_ZH = re.compile(
    "(?:不应|不得|不能|不宜|不允许|不可以)(?:小于|大于|超过|低于|高于|少于|多于|超出)"
)
QUANTITY_OR_REASON_ZH = re.compile("几|多少|多长|多高|多大|多远|何时|原因|为什么|目的|作用")
NEGATIVE_EN = ("NOT", "EXCEPT", "INCORRECT", "WRONG", "FALSE", "FORBIDDEN")
NEGATIVE_EN_CAPITALS = re.compile(rf"\b(?:{'|'.join(NEGATIVE_EN)})\b")
NEGATIVE_EN_LOWER = re.compile(rf"\b(?:{'|'.join(w.lower() for w in NEGATIVE_EN)}|prohibited)\b")


def asked_clause(stem: str) -> str:
    """The part of a stem that says what to pick: its last clause."""
    return re.split("[，,；;：:]", stem.rstrip("。？?）) （("))[-1]


def negative_words(stem: str) -> list[str]:
    """The negative words that make a choice stem a negative question, emphasised or not."""
    clause = asked_clause(EMPHASIS_ZH.sub(r"\1", stem))
    if QUANTITY_OR_REASON_ZH.search(clause):
        return []
    return NEGATIVE_ZH.findall(LIMIT_ZH.sub("", clause))


def unemphasised_negative_words(stem: str) -> list[str]:
    """The negative words of a negative question that are not wrapped in 【】."""
    if not negative_words(stem):
        return []
    return negative_words(EMPHASIS_ZH.sub("", stem))


def negative_question_problems(question: dict) -> list[str]:
    problems = []
    stem_zh = question["zh"]["stem"]
    stem_en = (question.get("en") or {}).get("stem")
    for inner in EMPHASIS_ZH.findall(stem_zh):
        if question["type"] not in CHOICE or not NEGATIVE_ZH.fullmatch(inner):
            problems.append(f"【{inner}】 emphasises something other than a negative word")
    if question["type"] not in CHOICE:
        return problems
    if words := unemphasised_negative_words(stem_zh):
        problems.append(f"negative question without 【】: {'/'.join(words)}")
    if stem_en:
        negative = bool(negative_words(stem_zh))
        capitals = NEGATIVE_EN_CAPITALS.search(stem_en)
        if negative and not capitals:
            problems.append(f"the English stem writes none of {'/'.join(NEGATIVE_EN)}")
        if capitals and not negative:
            problems.append("the English stem emphasises a negative the Chinese does not ask")
        if re.search(r"\b[Ww]hich\b", stem_en) and NEGATIVE_EN_LOWER.search(stem_en):
            problems.append("English negative question in lower case")
    return problems


ALL_OF_THE_ABOVE = re.compile(
    r"以上(?:都|均|全|皆)|上述(?:都|均|全|皆)|(?:都|均|全部)(?:正确|对)$"
    r"|\b(?:all|none|both) of the (?:above|options)\b|\ball the above\b",
    re.IGNORECASE,
)


def all_of_the_above_problems(question: dict) -> list[str]:
    return [
        f"option {LETTERS[i]} ({language}) points at the other options: {option}"
        for language in ("zh", "en")
        for i, option in enumerate((question.get(language) or {}).get("options") or [])
        if ALL_OF_THE_ABOVE.search(str(option))
    ]


# Answer hints. Only options that are short terms are compared (at most 8 characters, at most
# 5 English words): an option that is a sentence naturally refers back to the situation in the
# stem. A word in more than COMMON of an item's stems is the item's vocabulary, not a clue.
TERM_ZH, TERM_EN, COMMON = 8, 5, 0.10
_NOT_A_WORD_ZH = re.compile(r"[\s（）()，。、？?：:“”\"'‘’《》,.;；!！\-—·【】的]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_STOP_EN = frozenset(
    """the a an of to and or in on at by for with is are be it its this that these which what
    who when where how should must may can not from as into than all any each only also one
    more most less their they them there then does do""".split()  # noqa: SIM905
)


def _zh(text: str) -> str:
    return _NOT_A_WORD_ZH.sub("", unicodedata.normalize("NFKC", str(text)))


def _en_words(text: str) -> set[str]:
    text = str(text).lower().replace("centre of gravity", "centre-of-gravity")
    words = re.findall(r"[a-z][a-z\-]*", text)
    return {w.rstrip("s") for w in words if len(w) >= 4 and w not in _STOP_EN}


class ItemVocabulary:
    """How common a word is in one item's stems."""

    def __init__(self, questions: list[dict]):
        self.zh = [_zh(q["zh"]["stem"]) for q in questions]
        self.en = [_en_words(q["en"]["stem"]) for q in questions if q.get("en")]
        # Common words of 3 or 4 characters (起重机, 指挥人员) are masked before comparing, so
        # that the tail of one (起重"机") and the next word ("工作") make no clue ("机工作").
        counts = Counter(
            word
            for stem in self.zh
            for word in {stem[i : i + n] for n in (3, 4) for i in range(len(stem) - n + 1)}
        )
        common = sorted(
            (w for w, n in counts.items() if n > COMMON * len(self.zh) and _HAN.search(w)),
            key=len,
            reverse=True,
        )
        self._mask = re.compile("|".join(map(re.escape, common))) if common else None

    def mask(self, text: str) -> str:
        return self._mask.sub("|", text) if self._mask else text

    def common_zh(self, word: str) -> bool:
        return sum(word in stem for stem in self.zh) > COMMON * len(self.zh)

    def common_en(self, word: str) -> bool:
        return sum(word in stem for stem in self.en) > COMMON * len(self.en)


def _echo_zh(option: str, stem: str, others: list[str], vocabulary: ItemVocabulary) -> int:
    """The length (in Chinese characters, 0 below 2) of the longest word of ``option`` that the
    stem repeats, that no other option holds and that is not the item's common vocabulary."""
    best = 0
    for start in range(len(option)):
        for end in range(start + 2, len(option) + 1):
            word = option[start:end]
            if word not in stem:
                break
            if any(word in o for o in others) or vocabulary.common_zh(word):
                continue
            best = max(best, len(_HAN.findall(word)))
    return best if best >= 2 else 0


def answer_hint_problems(question: dict, vocabulary: ItemVocabulary) -> list[str]:
    """The right option(s), and only they, repeat a distinctive word of the stem."""
    if question["type"] not in CHOICE:
        return []
    answer = set(str(question["answer"]))
    problems = []
    options = [_zh(o) for o in question["zh"]["options"]]
    if max(len(o) for o in options) <= TERM_ZH:
        stem = vocabulary.mask(_zh(question["zh"]["stem"]))
        options = [vocabulary.mask(o) for o in options]
        echo = {
            LETTERS[i]: _echo_zh(o, stem, options[:i] + options[i + 1 :], vocabulary)
            for i, o in enumerate(options)
        }
        wrong = [n for letter, n in echo.items() if letter not in answer] or [0]
        if min(echo[letter] for letter in answer) > max(wrong):
            problems.append("zh: only the answer repeats a word of the stem")
    en = question.get("en") or {}
    if en.get("options") and max(len(str(o).split()) for o in en["options"]) <= TERM_EN:
        stem_words = _en_words(en["stem"])
        words = [_en_words(o) for o in en["options"]]
        echo_en = {
            LETTERS[i]: {
                w
                for w in (option & stem_words) - set().union(*words[:i], *words[i + 1 :])
                if not vocabulary.common_en(w)
            }
            for i, option in enumerate(words)
        }
        if all(echo_en[letter] for letter in answer) and not any(
            echo_en[letter] for letter in echo_en if letter not in answer
        ):
            problems.append("en: only the answer repeats a word of the stem")
    return problems


def test_the_sweep_tells_negative_questions_from_stated_prohibitions():
    def choice(stem_zh, stem_en=None):
        return {"type": "single", "zh": {"stem": stem_zh}, "en": {"stem": stem_en or ""}}

    assert negative_question_problems(choice("下列说法中【错误】的是？", "Which is WRONG?")) == []
    assert negative_question_problems(choice("下列哪一项【不属于】起升机构？")) == []
    assert negative_question_problems(choice("下列说法中错误的是（  ）。")) == [
        "negative question without 【】: 错误"
    ]
    assert negative_question_problems(choice("下列哪些起重机依法不得使用？")) == [
        "negative question without 【】: 不得"
    ]
    assert negative_question_problems(choice("以下都是安全装置，（  ）除外。")) == [
        "negative question without 【】: 除外"
    ]
    assert "English negative question in lower case" in negative_question_problems(
        choice("下列哪一项【不属于】起升机构？", "Which of these is not part of it? NOT")
    )
    assert negative_question_problems(choice("下列哪一项【不属于】起升机构？", "Which is it?")) == [
        "the English stem writes none of NOT/EXCEPT/INCORRECT/WRONG/FALSE/FORBIDDEN"
    ]
    # Not negative questions: a limit, a number, a reason, a situation before the question,
    # and a prohibition stated for a true/false judgement.
    for stem in (
        "检修用行灯的电压不应超过（  ）。",
        "露天作业时风力达到几级及以上不得起吊？",
        "禁止斜拉歪拽的主要原因是什么？",
        "司机没有看清信号时，应当怎样做？",
    ):
        assert negative_question_problems(choice(stem)) == [], stem
    true_false = {"type": "true_false", "zh": {"stem": "吊物下方不得站人。"}}
    assert negative_question_problems(true_false) == []
    assert negative_question_problems({**true_false, "zh": {"stem": "吊物下方【不得】站人。"}}) == [
        "【不得】 emphasises something other than a negative word"
    ]


def test_the_sweep_finds_all_of_the_above_and_answer_hints():
    def options(zh, en=()):
        return {"type": "single", "answer": "B", "zh": {"stem": "？", "options": zh},
                "en": {"stem": "?", "options": list(en)} if en else {}}  # fmt: skip

    assert all_of_the_above_problems(options(["甲", "乙", "丙", "以上都对"]))
    assert all_of_the_above_problems(options(["甲"] * 4, ["a", "b", "c", "All of the above"]))
    assert all_of_the_above_problems(options(["甲", "乙", "丙", "任意绳芯均可"])) == []
    vocabulary = ItemVocabulary([{"zh": {"stem": s}} for s in ["起重机作业", "起重机起吊"] * 5])
    hint = {
        "type": "single",
        "answer": "B",
        "zh": {
            "stem": "用于防止起重机起吊超过额定起重量物品的安全装置是（  ）。",
            "options": ["缓冲器", "起重量限制器", "运行行程限位器", "防碰撞装置"],
        },
    }
    assert answer_hint_problems(hint, vocabulary) == [
        "zh: only the answer repeats a word of the stem"
    ]
    fixed = {**hint, "zh": {**hint["zh"], "stem": "用于防止起重机超载起吊的安全装置是（  ）。"}}
    assert answer_hint_problems(fixed, vocabulary) == []


def test_no_shipped_question_hides_a_negative_points_at_other_options_or_hints_its_answer():
    questions = shipped_questions()
    vocabularies = {
        folder: ItemVocabulary([q for f, q in questions if f == folder])
        for folder in {f for f, _q in questions}
    }
    problems = {
        q["id"]: found
        for folder, q in questions
        if (
            found := negative_question_problems(q)
            + all_of_the_above_problems(q)
            + answer_hint_problems(q, vocabularies[folder])
        )
    }
    assert problems == {}
