"""Synthetic lender portfolio: loanwatch simulate."""
