"""What the simulated lender looks like: products, shares and scenario mix (the defaults are documented
in docs/simulator.md; every figure here is a parameter of ``SimConfig``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from loanwatch.simulate.schedules import METHODS


@dataclass(frozen=True)
class Product:
    name: str
    share: float  # of all loans
    enterprise: bool  # borrowed by SMEs (else individuals)
    methods: dict[str, float]  # repayment method -> probability
    terms: tuple[int, ...]  # months, drawn uniformly
    principal_median: float  # yuan; log-normal around it
    principal_sigma: float
    rate: tuple[float, float]  # annual rate range
    annual_default: float  # yearly probability that a performing loan defaults
    annual_prepay: float  # yearly probability of full prepayment
    entrusted: float  # share paid by entrusted payment (受托支付) with a contract
    secured: str | None = None  # collateral kind when secured
    secured_share: float = 0.0
    guaranteed_share: float = 0.0
    monthly_fee_rate: float = 0.0  # fee per installment as a share of principal

    def method_codes(self) -> tuple[list[int], list[float]]:
        return [METHODS.index(m) for m in self.methods], list(self.methods.values())


PRODUCTS: tuple[Product, ...] = (
    Product(
        "consumer",
        0.50,
        False,
        {"equal_installment": 0.8, "equal_principal": 0.2},
        (6, 12, 12, 24, 36),
        50_000,
        0.7,
        (0.06, 0.18),
        0.030,
        0.12,
        0.0,
        monthly_fee_rate=0.0005,
    ),
    Product(
        "business",
        0.22,
        True,
        {"equal_installment": 0.4, "interest_first": 0.6},
        (12, 24, 36),
        600_000,
        0.8,
        (0.04, 0.09),
        0.025,
        0.06,
        0.35,
        guaranteed_share=0.4,
    ),
    Product(
        "working_capital",
        0.15,
        True,
        {"interest_first": 0.7, "bullet": 0.3},
        (6, 12, 12),
        2_000_000,
        0.9,
        (0.035, 0.06),
        0.020,
        0.05,
        0.7,
        "receivable",
        0.2,
        guaranteed_share=0.5,
    ),
    Product(
        "fixed_asset",
        0.07,
        True,
        {"equal_principal": 0.7, "equal_installment": 0.3},
        (36, 48, 60),
        5_000_000,
        0.8,
        (0.038, 0.055),
        0.015,
        0.03,
        0.8,
        "equipment",
        0.6,
        guaranteed_share=0.4,
    ),
    Product(
        "mortgage",
        0.06,
        False,
        {"equal_installment": 0.8, "equal_principal": 0.2},
        (120, 180, 240, 360),
        1_200_000,
        0.5,
        (0.031, 0.045),
        0.005,
        0.06,
        0.0,
        "property",
        1.0,
    ),
)

#: Scenarios that explain a default (real) or imitate one without a default (benign look-alike).
SCENARIOS: tuple[str, ...] = (
    "backflow",
    "prohibited_use",
    "paid_to_individual",
    "fake_contract",
    "multi_lending",
    "key_person_churn",
    "settlement_drop",
    "income_drop",
    "collateral_drop",
    "court_enforcement",
    "guarantee_contagion",
)
#: which borrowers a scenario can happen to: enterprise / individual / both
SCENARIO_PARTY: dict[str, str] = {
    "backflow": "both",
    "prohibited_use": "both",
    "paid_to_individual": "enterprise",
    "fake_contract": "enterprise",
    "multi_lending": "both",
    "key_person_churn": "enterprise",
    "settlement_drop": "enterprise",
    "income_drop": "individual",
    "collateral_drop": "both",
    "court_enforcement": "both",
    "guarantee_contagion": "enterprise",
}
#: scenarios that happen with the proceeds, right after disbursement (fraud)
FLOW_SCENARIOS = frozenset({"backflow", "prohibited_use", "paid_to_individual", "fake_contract"})


@dataclass(frozen=True)
class SimConfig:
    loans: int = 2000
    start: dt.date = dt.date(2024, 1, 1)
    months: int = 24
    seed: int = 0
    products: tuple[Product, ...] = PRODUCTS
    branches: int = 12
    managers_per_branch: int = 8
    loans_per_customer: float = 1.05  # mean loans per borrower
    sudden_share: float = 0.30  # defaults with no leading trace at all
    benign_ratio: float = 1.2  # benign look-alikes per real scenario case
    #: relative weight of each scenario among the defaults that have a leading trace
    scenario_weights: dict[str, float] = field(
        default_factory=lambda: {
            "backflow": 1.0,
            "prohibited_use": 1.0,
            "paid_to_individual": 0.6,
            "fake_contract": 0.8,
            "multi_lending": 2.0,
            "key_person_churn": 1.0,
            "settlement_drop": 1.2,
            "income_drop": 2.0,
            "collateral_drop": 0.6,
            "court_enforcement": 1.0,
            "guarantee_contagion": 0.6,
        }
    )
    #: lead time (months from first trace to the first missed payment) and its weights
    lead_months: tuple[int, ...] = (0, 1, 2, 3, 4, 6, 9, 12)
    lead_weights: tuple[float, ...] = (0.10, 0.12, 0.16, 0.18, 0.14, 0.14, 0.10, 0.06)
    guarantee_circles: int | None = None  # default: one circle per ~2,000 loans, at least 2
    macro_shock: tuple[int, int, float] = (9, 15, 1.6)  # months [from, to) where hazard × factor
    late_share: float = 0.035 # installments paid late (then cured)
    partial_share: float = 0.02  # installments paid in two parts
    restructure_share: float = 0.08  # of defaulting loans restructured instead
    writeoff_share: float = 0.6  # of 90+ loans written off 180–360 days later
    recovery_share: float = 0.3  # of defaulted loans that pay something back later

    @property
    def end(self) -> dt.date:
        """The last day simulated (the as-of of the files)."""
        y, m = divmod(self.start.month - 1 + self.months, 12)
        return dt.date(self.start.year + y, m + 1, 1) - dt.timedelta(days=1)

    def validate(self) -> None:
        if self.loans < 1:
            raise ValueError("--loans must be at least 1")
        if not 3 <= self.months <= 120:
            raise ValueError("--months must be between 3 and 120")
        if abs(sum(p.share for p in self.products) - 1) > 1e-9:
            raise ValueError("product shares must sum to 1")
        unknown = set(self.scenario_weights) - set(SCENARIOS)
        if unknown:
            raise ValueError(f"unknown scenarios: {sorted(unknown)}")
        if not 0 <= self.sudden_share <= 1 or self.benign_ratio < 0:
            raise ValueError("sudden_share must be in [0, 1] and benign_ratio ≥ 0")
