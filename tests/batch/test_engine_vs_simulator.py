"""The engine agrees loan by loan with the simulator's own delinquency calculation (an
independent implementation with ASOF joins over the raw files) on a simulated lender."""

from __future__ import annotations

import duckdb

from loanwatch.simulate.calibration import _views, delinquency_sql, month_ends
from tests.batch.conftest import LENDER, run, stored


def test_dpd_and_outstanding_match_the_simulators_calculation(lender_ws, lender_dir):
    days = month_ends(LENDER.end, 6)
    run(lender_ws, *days)
    engine = {(r["loan_id"], r["as_of"]): r for r in stored(lender_ws)}
    con = duckdb.connect()
    _views(con, lender_dir)
    theirs = con.execute(delinquency_sql(days)).fetchall()
    con.close()
    assert len(theirs) > 500
    late = 0
    for loan_id, _, day, dpd, outstanding in theirs:  # disbursed, not written off
        mine = engine[(loan_id, day)]
        assert (mine["dpd"], mine["outstanding_principal"]) == (dpd, outstanding), (loan_id, day)
        late += dpd > 0
    assert late > 0  # the comparison covers loans in arrears
