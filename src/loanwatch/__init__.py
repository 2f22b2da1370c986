"""LoanWatch 贷后智能监控平台: post-loan risk monitoring for lenders."""

__version__ = "0.1.0"
