"""The internal ladder (e.g. 十二级分类: 正常1–5, 关注1–3, 次级1–2, 可疑, 损失): grades of the
policy mapped onto the five classes.

Inside a class with k grades, a loan takes the grade of its borrower's rating spread evenly
over them: with ``rating_grades`` ratings (1 best), rating g gives the ceil(g·k / N)-th grade
of the class, so the best ratings take the class's best grade and the worst its worst. A
loan without a rating takes the class's middle grade."""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from loanwatch.classify.floors import CLASSES

RATING_GRADES = 10


def ladder_grade(rank: ir.IntegerValue, rating: ir.IntegerValue,
                 ladder: Sequence[tuple[str, str]], rating_grades: int = RATING_GRADES
                 ) -> ir.StringValue:
    """The ladder grade of a loan of class ``rank`` whose borrower has rating ``rating``."""
    cases = []
    for i, name in enumerate(CLASSES):
        grades = [g for g, c in ladder if c == name]
        k = len(grades)
        pos = ((rating.coalesce((rating_grades + 1) // 2) * k + rating_grades - 1)
               // rating_grades).clip(1, k)
        pick = ibis.cases(*((pos == n, g) for n, g in enumerate(grades, start=1)))
        cases.append((rank == i, pick))
    return ibis.cases(*cases, else_=ibis.null("string"))
