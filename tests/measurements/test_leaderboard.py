"""Your own measurements against the bound and the estimate, and the efficiency leaderboard."""

import matplotlib

matplotlib.use("Agg")

from accelspec.measurements import calibration as cal
from accelspec.measurements.validation import load_measurements
from accelspec.specfiles import specs_dir


def test_row_estimates_of_one_file():
    rows = load_measurements(specs_dir() / "measurements" / "oracle.yaml")
    est = cal.row_estimates(rows)
    assert len(est) == len(rows)
    for r in est:
        assert 0 < r.efficiency <= 1 + 1e-9
        assert r.low_speed <= r.estimate_speed <= r.high_speed <= r.bound_speed * (1 + 1e-9)
        assert abs(r.vs_estimate - r.measured_speed / r.estimate_speed) < 1e-12
        assert r.in_calibration  # shipped rows are in the fit
        assert "of the bound" in r.verdict()


def test_leaderboard_is_sorted_and_counts_every_row():
    est = cal.row_estimates(load_measurements(specs_dir() / "measurements" / "amd.yaml"))
    board = cal.leaderboard(est)
    assert sum(d["rows"] for d in board) == len(est)
    meds = [d["median_efficiency"] for d in board]
    assert meds == sorted(meds, reverse=True)
    assert "median eff" in cal.leaderboard_text(board)


def test_leaderboard_plot(tmp_path):
    est = cal.row_estimates(load_measurements(specs_dir() / "measurements" / "amd.yaml"))
    ax = cal.plot_leaderboard(cal.leaderboard(est), min_rows=1)
    assert ax.get_xscale() == "log" and "bound" in ax.get_xlabel()
    ax.figure.savefig(tmp_path / "board.png")
    assert (tmp_path / "board.png").stat().st_size > 5000
