"""Tracing loan proceeds through the account flows (资金流向): the moves the bank can see,
the hops of the proceeds and what the money reached."""
