"""The sweep on a Dask cluster: the same rows as the eager sweep, and the streaming best-layout reduction."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from accelspec.perf.distributed import best_layouts, sweep_dask  # noqa: E402
from accelspec.perf.sweep import sweep  # noqa: E402

MODELS = ["llama-3.1-8b", "qwen3-32b", "deepseek-v3"]
CHIPS = ["h100", "gb200-nvl72", "zhenwu-m890", "ascend-910c"]
T, B, N = [8192, 131072], [1, 8, 64], [1, 8]
KEYS = ["model", "chip", "context_tokens", "batch", "n_chips"]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _eager() -> pd.DataFrame:
    return pd.concat([sweep(MODELS, [c], T, B, N, on_missing="nan") for c in CHIPS], ignore_index=True)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a = a.astype({"model": str, "chip": str}).sort_values(KEYS).reset_index(drop=True)
    b = b.astype({"model": str, "chip": str}).sort_values(KEYS).reset_index(drop=True)
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for col in a.columns:
        x, y = a[col], b[col]
        if x.dtype.kind == "f":
            np.testing.assert_allclose(x.to_numpy(), y.to_numpy(), rtol=1e-12, equal_nan=True, err_msg=col)
        else:
            assert (x.isna() == y.isna()).all(), col
            keep = x.notna().to_numpy()
            assert (x[keep].astype(str).to_numpy() == y[keep].astype(str).to_numpy()).all(), col


def test_sweep_dask_equals_the_eager_sweep(client):
    ddf = sweep_dask(MODELS, CHIPS, T, B, N, client=client, on_missing="nan", chips_per_partition=2)
    assert ddf.npartitions == 3 * 2  # one per model and pair of chips
    assert "accelspec.perf.distributed" in sys.modules and len(ddf.columns) == len(_eager().columns)
    got = client.compute(ddf).result()
    assert len(got) == 3 * 4 * 2 * 3 * 2
    _same(got, _eager())
    assert list(got["model"].cat.categories) == MODELS and list(got["chip"].cat.categories) == [
        "h100-sxm", "gb200-nvl72", "zhenwu-m890", "ascend-910c"]


def test_default_client_and_n_chips_none(client):
    # no client given: the default one (the fixture's); n_chips None: a system at its size
    got = sweep_dask(["llama-3.1-8b"], ["h100", "gb200-nvl72"], [8192], [1, 8], None).compute()
    want = sweep(["llama-3.1-8b"], ["h100", "gb200-nvl72"], [8192], [1, 8], None)
    _same(got, want)
    assert sorted(set(got["n_chips"])) == [1, 72]


def test_best_layout_per_chip_and_model_streams_to_the_eager_answer(client):
    ddf = sweep_dask(MODELS, CHIPS, T, B, N, client=client, on_missing="nan", chips_per_partition=1)
    best = client.compute(best_layouts(ddf)).result()
    eager = best_layouts(_eager())
    _same(best, eager)
    v = "tokens_per_s_per_chip [token/s]"
    full = _eager()
    fit = full[full["fits"].fillna(False).astype(bool)]
    for _, row in best.iterrows():  # the maximum over that chip and model's fitting rows, worked from the frame
        grp = fit[(fit["model"] == row["model"]) & (fit["chip"] == row["chip"])]
        assert row[v] == grp[v].max()
    # zhenwu-m890 publishes no bandwidth: no bound, no best row
    assert "zhenwu-m890" not in set(best["chip"].astype(str))
    per_ctx = client.compute(best_layouts(ddf, by=("model", "chip", "context_tokens"))).result()
    assert len(per_ctx) == 2 * len(best)


def test_arguments_checked(client):
    from accelspec.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="output"):
        sweep_dask(MODELS, CHIPS, T, client=client, output="arrays")
    with pytest.raises(InvalidArgumentError, match="chips_per_partition"):
        sweep_dask(MODELS, CHIPS, T, client=client, chips_per_partition=0)
    with pytest.raises(KeyError):
        best_layouts(_eager(), "no such column")


def test_import_accelspec_stays_light():
    import subprocess

    # (pint imports a little of dask itself when dask is installed; never dask.dataframe or distributed)
    code = "import accelspec, sys; print('dask.dataframe' in sys.modules, 'distributed' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
