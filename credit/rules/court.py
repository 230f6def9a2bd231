"""失信被执行人 listings (《最高人民法院关于公布失信被执行人名单信息的若干规定》, 法释〔2017〕7号).

A listing has no default end: it stays in force until the court deletes it (第十条) or the term the
court stated (`validUntil`) ends (see `credit/rules/data/disclosure/2017-05-01_spc-fashi-2017-7.json`).
A term is at most two years, extended by at most three for serious violence or threats or several
dishonest acts (第二条: "纳入失信被执行人名单的期限为二年。被执行人以暴力、威胁方法妨碍、抗拒执行
情节严重或具有多项失信行为的，可以延长一至三年"), so a stated `validUntil` later than
`max_listing_until(decidedOn)` cannot be a lawful term.
"""

from __future__ import annotations

import datetime as dt

from credit.rules.disclosure import add_months

#: 法释〔2017〕7号 第二条: a term of two years ...
LISTING_TERM_YEARS = 2
#: ... extended by one to three years.
LISTING_EXTENSION_MAX_YEARS = 3


def max_listing_until(decided_on: dt.date) -> dt.date:
    """The last day (inclusive) a listing decided on `decided_on` may run to with the longest lawful
    term: `decided_on` + 2 years + 3 years, counted as the Civil Code counts periods (民法典第二百零一、
    二百零二条: the first day not counted, the corresponding day of the last month, or its last day)."""
    return add_months(decided_on, (LISTING_TERM_YEARS + LISTING_EXTENSION_MAX_YEARS) * 12)
