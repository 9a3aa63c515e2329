"""Practical exams (实际操作技能考试), the pure layer: score sheets as versioned data
(``sheets``), the scoring engine and random draws (``scoring``), simulator runs and their
HMAC (``simulator``), two-examiner reconciliation, the combined result and retakes
(``results``). The sheets live in ``question_bank/practical/`` (README.md there).

None of these modules imports Flask, SQLAlchemy or the app's models
(``tests/practical/test_layers.py``), but for the two beside them: ``stations`` (the
simulator stations' operations: register, accept a signed run) and ``cli`` (``examcentre
station``, with the reference client ``send``).
"""
