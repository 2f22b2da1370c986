"""The bank policy file (策略): one versioned YAML document with a schema.

Load it once with ``load_policy`` and pass the ``Policy`` down; record
``policy.version_id`` with every result it produces.
"""

from loanwatch.policy.loader import (
    PolicyError,
    default_policy_text,
    load_default_policy,
    load_policy,
    load_policy_text,
    policy_to_yaml,
)
from loanwatch.policy.schema import (
    Bucket,
    ClassificationPolicy,
    CombiningPolicy,
    DpdPolicy,
    EclPolicy,
    Escalation,
    Ifrs9Policy,
    InspectionPolicy,
    LadderGrade,
    LgdBySecurity,
    PenaltyPolicy,
    Policy,
    RatingBand,
    RatingFactor,
    RatingIndicator,
    RatingPolicy,
    policy_digest,
)
from loanwatch.policy.signals import SIGNAL_IDS, SignalGroup, SignalPolicy, Signals, signal_group
from loanwatch.policy.thresholds import Comparison, ThresholdSignal
from loanwatch.policy.vocabulary import Action, DayCount, FiveClass, Severity

__all__ = [
    "Action",
    "Bucket",
    "ClassificationPolicy",
    "CombiningPolicy",
    "Comparison",
    "DayCount",
    "DpdPolicy",
    "EclPolicy",
    "Escalation",
    "FiveClass",
    "Ifrs9Policy",
    "InspectionPolicy",
    "LadderGrade",
    "LgdBySecurity",
    "PenaltyPolicy",
    "Policy",
    "PolicyError",
    "RatingBand",
    "RatingFactor",
    "RatingIndicator",
    "RatingPolicy",
    "SIGNAL_IDS",
    "Severity",
    "SignalGroup",
    "SignalPolicy",
    "Signals",
    "ThresholdSignal",
    "default_policy_text",
    "load_default_policy",
    "load_policy",
    "load_policy_text",
    "policy_digest",
    "policy_to_yaml",
    "signal_group",
]
