"""Training memory, time bound, published runs and claims. Oracles are worked by hand."""

from __future__ import annotations

import pytest

import accelspec as a
from accelspec.cli import main
from accelspec.perf import training as tr

P70 = 70_553_706_496  # llama-3.1-70b params_total (tests/test_models.py checks it)


def test_recipe_bytes_per_param():
    assert tr.RECIPES["bf16-adam"].total == 16  # ZeRO paper: 2 + 2 + 12
    assert tr.RECIPES["fp8-deepseek-v3"].total == 14  # 2 bf16 + 4 fp32 grads + 4 master + 2 + 2
    assert tr.RECIPES["adam-8bit"].total == pytest.approx(10 + 8 / 2048)


def test_70b_on_64_h100_zero1_and_zero3():
    z1 = a.training_fits("llama-3.1-70b", "h100", 64, zero_stage=1, parallelism="tp=8,dp=8")
    m = z1.memory
    assert m.weights.m_as("B") == pytest.approx(2 * P70 / 8)
    assert m.gradients.m_as("B") == pytest.approx(2 * P70 / 8)
    assert m.master_weights.m_as("B") == pytest.approx(4 * P70 / 64)
    assert m.optimizer_moments.m_as("B") == pytest.approx(8 * P70 / 64)
    # Korthikanti: 80 layers x 8192*8192*34/8 + output layer 4*8192*(8192+128256)/8
    assert m.activations.m_as("B") == pytest.approx(80 * 8192 * 8192 * 34 / 8 + 4 * 8192 * (8192 + 128256) / 8)
    assert m.total.m_as("GB") == pytest.approx(74.03, abs=0.01)
    assert z1.fits and "ZeRO-1" in z1.assumptions
    z3 = a.training_fits("llama-3.1-70b", "h100", 64, zero_stage="fsdp", parallelism="tp=8,dp=8")
    assert z3.memory.weights.m_as("B") == pytest.approx(2 * P70 / 64)
    assert z3.memory.gradients.m_as("B") == pytest.approx(2 * P70 / 64)
    assert z3.required.m_as("GB") == pytest.approx(43.16, abs=0.01)


def test_zero2_shards_gradients_only():
    z2 = a.training_memory("llama-3.1-70b", n_chips=64, zero_stage=2, parallelism="tp=8,dp=8")
    assert z2.weights.m_as("B") == pytest.approx(2 * P70 / 8)
    assert z2.gradients.m_as("B") == pytest.approx(2 * P70 / 64)
    z0 = a.training_memory("llama-3.1-70b", n_chips=64, zero_stage=0, parallelism="tp=8,dp=8")
    assert z0.master_weights.m_as("B") == pytest.approx(4 * P70 / 8)


def test_full_recompute_keeps_layer_inputs():
    m = a.training_memory("llama-3.1-70b", n_chips=64, parallelism="tp=8,dp=8", recompute="full")
    keep = 2 * 8192 * 8192 / 8 * 80
    one_layer = 8192 * 8192 * 34 / 8
    out = 4 * 8192 * (8192 + 128256) / 8
    assert m.activations.m_as("B") == pytest.approx(keep + one_layer + out)


def test_score_matrix_term_without_flash_attention():
    m = a.training_memory("llama-2-7b", seq_len=4096, flash_attention=False)
    per_layer = 4096 * 4096 * (34 + 5 * 32 * 4096 / 4096)
    assert m.activations.m_as("B") == pytest.approx(32 * per_layer + 4 * 4096 * (4096 + 32000))


def test_flops_per_token_llama2_7b():
    n = 6_738_415_616 - 32000 * 4096  # total minus the input embedding
    attn = 32 * 2 * 4096 * 32 * 256 * 0.5  # causal
    assert tr.training_flops_per_token("llama-2-7b", 4096) == pytest.approx(3 * (2 * n + attn))
    assert tr.training_flops_per_token("llama-2-7b", 4096, recompute="full") == pytest.approx(4 * (2 * n + attn))


def test_time_bound_bubble_and_energy():
    t = a.training_time("llama-2-7b", 2e12, chip="a100-sxm", n_chips=1024, seq_len=4096)
    secs = 2e12 * tr.training_flops_per_token("llama-2-7b", 4096) / (1024 * 312e12)
    assert t.time.m_as("s") == pytest.approx(secs)
    assert t.energy.m_as("MWh") == pytest.approx(400 * 1024 * secs / 3600 / 1e6)
    tp = a.training_time("llama-2-7b", 2e12, chip="a100-sxm", n_chips=1024, seq_len=4096, pp=4, micro_batches=12)
    assert tp.bubble == pytest.approx(3 / 15)
    assert tp.time.m_as("s") == pytest.approx(secs * 15 / 12)
    half = a.training_time("llama-2-7b", 2e12, chip="a100-sxm", n_chips=1024, seq_len=4096, mfu=0.5)
    assert half.time.m_as("s") == pytest.approx(2 * secs)


def test_grad_allreduce_roof():
    t = a.training_time("llama-2-7b", 1e9, chip="a100-sxm", n_chips=8, seq_len=4096, parallelism="dp=8",
                        global_batch_tokens=1e6, grad_bandwidth="1 GB/s")
    per_step = 2 * 7 / 8 * 6_738_415_616 * 2 / 1e9
    assert t.time.m_as("s") == pytest.approx(per_step * 1000)
    with pytest.raises(ValueError, match="grad_bandwidth"):
        a.training_time("llama-2-7b", 1e9, chip="a100-sxm", grad_bandwidth="1 GB/s")


def test_published_runs_never_beat_the_bound():
    runs = a.training_runs()
    ids = {r.id for r in runs}
    assert {"llama-3.1-405b", "llama-3.1-70b", "llama-3.1-8b", "deepseek-v3-pretraining",
            "llama-2-70b", "llama-2-7b"} <= ids
    for r in runs:
        for key in ("title", "url", "date", "quote"):
            assert r.source[key]
        u = r.implied_utilisation()
        assert 0 < u < 1, r.id


def test_llama_405b_flops_match_the_paper():
    # Llama 3 paper: "pre-trained using 3.8 x 10^25 FLOPs" for 405B on 15.6T tokens
    run = next(r for r in a.training_runs() if r.id == "llama-3.1-405b")
    assert run.bound().total_flops == pytest.approx(3.8e25, rel=0.05)
    # 30.84M H100 hours at 989.5 TFLOPS: the paper reports 38-43% MFU
    assert 0.30 < run.implied_utilisation() < 0.45


def test_deepseek_v3_flops_per_token():
    # DeepSeek "Insights" paper (arXiv:2505.09343) Table 2, sequence length 4096:
    # "DeepSeek-V3 MoE 671B: 250 GFLOPS/Token", "LLaMA-405B Dense: 2448 GFLOPS/Token"
    assert tr.training_flops_per_token("deepseek-v3", 4096) / 1e9 == pytest.approx(250, rel=0.02)
    assert tr.training_flops_per_token("llama-3.1-405b", 4096) / 1e9 == pytest.approx(2448, rel=0.02)


def test_tianchi_claim_memory():
    text = a.check_training_claim()
    assert "单个天池512超节点就能完成万亿参数模型训练" in text
    per = 1e12 * 16 / 512 + 2 * 2**30
    assert f"{per / 1e9:7.2f} GB/chip" in text
    assert "capacity not published" in text and "unpublished" in text


def test_1945p_training_time():
    t = tr.cluster_training_time()
    flops = 15.6e12 * tr.training_flops_per_token("llama-3.1-405b", 8192)
    assert t.time.m_as("s") == pytest.approx(flops / 1945e15)
    assert t.peak_per_chip.m_as("TFLOPS") == pytest.approx(1945e3 / 16384)


def test_min_training_chips():
    n, fit, text = a.min_training_chips("llama-3.1-70b", "h100")
    assert n == 16 and fit is not None and fit.fits
    n, fit, text = a.min_training_chips("llama-3.1-405b", "h20", max_chips=4)
    assert n is None and "more than 96 GB" in text


@pytest.mark.parametrize("kw, name", [({"recipe": "fp16-sgd"}, "fp16-sgd"), ({"zero_stage": 4}, "4"),
                                      ({"recompute": "partial"}, "partial")])
def test_unknown_recipe_stage_recompute(kw, name):
    with pytest.raises(a.UnknownRecipeError, match=name) as exc:
        a.training_fits("llama-2-7b", "h100", **kw)
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, a.AccelspecError)


def test_bad_layout_and_counts():
    with pytest.raises(ValueError, match="parallelism"):
        a.training_memory("llama-2-7b", n_chips=8, parallelism="tp=4")
    with pytest.raises(ValueError, match="micro_batch"):
        a.training_memory("llama-2-7b", micro_batch=0)
    with pytest.raises(ValueError, match="micro_batches"):
        a.training_time("llama-2-7b", 1e9, chip="h100", pp=2)


def test_run_file_without_quote_refused(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("runs:\n  - {id: r, model: llama-2-7b, chip: h100, tokens: 1e9, chip_hours: 1, seq_len: 4096,"
                 " precision: bf16, source: {title: t, url: u, date: '2024'}}\n", encoding="utf-8")
    with pytest.raises(a.SpecFileError, match=r"source\.quote"):
        tr.load_training_runs(f)


def test_cli_train(capsys):
    assert main(["train", "llama-3.1-70b", "--chip", "h100", "--n-chips", "64", "--parallelism", "tp=8,dp=8",
                 "--zero", "3", "--tokens", "15T", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["fits"] and data["required_GB"] == pytest.approx(43.16, abs=0.01)
    assert main(["train", "--runs"]) == 0
    assert "implied utilisation" in capsys.readouterr().out
    assert main(["train", "--claim"]) == 0
    assert "1945P" in capsys.readouterr().out
    assert main(["train", "llama-2-7b", "--chip", "h100", "--recipe", "sgd"]) == 2
    assert "unknown recipe 'sgd'" in capsys.readouterr().err


# --- systems and deployments ---------------------------------------------------------------
def test_training_fits_on_a_system_uses_its_chip_and_all_its_chips():
    # GB200 NVL72: 72 GB200 (186 GB each). ZeRO-3, all data parallel over 72: weights
    # 2 B x P70 / 72 = 1.960 GB, master 4 B x P70 / 72, moments 8 B x P70 / 72 per chip.
    f = a.training_fits("llama-3.1-70b", "gb200-nvl72", zero_stage=3)
    assert (f.chip, f.n_chips, f.system) == ("gb200", 72, "gb200-nvl72")
    assert f.memory.weights.m_as("B") == pytest.approx(2 * P70 / 72)
    assert f.memory.optimizer_moments.m_as("B") == pytest.approx(8 * P70 / 72)
    assert f.available.m_as("GB") == pytest.approx(186)
    assert "on 72 x GB200 (per GPU) in gb200-nvl72" in f.explanation
    assert f.explanation.endswith("[system GB200 NVL72: 72 chips, scale-up domain 72]")
    # "GB200 NVL72" is also the gb200 chip's alias: the system wins, never one GPU
    assert a.training_fits("llama-3.1-70b", "GB200 NVL72", zero_stage=3).n_chips == 72
    same = a.training_fits("llama-3.1-70b", "gb200", 72, zero_stage=3)
    assert same.required == f.required and same.system == ""
    # a fixed layout sets the count when none is given, as fits does
    assert a.training_fits("llama-3.1-70b", "gb200", parallelism="tp=8,pp=2", zero_stage=3).n_chips == 16


def test_training_fits_deployment_equals_keywords_and_refuses_what_it_fixes():
    d = a.Deployment("gb200-nvl72", parallelism="tp=8,pp=9")
    fd = a.training_fits("llama-3.1-70b", d, zero_stage=3)
    kw = a.training_fits("llama-3.1-70b", "gb200-nvl72", parallelism="tp=8,pp=9", zero_stage=3)
    assert fd.required == kw.required and fd.system == "gb200-nvl72" and fd.n_chips == 72
    assert str(fd.memory.parallelism) == "tp=8,pp=9"
    with pytest.raises(a.DeploymentError, match="n_chips"):
        a.training_fits("llama-3.1-70b", d, 8)
    with pytest.raises(a.DeploymentError, match="parallelism"):
        a.training_fits("llama-3.1-70b", d, parallelism="dp")
    with pytest.raises(a.DeploymentError, match=r"dtypes 'w8a8'.*recipe"):
        a.training_fits("llama-3.1-70b", a.Deployment("h100", n_chips=8, dtypes="w8a8"))
    with pytest.raises(a.DeploymentError, match="chip count"):
        a.min_training_chips("llama-3.1-70b", d)


def test_training_time_on_a_system():
    # 72 x 2500 TFLOPS dense bf16 (GB200): time = total FLOPs / (72 x 2.5e15 FLOP/s)
    t = a.training_time("llama-3.1-70b", 15e12, chip="gb200-nvl72")
    assert (t.n_chips, t.system) == (72, "gb200-nvl72")
    assert t.peak_per_chip.m_as("TFLOPS") == pytest.approx(2500)
    assert t.time.m_as("s") == pytest.approx(t.total_flops / (72 * 2.5e15))
    assert "72 x GB200 (per GPU) in gb200-nvl72 at 2500 TFLOPS" in t.assumptions
    same = a.training_time("llama-3.1-70b", 15e12, chip="gb200", n_chips=72)
    assert same.time == t.time and same.system == ""
    d = a.training_time("llama-3.1-70b", 15e12, chip=a.Deployment("gb200-nvl72"))
    assert d.time == t.time and d.system == "gb200-nvl72"
    with pytest.raises(a.DeploymentError, match="n_chips"):
        a.training_time("llama-3.1-70b", 15e12, chip=a.Deployment("gb200-nvl72"), n_chips=8)
    assert a.training_time("llama-3.1-70b", 15e12, chip="h100").n_chips == 1  # a chip: 1 by default


def test_min_training_chips_on_a_system_tries_its_own_count():
    # Llama 3.1 405B (P405 = 405.85e9), ZeRO-3, full recompute, 105 GB per chip assumed:
    # 64 chips hold 16 B x 405.85e9 / 64 = 101.5 GB of model states + activations + 2 GiB > 105 GB;
    # the NVL72's 72 chips hold 16 x 405.85e9 / 72 = 90.2 GB + the rest < 105 GB. 72 is no power of
    # two: the system's own count is tried.
    n, fit, text = a.min_training_chips("llama-3.1-405b", "gb200-nvl72", capacity="105 GB")
    assert n == 72 and fit.system == "gb200-nvl72" and "(system gb200-nvl72)" in text
    n, fit, text = a.min_training_chips("llama-3.1-405b", "gb200", capacity="105 GB", max_chips=72)
    assert n is None  # powers of two only for a bare chip: 64 does not fit
    assert a.min_training_chips("llama-3.1-70b", "gb200-nvl72")[0] == 8  # 16 B x P70 / 8 = 141 GB < 186 GB


def test_cli_train_takes_a_system(capsys):
    import json

    assert main(["train", "llama-3.1-70b", "--system", "gb200-nvl72", "--zero", "3", "--parallelism", "tp=8,pp=9",
                 "--tokens", "15T", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["chip"], d["system"], d["n_chips"], d["fits"]) == ("gb200", "gb200-nvl72", 72, True)
    assert d["breakdown_GB"]["weights"] == pytest.approx(2 * P70 / 72 / 1e9)
