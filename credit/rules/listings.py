"""失信被执行人 listings: the court's rules, from 最高人民法院《关于公布失信被执行人名单信息的若干规定》
(法释〔2017〕7号).

- 第一条 lists six grounds for a listing; the record carries its item (`listingGround`, 1–6).
- 第二条: a listing on the grounds of 第一条第二项至第六项 lasts two years, and may be extended by one to
  three years where the conduct is serious or repeated; a listing on 第一条第一项 (有履行能力而拒不履行
  生效法律文书确定义务) has no term: it lasts until the court deletes it. So a stated term
  (`validUntil`) is at most five years after the decision, and a 第一项 listing states none.
- The platform sets no default end: a listing stays in force until the court states a term or deletes
  it (第十条, `deletedOn` with its reason), which takes it out of disclosure at once.
"""

from __future__ import annotations

from datetime import date

from credit.rules.disclosure import add_months

#: 第一条's grounds, by item.
GROUNDS: dict[int, str] = {
    1: "有履行能力而拒不履行生效法律文书确定义务",
    2: "以伪造证据、暴力、威胁等方法妨碍、抗拒执行",
    3: "以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行",
    4: "违反财产报告制度",
    5: "违反限制消费令",
    6: "无正当理由拒不履行执行和解协议",
}
#: 第二条: two years, extended by at most three.
TERM_MONTHS = 24
EXTENSION_MONTHS = 36
#: 第一条第一项: no term.
GROUND_WITHOUT_TERM = 1


def latest_term_end(decided_on: date) -> date:
    """The last day a stated term may reach: two years and an extension of three after the decision."""
    return add_months(decided_on, TERM_MONTHS + EXTENSION_MONTHS)


def term_problem(decided_on: date, valid_until: date | None, ground: int | None) -> str | None:
    """Why a listing's stated term breaks 第二条 (None when it does not)."""
    if valid_until is None:
        return None
    if ground == GROUND_WITHOUT_TERM:
        return "validUntil: a listing on 第一条第一项 has no term; it lasts until the court deletes it"
    latest = latest_term_end(decided_on)
    if valid_until > latest:
        return (
            f"validUntil: a listing's term is at most two years plus an extension of three "
            f"(法释〔2017〕7号 第二条), so no later than {latest.isoformat()}"
        )
    return None
