"""Deterministic demo data in the NDJSON import format of CONTRACT.md.

``generate`` yields every ``{"type":"subject",…}`` line first, then the ``{"type":"record",…}`` lines.
Codes are valid (python-stdnum) and unique, built on current division codes (credit.subjects.regions);
organisation names are composed from region, trade name (字号), industry and company form, so a
hundred thousand of them stay distinct. Everything random comes from one ``random.Random(seed)`` and
a seeded Faker, so (subjects, seed, today) always give the same lines.

The vocabularies are whitespace-separated text tables below: one entry a line, fields in the order
of the comment above each table; ``-`` is an empty field, ``《*`` stands for ``《中华人民共和国``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import accumulate
from os import PathLike
from typing import IO, Any

import opencc
from faker import Faker
from faker.providers.address.zh_CN import Provider as _FakerAddress
from faker.providers.company.zh_CN import Provider as _FakerCompany
from faker.providers.person.zh_CN import Provider as _FakerPerson
from stdnum.cn import ric, uscc

from credit.enums import RecordCategory, Severity, SubjectKind
from credit.subjects.regions import MUNICIPALITIES, county_periods, current_county_codes, region_names, short_name

__all__ = ["generate", "write_ndjson"]

RC = RecordCategory
_K = SubjectKind


def _rows(text: str) -> list[list[str]]:
    """Parse a text table: one row a line, whitespace-separated fields, ``-`` for empty."""
    rows = [line.replace("《*", "《中华人民共和国").split() for line in text.strip().splitlines()]
    return [["" if field == "-" else field for field in row] for row in rows if row]


def _words(text: str) -> list[str]:
    return text.split()


def _by_key(text: str) -> list[tuple[str, str]]:
    """``key: word word …`` lines → [(word, key), …]"""
    return [(word, row[0].rstrip(":")) for row in _rows(text) for word in row[1:]]


_PROVINCE_ABBR = dict(
    zip(
        _words("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65"),
        "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川黔滇藏陕甘青宁新",
        strict=True,
    )
)
# demo weight of each province (others 1), spread evenly over its counties
_PROVINCE_WEIGHT = {"32": 14, "33": 12, "44": 12, "37": 8, "31": 7, "11": 7, "35": 5, "51": 5, "34": 4}
_PROVINCE_WEIGHT |= {"41": 4, "42": 4, "43": 3, "50": 3, "12": 2, "13": 2, "36": 2, "61": 2}
_TRADE_HEAD = "华恒鑫泰源宏盛隆瑞丰金通荣昌汇德安康永兴嘉和润博远航新阳明辉佳美锦诚信达宇飞腾祥福海天中东方"
_TRADE_HEAD += "顺卓联晟创智云凯立鼎晨星光亚欣蓝森豪鸿骏伟"
_TRADE_TAIL = "达泰丰源盛昌隆兴华通利发宇航辉德成业峰川洋晖瑞诚信安邦杰锐捷创智联合展鹏程远翔汇力鑫康健和美嘉"
_TRADE_TAIL += "欣悦新帆阳润科迪"
# (industry, sector): the sector decides which licences and penalties a subject attracts
_INDUSTRIES = _by_key("""
    tech: 科技 信息技术 网络科技 软件 电子科技 智能科技 教育科技
    trade: 贸易 商贸 进出口 供应链管理 汽车销售 服饰
    construction: 建筑工程 建设工程 装饰工程 市政工程 电力工程 钢结构工程
    food: 食品 粮油 乳业
    catering: 餐饮管理 酒店管理
    drug: 医药 生物科技 医疗器械
    transport: 物流 运输 汽车服务
    env: 环保科技 环境工程 新能源科技
    mfg: 机械制造 精密机械 电气设备 纺织 包装材料 家具 塑业 五金制品 实业
    chem: 化工 新材料 涂料
    realestate: 房地产开发 置业 物业管理
    culture: 文化传媒 广告
    agri: 农业科技 生态农业
    labor: 人力资源 劳务
    finance: 企业管理咨询 投资
""")
_FORMS = _words("有限公司 有限责任公司 股份有限公司 集团有限公司 合伙企业（有限合伙） 个体 合作社")
_FORM_CUM = list(accumulate([52, 18, 8, 3, 4, 10, 5]))
_FUND_INDUSTRIES = _words("创业投资 股权投资 投资管理 企业管理咨询")
_SHOPS = _by_key("""
    catering: 面馆 小吃店 快餐店 农家乐 餐馆 烧烤店
    transport: 汽车修理厂
    shop: 便利店 五金店 理发店 水果店 建材经营部 家电维修部 烟酒店 服装店 茶叶店 副食品店
""")
_CROPS = _words("水稻种植 蔬菜种植 果蔬种植 茶叶 生猪养殖 水产养殖 家禽养殖 苗木种植 食用菌 农机服务 中药材种植")
_OLD_FORMS = {"mfg": "机械厂", "chem": "化工厂", "food": "食品厂", "construction": "建筑公司", "trade": "商店"}
_ROADS = _words("""
    人民 解放 中山 建设 和平 延安 长江 黄河 青年 文化 新华 胜利 工业 科技 创业 兴业 光明 朝阳
    东方 迎宾 滨河 环城 花园 学府 振兴 富强 健康 幸福 金桥 龙江 凤凰 紫金 锦绣 红星 太湖 珠江
""")
_ROAD_SUFFIXES = _words("路 东路 西路 南路 北路 中路 大道 街")
_ASSOCIATIONS = _words("""
    软件行业 餐饮行业 建筑业 物流 食品工业 服装 汽车维修 个体劳动者 青年企业家 书法家 摄影家
    老年体育 企业联合 物业管理 电子商务 旅游 会计 律师 收藏家 围棋 钓鱼 慈善 民营企业 家庭教育
""")
_PRIVATE_INSTITUTIONS = _by_key("""
    school: 幼儿园 培训学校 职业技能培训学校 艺术培训中心
    social: 养老院 社会工作服务中心
    medical: 康复中心 门诊部
""")
_PUBLIC_INSTITUTIONS = _by_key("""
    medical: 第{n}人民医院 中医医院 妇幼保健院 疾病预防控制中心
    school: 第{n}中学 {trade}小学 实验小学 职业技术学校
    social: 图书馆 社会福利院
""")
_CAUSES = _words("慈善 教育 助学 公益 文化发展 青少年发展")
_CN_NUMBERS = "一二三四五六七八九十"
# key  city/county suffix  provincial suffix  penalty doc  licence doc  sourceId tag
_BUREAUS = {
    row[0]: row[1:]
    for row in _rows("""
    market     市场监督管理局      市场监督管理局      市监处罚    市监许    SJ
    env        生态环境局          生态环境厅          环罚        环审      HJ
    tax        税务局              税务局              税稽罚      税许      SW
    safety     应急管理局          应急管理厅          应急罚      应急许    YJ
    fire       消防救援支队        消防救援总队        消行罚决字  消审      XF
    housing    住房和城乡建设局    住房和城乡建设厅    建罚        建许      ZJ
    transport  交通运输局          交通运输厅          交罚        交许      JT
    health     卫生健康委员会      卫生健康委员会      卫罚        卫许      WJ
    hrss       人力资源和社会保障局 人力资源和社会保障厅 人社罚    人社许    RS
    culture    文化广电和旅游局    广播电视局          文旅罚      文旅许    WL
    education  教育局              教育厅              教罚        教许      JY
    urban      城市管理局          住房和城乡建设厅    城管罚      城管许    CG
    water      水利局              水利厅              水罚        水许      SL
    natres     自然资源和规划局    自然资源厅          自然资源罚  自然资源许 ZR
    ndrc       发展和改革委员会    发展和改革委员会    发改罚      发改信    FG
    commerce   商务局              商务厅              商罚        商许      SWJ
    civil      民政局              民政厅              民罚        民许      MZ
    telecom    通信管理局          通信管理局          通信罚      通信许    TX
""")
}
_OTHER_AGENCIES = _words("人民政府 人民政府办公室 财政局 公安局 司法局 统计局 审计局 医疗保障局 退役军人事务局 体育局")
# licence  bureau  level  certificate prefix  years valid (0: open-ended)
_LICENSES = {
    row[0]: (row[1], row[2], row[3], int(row[4]))
    for row in _rows("""
    食品经营许可证                            market     county    JY   5
    食品生产许可证                            market     city      SC   5
    排污许可证                                env        city      PW   5
    建设项目环境影响报告表审批                env        city      -    0
    建筑工程施工许可证                        housing    county    SG   0
    建筑业企业资质证书                        housing    city      D    5
    商品房预售许可证                          housing    city      YS   0
    药品经营许可证                            market     city      YP   5
    医疗器械经营许可证                        market     city      XK   5
    道路运输经营许可证                        transport  county    DY   4
    危险化学品经营许可证                      safety     city      WH   3
    安全生产许可证                            safety     province  AQ   3
    特种设备使用登记证                        market     county    TS   0
    公众聚集场所投入使用、营业前消防安全检查  fire       county    -    0
    劳务派遣经营许可证                        hrss       city      LP   3
    人力资源服务许可证                        hrss       city      RL   0
    广播电视节目制作经营许可证                culture    province  GD   2
    公共场所卫生许可证                        health     county    WS   4
    医疗机构执业许可证                        health     city      PD   5
    民办学校办学许可证                        education  county    BX   0
    城市建筑垃圾处置核准                      urban      city      -    1
    取水许可证                                water      county    QS   5
    建设用地规划许可证                        natres     city      DG   0
    户外广告设施设置许可                      urban      county    -    3
    增值电信业务经营许可证                    telecom    province  B2-  5
    医师执业注册                              health     city      YS   0
    道路运输从业人员从业资格证                transport  city      CY   6
""")
}
# penalty domain: bureau, level
_DOMAINS = {
    row[0]: (row[1], row[2])
    for row in _rows("""
    FOOD market county
    DRUG market city
    SPECIAL_EQUIPMENT market county
    WORK_SAFETY safety county
    FIRE_SAFETY fire county
    ENVIRONMENT env city
    MARKET market county
    TAX tax county
    CONSTRUCTION housing county
    TRANSPORT transport county
    LABOR hrss county
    HEALTH health county
    SOCIAL_ORGANIZATION civil city
""")
}
# domain  fact  basis; PERSON_* rows are for natural persons
_FACTS: dict[str, list[tuple[str, str]]] = {}
for _row in _rows("""
    FOOD 生产经营超过保质期的食品 《*食品安全法》第一百二十四条
    FOOD 未按规定查验供货者许可证和食品合格证明文件 《*食品安全法》第一百二十六条
    FOOD 经营标签不符合规定的预包装食品 《*食品安全法》第一百二十五条
    DRUG 销售劣药 《*药品管理法》第一百一十七条
    DRUG 未遵守药品经营质量管理规范 《*药品管理法》第一百二十六条
    DRUG 经营未取得医疗器械注册证的第二类医疗器械 《医疗器械监督管理条例》第八十一条
    SPECIAL_EQUIPMENT 使用未经定期检验的特种设备 《*特种设备安全法》第八十四条
    SPECIAL_EQUIPMENT 特种设备作业人员未取得相应资格上岗作业 《*特种设备安全法》第八十六条
    WORK_SAFETY 未如实记录安全生产教育和培训情况 《*安全生产法》第九十七条
    WORK_SAFETY 未对安全设备进行经常性维护、保养和定期检测 《*安全生产法》第九十九条
    WORK_SAFETY 未采取措施消除事故隐患 《*安全生产法》第一百零二条
    FIRE_SAFETY 占用、堵塞、封闭疏散通道、安全出口 《*消防法》第六十条
    FIRE_SAFETY 消防设施、器材未保持完好有效 《*消防法》第六十条
    FIRE_SAFETY 未经消防安全检查擅自投入使用、营业 《*消防法》第五十八条
    ENVIRONMENT 超标排放大气污染物 《*大气污染防治法》第九十九条
    ENVIRONMENT 未按规定采取措施控制扬尘污染 《*大气污染防治法》第一百一十五条
    ENVIRONMENT 挥发性有机物废气未按规定收集处理 《*大气污染防治法》第一百零八条
    ENVIRONMENT 超标排放水污染物 《*水污染防治法》第八十三条
    ENVIRONMENT 未按规定贮存危险废物 《*固体废物污染环境防治法》第一百一十二条
    ENVIRONMENT 建设项目环境影响评价文件未经批准擅自开工建设 《*环境影响评价法》第三十一条
    MARKET 发布虚假广告 《*广告法》第五十五条
    MARKET 进行虚假或者引人误解的商业宣传 《*反不正当竞争法》第二十条
    MARKET 在产品中掺杂、掺假 《*产品质量法》第五十条
    MARKET 使用不合格的计量器具 《*计量法实施细则》第四十三条
    TAX 少缴增值税税款 《*税收征收管理法》第六十三条
    TAX 未按照规定期限办理纳税申报和报送纳税资料 《*税收征收管理法》第六十二条
    TAX 未按规定开具发票 《*发票管理办法》第三十五条
    CONSTRUCTION 未取得施工许可证擅自施工 《建筑工程施工许可管理办法》第十二条
    CONSTRUCTION 未按照工程建设强制性标准进行施工 《建设工程质量管理条例》第六十四条
    TRANSPORT 未取得道路运输经营许可擅自从事道路运输经营 《*道路运输条例》第六十三条
    LABOR 违反工作时间和休息休假规定延长劳动者工作时间 《劳动保障监察条例》第二十五条
    HEALTH 未取得医疗机构执业许可证擅自执业 《医疗机构管理条例》第四十三条
    HEALTH 公共场所卫生质量不符合卫生标准 《公共场所卫生管理条例实施细则》第三十六条
    SOCIAL_ORGANIZATION 未按照规定接受年度检查 《社会团体登记管理条例》第三十条
    PERSON_MARKET 从事无照经营活动 《无证无照经营查处办法》第十三条
    PERSON_TRANSPORT 未取得许可擅自从事网络预约出租汽车经营 《网络预约出租汽车经营服务管理暂行办法》第三十四条
    PERSON_ENVIRONMENT 在人口集中地区露天焚烧垃圾 《*大气污染防治法》第一百一十九条
    PERSON_FIRE_SAFETY 在具有火灾、爆炸危险的场所违反规定使用明火 《*消防法》第六十三条
"""):
    _FACTS.setdefault(_row[0], []).append((_row[1], _row[2]))
_PERSON_DOMAINS = [key for key in _FACTS if key.startswith("PERSON_")]
# sector: licences | penalty domains
_SECTORS: dict[str, tuple[list[str], list[str]]] = {}
for _row in _rows("""
    tech 增值电信业务经营许可证 公众聚集场所投入使用、营业前消防安全检查 | MARKET TAX FIRE_SAFETY
    trade 食品经营许可证 危险化学品经营许可证 | MARKET TAX FOOD
    construction 建筑工程施工许可证 建筑业企业资质证书 安全生产许可证 城市建筑垃圾处置核准 | CONSTRUCTION
    construction | WORK_SAFETY ENVIRONMENT TAX
    food 食品生产许可证 食品经营许可证 排污许可证 | FOOD ENVIRONMENT MARKET
    catering 食品经营许可证 公共场所卫生许可证 公众聚集场所投入使用、营业前消防安全检查 | FOOD FIRE_SAFETY HEALTH
    drug 药品经营许可证 医疗器械经营许可证 排污许可证 | DRUG MARKET ENVIRONMENT
    transport 道路运输经营许可证 危险化学品经营许可证 | TRANSPORT WORK_SAFETY FIRE_SAFETY
    env 排污许可证 建设项目环境影响报告表审批 | ENVIRONMENT WORK_SAFETY
    mfg 排污许可证 建设项目环境影响报告表审批 特种设备使用登记证 安全生产许可证 | ENVIRONMENT WORK_SAFETY
    mfg | SPECIAL_EQUIPMENT FIRE_SAFETY MARKET
    chem 危险化学品经营许可证 安全生产许可证 排污许可证 | ENVIRONMENT WORK_SAFETY FIRE_SAFETY
    realestate 商品房预售许可证 建设用地规划许可证 建筑工程施工许可证 | CONSTRUCTION MARKET TAX
    culture 广播电视节目制作经营许可证 户外广告设施设置许可 | MARKET TAX
    agri 取水许可证 食品生产许可证 排污许可证 | FOOD ENVIRONMENT
    labor 劳务派遣经营许可证 人力资源服务许可证 | LABOR TAX
    finance 户外广告设施设置许可 | TAX MARKET
    shop 食品经营许可证 公共场所卫生许可证 | FOOD MARKET FIRE_SAFETY
    medical 医疗机构执业许可证 排污许可证 | HEALTH DRUG FIRE_SAFETY
    school 民办学校办学许可证 食品经营许可证 | FOOD FIRE_SAFETY
    social 户外广告设施设置许可 | SOCIAL_ORGANIZATION
    gov 取水许可证 建设用地规划许可证 城市建筑垃圾处置核准 | FIRE_SAFETY ENVIRONMENT
    person 道路运输从业人员从业资格证 医师执业注册 | MARKET
"""):
    _bar = _row.index("|")
    _licences, _domains = _SECTORS.setdefault(_row[0], ([], []))
    _licences += _row[1:_bar]
    _domains += _row[_bar + 1 :]
# list name  bureau  level  document abbreviation  years valid  basis
_LISTS = {
    row[0]: (row[1], row[2], row[3], int(row[4]), row[5])
    for row in _rows("""
    守合同重信用企业   market province 市监信 2 -
    A级纳税人         tax    city     -      1 -
    诚信典型          ndrc   city     发改信 2 -
    劳动保障守法诚信示范单位 hrss city 人社信 2 -
    严重违法失信企业名单 market city 市监列严 3 《市场监督管理严重违法失信名单管理办法》第二条
    重大税收违法失信主体 tax city 税稽列 3 《重大税收违法失信主体信息公布管理办法》第六条
    拖欠农民工工资失信联合惩戒对象名单 hrss city 人社列 3 《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》第五条
    安全生产严重失信主体名单 safety city 应急列 3 《安全生产严重失信主体名单管理办法》第七条
""")
}
_RED_LISTS = [name for name, spec in _LISTS.items() if not spec[4]]
_BLACK_LISTS = [name for name, spec in _LISTS.items() if spec[4]]
# commitment type  bureau  level
_COMMITMENTS = _rows("""
    审批替代型 market county
    容缺受理型 housing city
    行业自律型 commerce city
    信用修复型 ndrc city
    证明事项告知承诺 market county
""")
_ENV_GRADES = dict(zip("ABCD", _words("环保诚信企业 环保良好企业 环保警示企业 环保不良企业"), strict=True))
_CATS = list(RC)
_CAT_TAG = dict(zip(_CATS, _words("XK CF HM HEI SX CN PJ"), strict=True))
# per kind: category weights (in RecordCategory order), P(no records), weights of 1, 2, 3 … records
_CAT_W = {
    _K.LEGAL_PERSON: [44, 20, 6, 3, 5, 12, 10],
    _K.OTHER_ORGANIZATION: [50, 10, 8, 2, 2, 15, 13],
    _K.NATURAL_PERSON: [10, 25, 0, 0, 65, 0, 0],
    _K.GOVERNMENT_AGENCY: [40, 10, 0, 0, 20, 30, 0],
}
_NONE_P = {_K.LEGAL_PERSON: 0.27, _K.OTHER_ORGANIZATION: 0.35, _K.NATURAL_PERSON: 0.4, _K.GOVERNMENT_AGENCY: 0.85}
_COUNT_W = {_K.NATURAL_PERSON: [60, 30, 10], _K.GOVERNMENT_AGENCY: [1]}
_COUNT_W[_K.LEGAL_PERSON] = _COUNT_W[_K.OTHER_ORGANIZATION] = [38, 28, 17, 9, 5, 3]
_CAT_CUM = {kind: list(accumulate(weights)) for kind, weights in _CAT_W.items()}
_COUNT_CUM = {kind: list(accumulate(weights)) for kind, weights in _COUNT_W.items()}
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True, slots=True)
class _Place:
    code: str
    province: str
    abbr: str  # province abbreviation (苏)
    prov_short: str
    city: str  # prefecture; the municipality itself; the county for units directly under a province
    city_short: str
    county: str | None
    county_short: str | None
    municipal: bool
    prefecture: bool  # a prefecture (or municipality) sits above the county

    @property
    def full(self) -> str:  # 江苏省常州市天宁区 / 北京市朝阳区
        return "".join(dict.fromkeys(x for x in (self.province, self.city, self.county) if x))

    @property
    def local(self) -> str:
        """How local bodies are named: districts with their city (常州市天宁区, 北京市朝阳区), counties
        and county-level cities on their own (沛县, 洪湖市), else the prefecture (东莞市)."""
        if self.county and not self.county.endswith("区"):
            return self.county
        return "".join(dict.fromkeys(x for x in (self.city, self.county) if x))


@cache
def _place(code: str) -> _Place:
    names = region_names(code)
    assert names is not None, code
    city = names.city or names.county or names.province
    county = names.county
    return _Place(
        code,
        names.province,
        _PROVINCE_ABBR[code[:2]],
        short_name(names.province),
        city,
        short_name(city),
        county,
        short_name(county) if county else None,
        code[:2] in MUNICIPALITIES,
        names.city is not None,
    )


@dataclass(frozen=True, slots=True)
class _Auth:
    name: str
    abbr: str  # how its document numbers begin: 常 / 天 / 苏
    prefix: str  # sourceId prefix, unique per authority
    court: str = ""  # court code in case numbers: 苏04 / 苏0402


@dataclass(slots=True)
class _Subject:
    kind: SubjectKind
    code: str
    name: str
    place: _Place
    sector: str
    registered: date | None


def _org_code(body: str) -> str:
    """GB 11714 organisation code: 8 characters and their check character."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@cache
def _converter() -> Any:
    return opencc.OpenCC("s2t")


class _Generator:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        codes = [c for c in current_county_codes() if c[:2] in _PROVINCE_ABBR]
        per_province: dict[str, int] = {}
        for c in codes:
            per_province[c[:2]] = per_province.get(c[:2], 0) + 1

        def weight(c: str) -> float:
            return _PROVINCE_WEIGHT.get(c[:2], 1) / per_province[c[:2]]

        self.codes, self.cum = codes, list(accumulate(map(weight, codes)))
        # a resident ID number must carry a code that existed in its holder's birth year
        self.since = {c: max(1950, county_periods(c)[-1].start or 1950) for c in codes}
        self.person_codes = [c for c in codes if self.since[c] <= 1995]
        self.person_cum = list(accumulate(map(weight, self.person_codes)))
        self.surnames = list(_FakerPerson.last_names)
        self.surname_cum = list(accumulate(_FakerPerson.last_names.values()))
        self.given = (_FakerPerson.first_names_female, _FakerPerson.first_names_male)
        self.given1 = tuple([g for g in pool if len(g) == 1] for pool in self.given)
        self.trades = [a + b for a in _TRADE_HEAD for b in _TRADE_TAIL if a != b]
        self.trades += [
            p for p in _FakerCompany.company_prefixes if 2 <= len(p) <= 3 and all("一" <= c <= "鿿" for c in p)
        ]
        self.roads = [r + s for r in [*_ROADS, *_FakerAddress.cities] for s in _ROAD_SUFFIXES]
        self.agencies = [*(b for b in _BUREAUS if b != "telecom"), *_OTHER_AGENCIES]
        self.names: set[str] = set()
        self.codes_used: set[str] = set()
        self.auths: dict[tuple[str, str, str], _Auth] = {}
        self.counters: dict[tuple[str, str, int], int] = {}
        self.reg_span = (date(1995, 1, 1).toordinal(), date(today.year - 1, 12, 31).toordinal())

    # -- helpers ---------------------------------------------------------------------------------
    def pick(self, seq: Sequence[str], cum_weights: Sequence[float]) -> str:
        return self.rng.choices(seq, cum_weights=cum_weights)[0]

    def surname(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.surname_cum)[0]

    def person_name(self, male: bool | None = None) -> str:
        rng = self.rng
        sex = int(rng.random() < 0.55) if male is None else int(male)
        given = rng.choice(self.given[sex])
        if len(given) == 1 and rng.random() < 0.5:
            given += rng.choice(self.given1[sex])
        return self.surname() + given

    def place(self, person: bool = False) -> _Place:
        if person:
            return _place(self.rng.choices(self.person_codes, cum_weights=self.person_cum)[0])
        return _place(self.rng.choices(self.codes, cum_weights=self.cum)[0])

    def address(self, p: _Place) -> str:
        rng = self.rng
        r = rng.random()
        tail = (
            ""
            if r < 0.5
            else f"{rng.randint(1, 12)}楼"
            if r < 0.7
            else f"{rng.randint(1, 30)}幢{rng.randint(1, 28)}{rng.randint(1, 20):02d}室"
        )
        return f"{p.full}{rng.choice(self.roads)}{rng.randint(1, 999)}号{tail}"

    def unique(self, name: str) -> bool:
        if name in self.names:
            return False
        self.names.add(name)
        return True

    def uscc(self, dept: str, p: _Place, registered: date, modern: bool) -> str:
        """A USCC: registration department and type, region, organisation code, check character.
        Businesses registered since October 2015 have organisation codes beginning with MA."""
        rng = self.rng
        while True:
            if modern and registered >= date(2015, 10, 1):
                body = "MA" + "".join(rng.choices(_USCC_ALPHABET, k=6))
            else:
                body = str(rng.randint(10_000_000, 79_999_999))
            code17 = dept + p.code + _org_code(body)
            code = code17 + uscc.calc_check_digit(code17)
            if code not in self.codes_used:
                self.codes_used.add(code)
                return code

    def registered(self) -> date:
        return date.fromordinal(self.rng.randint(*self.reg_span))

    # -- subjects --------------------------------------------------------------------------------
    def subject(self) -> tuple[_Subject, dict[str, Any]]:
        r = self.rng.random()
        if r < 0.80:
            return self.company()
        if r < 0.92:
            return self.person()
        return self.organisation(agency=r < 0.95)

    def company(self) -> tuple[_Subject, dict[str, Any]]:
        rng = self.rng
        form = self.pick(_FORMS, _FORM_CUM)
        industry = ""
        while True:
            p, trade = self.place(), rng.choice(self.trades)
            if form == "个体":  # 个体工商户: 常州市天宁区张记面馆
                shop, sector = rng.choice(_SHOPS)
                trade = self.surname() + "记" if rng.random() < 0.4 else trade
                name, dept = f"{p.local}{trade}{shop}", "92"
            elif form == "合作社":  # 农民专业合作社
                name, dept, sector = f"{p.county or p.city}{trade}{rng.choice(_CROPS)}专业合作社", "93", "agri"
            else:
                industry, sector = rng.choice(_INDUSTRIES)
                if form.startswith("合伙"):
                    industry, sector = rng.choice(_FUND_INDUSTRIES), "finance"
                name, dept = self.company_name(p, trade, industry, form), "91"
            if self.unique(name):
                break
        registered = self.registered()
        former: list[str] = []
        if dept == "91" and rng.random() < 0.10:
            for _ in range(rng.choice((1, 1, 2))):
                old = self.former_name(p, name, trade, industry, sector, form)
                if old and self.unique(old):
                    former.append(old)
        if rng.random() < 0.05:
            traditional = _converter().convert(name)
            if self.unique(traditional):
                name = traditional
        code = self.uscc(dept, p, registered, modern=True)
        line: dict[str, Any] = {"type": "subject", "kind": _K.LEGAL_PERSON.value, "code": code, "name": name}
        if former:
            line["formerNames"] = former
        line |= {"regionCode": p.code, "legalRepresentative": self.person_name()}
        line |= {"registeredOn": registered.isoformat(), "address": self.address(p)}
        return _Subject(_K.LEGAL_PERSON, code, name, p, sector, registered), line

    def company_name(self, p: _Place, trade: str, industry: str, form: str) -> str:
        r = self.rng.random()
        if form in ("股份有限公司", "集团有限公司") and r < 0.5:
            r = 0.8 + r * 0.4  # larger companies carry a city or province name
        if r < 0.08:
            return f"{trade}{industry}（{p.city_short}）{form}"
        if r < 0.28:
            region = p.county_short or p.city_short
        elif r < 0.78:
            region = p.city_short
        else:
            region = p.city if r < 0.88 else p.prov_short
        return f"{region}{trade}{industry}{form}"

    def former_name(self, p: _Place, name: str, trade: str, industry: str, sector: str, form: str) -> str | None:
        rng = self.rng
        r = rng.random()
        if r < 0.3 and sector in _OLD_FORMS:
            return f"{p.city}{trade}{_OLD_FORMS[sector]}"  # 常州市华信机械厂
        if r < 0.45:
            return f"{p.city_short}{trade}{industry}公司"
        if r < 0.75:
            return self.company_name(p, rng.choice(self.trades), industry, form)
        if r < 0.9:
            return self.company_name(p, trade, rng.choice(_INDUSTRIES)[0], form)
        swapped = {"有限公司": "有限责任公司", "有限责任公司": "有限公司"}.get(form)
        return name.replace(form, swapped) if swapped and name.endswith(form) else None

    def person(self) -> tuple[_Subject, dict[str, Any]]:
        rng = self.rng
        while True:
            p = self.place(person=True)
            first, last = date(self.since[p.code], 1, 1).toordinal(), date(2004, 12, 31).toordinal()
            birth = date.fromordinal(rng.randint(first, last))
            male = rng.random() < 0.52
            body = f"{p.code}{birth:%Y%m%d}{rng.randrange(0, 500) * 2 + int(male):03d}"  # odd: male
            code = body + ric.calc_check_digit(body + "0")
            if code not in self.codes_used:
                self.codes_used.add(code)
                break
        name = self.person_name(male)
        line = {"type": "subject", "kind": _K.NATURAL_PERSON.value, "code": code, "name": name}
        line |= {"regionCode": p.code, "phone": self.fake.phone_number(), "address": self.address(p)}
        return _Subject(_K.NATURAL_PERSON, code, name, p, "person", None), line

    def organisation(self, agency: bool) -> tuple[_Subject, dict[str, Any]]:
        rng = self.rng
        kind = _K.GOVERNMENT_AGENCY if agency else _K.OTHER_ORGANIZATION
        for attempt in range(10_000):
            p, trade = self.place(), rng.choice(self.trades)
            level = "county" if p.county and rng.random() < 0.6 else "city"
            if agency:  # 机关: USCC 11…
                bureau, sector, dept = rng.choice(self.agencies), "gov", "11"
                if bureau in _BUREAUS:
                    name = self.authority(p, bureau, level).name
                else:
                    name = f"{p.local if level == 'county' else p.city}{bureau}"
            else:
                name, dept, sector = self.org_name(p, trade, level, attempt)
            if self.unique(name):
                break
        registered = self.registered()
        code = self.uscc(dept, p, registered, modern=False)
        line = {"type": "subject", "kind": kind.value, "code": code, "name": name, "regionCode": p.code}
        line |= {"legalRepresentative": self.person_name(), "registeredOn": registered.isoformat()}
        line |= {"address": self.address(p)}
        return _Subject(kind, code, name, p, sector, registered), line

    def org_name(self, p: _Place, trade: str, level: str, attempt: int) -> tuple[str, str, str]:
        """Name, USCC department and type, sector of a social organisation or public institution."""
        rng = self.rng
        where = p.local if level == "county" else p.city
        r = rng.random()
        if r < 0.30:  # 社会团体
            kind = rng.choice(("协会", "协会", "商会", "学会"))
            return f"{where}{rng.choice(_ASSOCIATIONS)}{kind}", "51", "social"
        if r < 0.60:  # 民办非企业单位 / 社会服务机构
            institution, sector = rng.choice(_PRIVATE_INSTITUTIONS)
            return f"{where}{trade}{institution}", "52", sector
        if r < 0.85:  # 事业单位
            institution, sector = rng.choice(_PUBLIC_INSTITUTIONS)
            n = _CN_NUMBERS[rng.randrange(10)] if attempt < 20 else str(attempt)
            return f"{where}{institution.format(n=n, trade=trade)}", "12", sector
        if r < 0.92:  # 基金会
            return f"{p.city_short}{trade}{rng.choice(_CAUSES)}基金会", "53", "social"
        return f"{p.prov_short}{trade}律师事务所", "31", "social"  # 司法行政: 律师事务所

    # -- authorities -----------------------------------------------------------------------------
    def authority(self, p: _Place, bureau: str, level: str) -> _Auth:
        """常州市生态环境局 / 常州市天宁区市场监督管理局 / 国家税务总局江苏省税务局 …"""
        if bureau == "telecom":
            level = "province"
        if level == "county" and not p.county:
            level = "city"
        if level == "city" and not p.prefecture:
            level = "county"
        key = (p.code, bureau, level)
        found = self.auths.get(key)
        if found is None:
            local, provincial, _penalty, _licence, tag = _BUREAUS[bureau]
            if level == "province" or (p.municipal and level == "city"):
                where, abbr, region = p.province, p.abbr, p.code[:2] + "0000"
                suffix = local if p.municipal and bureau != "fire" else provincial
            elif level == "city":
                where, abbr, region, suffix = p.city, p.city_short[0], p.code[:4] + "00", local
            else:
                where, abbr, region = p.local, (p.county_short or p.city_short)[0], p.code
                suffix = "消防救援大队" if bureau == "fire" else local
            name = f"国家税务总局{where}税务局" if bureau == "tax" else f"{where}{suffix}"
            found = self.auths[key] = _Auth(name, abbr, f"{region}{tag}")
        return found

    def court(self, p: _Place) -> _Auth:
        """常州市中级人民法院 (苏04) or 常州市天宁区人民法院 (苏0402)."""
        intermediate = p.prefecture and self.rng.random() < 0.3
        key = (p.code, "court", "city" if intermediate else "county")
        found = self.auths.get(key)
        if found is None:
            if intermediate:
                name = f"{p.province}第一中级人民法院" if p.municipal else f"{p.city}中级人民法院"
                court, region = p.abbr + ("01" if p.municipal else p.code[2:4]), p.code[:4] + "00"
            else:
                name = f"{p.local}人民法院" if p.county else f"{p.city}第一人民法院"
                court, region = p.abbr + (p.code[2:6] if p.county else p.code[2:4] + "71"), p.code
            found = self.auths[key] = _Auth(name, court, f"{region}FY", court)
        return found

    def next_number(self, key: tuple[str, str, int], start: int, step: int) -> int:
        n = self.counters.get(key)
        n = self.rng.randint(1, start) if n is None else n + self.rng.randint(1, step)
        self.counters[key] = n
        return n

    def doc(self, auth: _Auth, kind: str, year: int) -> str:
        return f"{auth.abbr}{kind}〔{year}〕{self.next_number((auth.name, kind, year), 30, 6)}号"

    # -- records ---------------------------------------------------------------------------------
    def records(self, s: _Subject) -> Iterator[dict[str, Any]]:
        rng = self.rng
        if rng.random() < _NONE_P[s.kind]:
            return
        weights = _COUNT_CUM[s.kind]
        categories = _CAT_CUM[s.kind]
        for _ in range(rng.choices(range(1, len(weights) + 1), cum_weights=weights)[0]):
            yield self.record(s, rng.choices(_CATS, cum_weights=categories)[0])

    def record(self, s: _Subject, cat: RecordCategory) -> dict[str, Any]:
        rng, today = self.rng, self.today.toordinal()
        low = max(today - 5 * 365, s.registered.toordinal() + 1 if s.registered else 0)
        decided = date.fromordinal(rng.randint(min(low, today - 1), today - 1))
        year, p, name = decided.year, s.place, s.name
        doc: str | None = None
        extra: dict[str, Any] = {"validFrom": decided}
        if cat is RC.ADMINISTRATIVE_LICENSE:
            licence = rng.choice(_SECTORS[s.sector][0])
            bureau, level, prefix, years = _LICENSES[licence]
            auth = self.authority(p, bureau, level)
            action = self.pick(("新办", "延续", "变更"), (6, 8, 10))
            doc = self.doc(auth, _BUREAUS[bureau][3], year)
            title = f"{name}{licence}（{action}）"
            content: dict[str, Any] = {"licenseName": licence, "action": action}
            if prefix:
                content["licenseNumber"] = f"{prefix}{p.code}{year}{rng.randint(0, 99999):05d}"
            extra |= {"validUntil": _add_years(decided, years) if years else None, "content": content}
        elif cat is RC.ADMINISTRATIVE_PENALTY:
            if s.kind is _K.NATURAL_PERSON:
                key = rng.choice(_PERSON_DOMAINS)
                domain = key.removeprefix("PERSON_")
            else:
                key = domain = rng.choice(_SECTORS[s.sector][1])
            fact, basis = rng.choice(_FACTS[key])
            bureau, level = _DOMAINS[domain]
            auth = self.authority(p, bureau, level)
            severity = Severity(self.pick(list(Severity), (45, 85, 100)))
            kind = "罚款"
            if severity is Severity.MINOR:
                fine = rng.randint(5, 100) * 100
                if rng.random() < 0.2:
                    kind, fine = "警告", 0
            elif severity is Severity.GENERAL:
                fine = rng.randint(10, 100) * 1000
            else:
                fine = rng.randint(10, 200) * 10000
                kind = rng.choice(("罚款", "罚款；没收违法所得", "罚款；责令停产停业"))
            doc = self.doc(auth, _BUREAUS[bureau][2], year)
            title = f"关于{name}{fact}的行政处罚决定"
            content = {"domain": domain, "fine": fine, "basis": basis, "fact": fact, "penaltyType": kind}
            extra = {"severity": severity.value, "content": content}
        elif cat in (RC.RED_LIST, RC.BLACK_LIST):
            list_name = rng.choice(_RED_LISTS if cat is RC.RED_LIST else _BLACK_LISTS)
            bureau, level, kind, years, basis = _LISTS[list_name]
            auth = self.authority(p, bureau, level)
            doc = self.doc(auth, kind, year) if kind else None
            if cat is RC.RED_LIST:
                title = f"{name}被认定为{year - 1}年度“{list_name}”"
            else:
                title = f"关于将{name}列入{list_name}的决定"
            extra |= {"listName": list_name, "validUntil": _add_years(decided, years)}
            extra |= {"content": {"basis": basis}} if basis else {}
        elif cat is RC.DISHONEST_JUDGMENT_DEBTOR:
            auth = self.court(p)
            doc = f"({year}){auth.court}执{self.next_number((auth.name, '执', year), 2000, 40)}号"
            title = f"关于将{name}纳入失信被执行人名单的决定书"
            content = {
                "amount": rng.randint(50, 5000) * (100 if s.kind is _K.NATURAL_PERSON else 1000),
                "basisDocument": f"({year - 1}){auth.court}民初{rng.randint(100, 9999)}号",
                "performance": rng.choice(("全部未履行", "全部未履行", "部分未履行")),
                "behavior": rng.choice(
                    ("有履行能力而拒不履行生效法律文书确定义务", "违反财产报告制度", "违反限制消费令")
                ),
            }
            extra |= {"listName": "失信被执行人名单", "validUntil": _add_years(decided, rng.choice((2, 3)))}
            extra |= {"content": content}
        elif cat is RC.CREDIT_COMMITMENT:
            kind, bureau, level = rng.choice(_COMMITMENTS)
            auth = self.authority(p, bureau, level)
            matter = rng.choice([*_SECTORS[s.sector][0], "参与政府采购活动", "申请财政资金支持"])
            title = f"{name}信用承诺书（{kind}）"
            extra |= {"validUntil": _add_years(decided, 1), "content": {"type": kind, "matter": matter}}
        else:
            grade = self.pick("ABCD", (35, 75, 90, 100))
            if s.sector in ("mfg", "chem", "env") and rng.random() < 0.5:
                auth, list_name = self.authority(p, "env", "city"), _ENV_GRADES[grade]
                title = f"{name}{year - 1}年度企业环境信用评价结果"
            else:
                auth, list_name = self.authority(p, "tax", "city"), f"纳税信用{grade}级"
                title = f"{name}{year - 1}年度纳税信用评价结果"
            extra |= {"listName": list_name, "validUntil": _add_years(decided, 1)}  # until the next one
            extra |= {"content": {"grade": grade, "year": year - 1}}
        published = date.fromordinal(min(today, decided.toordinal() + rng.randint(1, 7)))
        n = self.next_number((auth.name, _CAT_TAG[cat], year), 1, 1)
        line: dict[str, Any] = {"type": "record", "sourceId": f"{auth.prefix}-{_CAT_TAG[cat]}-{year}-{n:05d}"}
        line |= {"authority": auth.name, "subjectCode": s.code, "category": cat.value, "title": title}
        if doc:
            line["decisionNumber"] = doc
        line |= {"decidedOn": decided.isoformat(), "publishedOn": published.isoformat()}
        for key, value in extra.items():
            if value is not None:
                line[key] = value.isoformat() if isinstance(value, date) else value
        return line


def generate(subjects: int = 20000, seed: int = 7, today: date | None = None) -> Iterator[dict[str, Any]]:
    """Yield NDJSON line objects: ``subjects`` subject lines, then the records of those subjects.

    Deterministic for (subjects, seed, today). ``today`` (default: the current date) bounds every
    date: registrations fall between 1995 and the end of last year, decisions within the last five
    years, publications 1–7 days after the decision and never after ``today``.
    """
    gen = _Generator(seed, today or date.today())
    made: list[_Subject] = []
    for _ in range(subjects):
        subject, line = gen.subject()
        made.append(subject)
        yield line
    for subject in made:
        yield from gen.records(subject)


def write_ndjson(
    path_or_file: str | PathLike[str] | IO[str], subjects: int = 20000, seed: int = 7, today: date | None = None
) -> int:
    """Write ``generate(subjects, seed, today)`` as UTF-8 NDJSON to a path or text file; returns the
    number of lines written."""
    if isinstance(path_or_file, str | PathLike):
        with open(path_or_file, "w", encoding="utf-8") as fh:
            return write_ndjson(fh, subjects, seed, today)
    count = 0
    for line in generate(subjects, seed, today):
        path_or_file.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count
