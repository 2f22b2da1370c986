"""Names, identity numbers, tax ids and phone numbers — plausible, deterministic, vectorised.

Everything is a pure function of an integer (a customer or counterparty number), so every module
that needs a party's name or tax id gets the same text without passing strings around.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loanwatch.simulate.parties import INDUSTRIES, REGIONS

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞辉宇浩然子涵梓轩欣怡嘉琪思远博文俊雅晨晓"
)
SHOP_WORDS = list("恒泰华盛鑫源宏达兴隆瑞祥金诚永安新锐信和天成中汇远航博通联创嘉禾丰茂德润")
#: kinds of counterparties that are not customers, with how their names end
COUNTERPARTY_SUFFIX: dict[str, str] = {
    "supplier": "供应链有限公司",
    "buyer": "商贸有限公司",
    "employer": "集团有限公司",
    "securities": "证券股份有限公司",
    "futures": "期货有限公司",
    "real_estate": "房地产开发有限公司",
    "lender": "小额贷款有限公司",
    "merchant": "商店",
    "landlord": "物业管理有限公司",
}
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], np.int64)
_CHECK = np.array(list("10X98765432"))


def _take(words: list[str], idx: np.ndarray) -> pa.Array:
    return pa.array(words).take(pa.array(np.asarray(idx, np.int64) % len(words)))


def _mix(x: np.ndarray, salt: int) -> np.ndarray:
    """A cheap integer hash: the same number always gives the same pseudo-random value."""
    v = (np.asarray(x, np.uint64) + np.uint64(salt)) * np.uint64(0x9E3779B97F4A7C15)
    v ^= v >> np.uint64(31)
    return (v * np.uint64(0xBF58476D1CE4E5B9) >> np.uint64(29)).astype(np.int64) & 0x7FFFFFFF


def person_names(numbers: np.ndarray) -> pa.Array:
    """张伟, 李子涵 … (a third of given names have two characters)."""
    x = np.asarray(numbers, np.int64)
    surname, g1, g2 = _take(SURNAMES, _mix(x, 1)), _take(GIVEN, _mix(x, 2)), _take(GIVEN, _mix(x, 3))
    two = pa.array(_mix(x, 4) % 3 == 0)
    given = pc.if_else(two, pc.binary_join_element_wise(g1, g2, ""), g1)
    return pc.binary_join_element_wise(surname, given, "")


def company_names(numbers: np.ndarray, region: np.ndarray, suffix: str | np.ndarray) -> pa.Array:
    """<city><two words><industry or kind suffix>, e.g. 杭州恒泰科技有限公司."""
    x = np.asarray(numbers, np.int64)
    city = _take([c for _, c in REGIONS], region)
    words = pc.binary_join_element_wise(_take(SHOP_WORDS, _mix(x, 5)), _take(SHOP_WORDS, _mix(x, 6)), "")
    tail = pa.array(np.broadcast_to(np.asarray(suffix, object), x.shape).tolist(), pa.string())
    return pc.binary_join_element_wise(city, words, tail, "")


def enterprise_suffix(industry: np.ndarray) -> np.ndarray:
    words = np.array([w for _, w in INDUSTRIES] + ["贸易"], object)
    return np.char.add(words[np.asarray(industry)].astype(str), "有限公司").astype(object)


def id_numbers(numbers: np.ndarray, region: np.ndarray, born: np.ndarray) -> pa.Array:
    """18-digit resident identity numbers with a valid GB 11643 check digit."""
    x = np.asarray(numbers, np.int64)
    codes = np.array([int(c) for c, _ in REGIONS], np.int64)[np.asarray(region)]
    ymd = np.asarray(born, "datetime64[D]").astype(object)
    birth = np.array([d.year * 10000 + d.month * 100 + d.day for d in ymd], np.int64)
    body = codes * 10**11 + birth * 1000 + _mix(x, 7) % 999 + 1  # 17 digits
    digits = (body[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    check = _CHECK[(digits * _WEIGHTS).sum(axis=1) % 11]
    return pc.binary_join_element_wise(pc.cast(pa.array(body), pa.string()), pa.array(check), "")


def tax_ids(numbers: np.ndarray, region: np.ndarray, salt: int = 0) -> pa.Array:
    """统一社会信用代码-shaped ids: 91 + region + 'MA' + 8 digits (unique per number and salt)."""
    x = np.asarray(numbers, np.int64)
    codes = np.array([c for c, _ in REGIONS])[np.asarray(region) % len(REGIONS)]
    tail = pc.utf8_lpad(pc.cast(pa.array(x * 10 + salt), pa.string()), 8, "0")
    return pc.binary_join_element_wise("91", pa.array(codes), "MA", tail, "")


def phones(numbers: np.ndarray) -> pa.Array:
    x = np.asarray(numbers, np.int64)
    prefix = np.array([135, 138, 139, 150, 158, 186, 188, 177, 199])[_mix(x, 8) % 9]
    return pc.cast(pa.array(prefix * 10**8 + _mix(x, 9) % 10**8), pa.string())
