"""Tests of seranet.models: shapes, gradient flow, attention, ConvLSTM state, weights, stages, DC."""

from __future__ import annotations

import itertools
import re

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from kspace import complex_to_channels, fft2c, ifft2c
from seranet.models import (
    MODEL_NAMES,
    ConvLSTMCell,
    LSTMState,
    ModelConfig,
    ModelInput,
    RegA,
    RegB,
    SERANet,
    UNet,
    build_model,
    optimise_for_inference,
    optimise_for_training,
    parse_model_name,
    segmentation_attention,
)


def make_input(batch: int, h: int, w: int, seed: int = 0, mask_2d: bool = False) -> ModelInput:
    """A random complex image, its k-space under-sampled by a random line (or 2D) mask."""
    g = torch.Generator().manual_seed(seed)
    image = torch.complex(
        torch.randn(batch, h, w, generator=g), torch.randn(batch, h, w, generator=g)
    )
    k = fft2c(image)
    mask = (
        torch.rand(batch, h, w, generator=g) < 0.4
        if mask_2d
        else torch.rand(batch, 1, w, generator=g) < 0.4
    )
    measured = torch.where(mask, k, torch.zeros((), dtype=k.dtype))
    return ModelInput(
        complex_to_channels(ifft2c(measured)), measured, mask, complex_to_channels(image)
    )


def small_config(name: str, recon_type: str = "A", **kw: object) -> ModelConfig:
    args: dict[str, object] = {"width": 4, "depth": 3, "recon_width": 4, "recon_blocks": 2}
    args.update(kw)
    return ModelConfig(name, recon_type=recon_type, **args)  # type: ignore[arg-type]


def build(name: str, recon_type: str = "A", seed: int = 0, **kw: object) -> nn.Module:
    torch.manual_seed(seed)
    return build_model(small_config(name, recon_type, **kw))


ALL_NAMES = (*MODEL_NAMES, "seranet-4")


@pytest.mark.parametrize("recon_type", ["A", "B"])
@pytest.mark.parametrize("name", ALL_NAMES)
def test_output_shapes_every_model_stage_mode_and_size(name: str, recon_type: str) -> None:
    model = build(name, recon_type)
    spec = parse_model_name(name)
    for (h, w), batch, training in itertools.product([(24, 20), (27, 19)], [1, 3], [True, False]):
        inp = make_input(batch, h, w, mask_2d=(h == 27))
        model.train(training)
        for stage in [*model.stage_names(), None]:
            out = model(inp, stage)
            if out.logits is None:
                assert stage == "recon-pretrain"
                assert out.probabilities == []
            else:
                assert out.logits.shape == (batch, 4, h, w)
                n_probs = (
                    spec.recurrences + 1
                    if spec.family == "seranet" and stage != "seg-pretrain"
                    else 1
                )
                assert len(out.probabilities) == n_probs
                for p in out.probabilities:
                    assert p.shape == (batch, 4, h, w)
                    torch.testing.assert_close(p.sum(dim=1), torch.ones(batch, h, w))
            assert out.image is not None
            assert out.image.shape == (batch, 2, h, w)
            for r in out.recon_images:
                assert r.shape == (batch, 2, h, w)
            assert torch.isfinite(out.image).all()


def _ce(model: nn.Module, inp: ModelInput, stage: str | None) -> Tensor:
    out = model(inp, stage)
    labels = torch.randint(
        0,
        4,
        (inp.zero_filled.shape[0], *inp.zero_filled.shape[2:]),
        generator=torch.Generator().manual_seed(1),
    )
    return F.cross_entropy(out.logits, labels)


@pytest.mark.parametrize("recon_type", ["A", "B"])
@pytest.mark.parametrize(
    ("name", "stage"),
    [
        ("joint", "train"),
        ("seranet-2", "train"),
        ("seranet-1++", "finetune"),
        ("segnetmri", "finetune"),
    ],
)
def test_segmentation_loss_reaches_every_reconstruction_cascade(
    name: str, recon_type: str, stage: str
) -> None:
    model = build(name, recon_type)
    _ce(model, make_input(2, 24, 20), stage).backward()
    for i, cascade in enumerate(model.recon.cascades):
        # SegNetMRI's segmentation sees each cascade's encoder; its last decoder only feeds the MSE
        reg = cascade.reg.enc if name == "segnetmri" else cascade.reg
        grads = [p.grad for p in reg.parameters()]
        assert all(g is not None for g in grads), f"cascade {i} has parameters without gradient"
        assert sum(float(g.abs().sum()) for g in grads) > 0, f"cascade {i} gets no gradient"
    if isinstance(model, SERANet):
        for t, reg in enumerate(model.att_regs):
            assert sum(float(p.grad.abs().sum()) for p in reg.parameters()) > 0, (
                f"AttReg {t} gets no gradient"
            )


@pytest.mark.parametrize(
    ("name", "stage"),
    [("two-step", "train"), ("seranet-2++", "seg-pretrain"), ("segnetmri", "seg-pretrain")],
)
def test_frozen_reconstruction_gets_no_gradient(name: str, stage: str) -> None:
    model = build(name)
    _ce(model, make_input(1, 24, 20), stage).backward()
    assert all(p.grad is None for p in model.recon.parameters())
    assert any(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in model.seg.parameters())


def test_attention_is_class_probability_times_image() -> None:
    g = torch.Generator().manual_seed(3)
    probs = torch.softmax(torch.randn(2, 4, 5, 6, generator=g), dim=1)
    image = torch.randn(2, 2, 5, 6, generator=g)
    out = segmentation_attention(probs, image)
    assert out.shape == (2, 8, 5, 6)
    for i in range(4):
        torch.testing.assert_close(out[:, 2 * i], probs[:, i] * image[:, 0])
        torch.testing.assert_close(out[:, 2 * i + 1], probs[:, i] * image[:, 1])
    # the channel pairs add up to the image because the probabilities sum to one
    torch.testing.assert_close(out.reshape(2, 4, 2, 5, 6).sum(1), image)


def test_seranet_feeds_attention_of_previous_segmentation_to_att_reg() -> None:
    model = build("seranet-2")
    model.eval()
    seen: list[Tensor] = []
    handles = [
        reg.register_forward_pre_hook(lambda _m, args: seen.append(args[0]))
        for reg in model.att_regs
    ]
    inp = make_input(1, 24, 20)
    with torch.no_grad():
        out = model(inp)
        x0 = model.recon(inp)
    for h in handles:
        h.remove()
    assert len(seen) == 2
    torch.testing.assert_close(seen[0], segmentation_attention(out.probabilities[0], x0))
    assert seen[0].shape == (1, 8, 24, 20)


def test_convlstm_state_is_carried_across_recurrences() -> None:
    model = build("seranet-3")
    model.eval()
    calls: list[tuple[LSTMState | None, LSTMState]] = []

    def hook(
        _m: nn.Module, args: tuple[object, ...], kwargs: dict[str, object], result: LSTMState
    ) -> None:
        state = args[1] if len(args) > 1 else kwargs.get("state")
        calls.append((state, result))  # type: ignore[arg-type]

    handle = model.seg.lstm.register_forward_hook(hook, with_kwargs=True)
    with torch.no_grad():
        model(make_input(1, 24, 20))
    handle.remove()
    assert len(calls) == 4
    assert calls[0][0] is None
    for (_, previous), (state, _) in itertools.pairwise(calls):
        assert state is previous


def test_resetting_convlstm_state_changes_the_output() -> None:
    model = build("seranet-2")
    model.eval()
    inp = make_input(1, 24, 20)
    with torch.no_grad():
        carried = model(inp).logits
        original = model.seg.forward
        model.seg.forward = lambda x, state=None: original(x, None)  # type: ignore[method-assign]
        reset = model(inp).logits
        model.seg.forward = original  # type: ignore[method-assign]
        again = model(inp).logits
    torch.testing.assert_close(again, carried)
    assert (carried - reset).abs().max() > 1e-5


def test_convlstm_cell_matches_equations() -> None:
    torch.manual_seed(0)
    cell = ConvLSTMCell(3, 5)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 6, 7, generator=g)
    h0, c0 = torch.randn(2, 5, 6, 7, generator=g), torch.randn(2, 5, 6, 7, generator=g)
    state = cell(x, LSTMState(h0, c0))
    z = F.conv2d(torch.cat((x, h0), 1), cell.gates.weight, cell.gates.bias, padding=1)
    i, f, o, gg = z[:, :5], z[:, 5:10], z[:, 10:15], z[:, 15:]
    c = torch.sigmoid(f) * c0 + torch.sigmoid(i) * torch.tanh(gg)
    torch.testing.assert_close(state.c, c)
    torch.testing.assert_close(state.h, torch.sigmoid(o) * torch.tanh(c))
    zero = cell(x)
    torch.testing.assert_close(
        zero.h, cell(x, LSTMState(torch.zeros_like(h0), torch.zeros_like(c0))).h
    )


def _assert_distinct(modules: list[nn.Module]) -> None:
    for a, b in itertools.combinations(modules, 2):
        pa, pb = list(a.parameters()), list(b.parameters())
        assert len(pa) == len(pb)
        assert not {id(p) for p in pa} & {id(p) for p in pb}, "modules share parameter objects"
        weights = [(x, y) for x, y in zip(pa, pb, strict=True) if x.ndim > 1]
        assert all(not torch.equal(x, y) for x, y in weights), "modules start with equal weights"


@pytest.mark.parametrize("recon_type", ["A", "B"])
def test_cascades_and_att_regs_have_distinct_weights(recon_type: str) -> None:
    model = build("seranet-3", recon_type, recon_blocks=3)
    _assert_distinct([c.reg for c in model.recon.cascades])
    _assert_distinct(list(model.att_regs))
    assert len({id(dc) for dc in model.att_dcs}) == 3
    assert len({id(c.dc.lam) for c in model.recon.cascades}) == 3
    seg = build("segnetmri", recon_blocks=3).seg
    _assert_distinct(list(seg.decoders))


def _ids(params: list[nn.Parameter]) -> set[int]:
    return {id(p) for p in params}


@pytest.mark.parametrize("name", ALL_NAMES)
def test_stage_parameters_partitions(name: str) -> None:
    model = build(name)
    every = _ids(list(model.parameters()))
    recon = _ids(list(model.recon.parameters())) if model.recon is not None else set()
    seg = _ids(list(model.seg.parameters()))
    assert not recon & seg
    expected = {
        "recon-pretrain": recon,
        "seg-pretrain": seg,
        "finetune": every,
        "train": seg
        if parse_model_name(name).family in ("two-step", "fully-sampled", "zero-filling")
        else every,
    }
    trained: set[int] = set()
    for stage in model.stages():
        params = model.stage_parameters(stage.name)
        assert len(params) == len(_ids(params)), "a parameter is listed twice"
        assert _ids(params) == expected[stage.name], stage.name
        trained |= _ids(params)
        if stage.seg_weight == 0:
            assert stage.recon_weight > 0
    assert trained == every, "some parameters are never trained"


def test_stage_lists_follow_the_paper() -> None:
    def names(n: str) -> list[tuple[str, float, float]]:
        return [(s.name, s.seg_weight, s.recon_weight) for s in build(n).stages()]

    assert names("fully-sampled") == [("train", 1.0, 0.0)]
    assert names("two-step") == [("recon-pretrain", 0.0, 1.0), ("train", 1.0, 0.0)]
    assert names("joint") == [("train", 1.0, 0.0)]
    assert names("segnetmri") == [
        ("recon-pretrain", 0.0, 1.0),
        ("seg-pretrain", 1.0, 0.0),
        ("finetune", 1.0, 1.0),
    ]
    assert names("seranet-3") == [("train", 1.0, 0.0)]
    assert names("seranet-3++") == [
        ("recon-pretrain", 0.0, 1.0),
        ("seg-pretrain", 1.0, 0.0),
        ("finetune", 1.0, 0.0),
    ]


@pytest.mark.parametrize("recon_type", ["A", "B"])
@pytest.mark.parametrize("name", ["two-step", "joint", "seranet-2", "segnetmri"])
@pytest.mark.parametrize("mask_2d", [False, True])
def test_hard_dc_reproduces_measured_samples(name: str, recon_type: str, mask_2d: bool) -> None:
    model = build(name, recon_type, soft_dc=False)
    inp = make_input(2, 27, 19, mask_2d=mask_2d)
    with torch.no_grad():
        out = model(inp, "recon-pretrain" if name != "joint" and name != "seranet-2" else None)
    images = [*out.recon_images, out.image]
    mask = inp.mask.expand(2, 27, 19)
    for image in images:
        k = fft2c(torch.complex(image[:, 0], image[:, 1]))
        torch.testing.assert_close(k[mask], inp.measured[mask], atol=1e-5, rtol=1e-5)
        assert (k[~mask] - inp.measured[~mask]).abs().max() > 1e-3  # the rest was actually changed


def test_outputs_do_not_depend_on_the_batch_or_mode() -> None:
    model = build("seranet-2", "B")
    inp = make_input(3, 27, 19)
    one = ModelInput(*(t[1:2] for t in inp))
    with torch.no_grad():
        model.train()
        batch3 = model(inp).logits
        model.eval()
        batch1 = model(one).logits
    torch.testing.assert_close(batch3[1:2], batch1, atol=1e-5, rtol=1e-4)


def test_unet_crops_back_and_ignores_padding_region() -> None:
    torch.manual_seed(0)
    unet = UNet(2, 4, width=4, depth=4)
    x = torch.randn(1, 2, 27, 19)
    y = unet(x)
    assert y.shape == (1, 4, 27, 19)
    # padding: the input is the same as one already padded with zeros to 32 x 24
    padded = F.pad(x, (0, 5, 0, 5))
    torch.testing.assert_close(unet(padded)[..., :27, :19], y)


@pytest.mark.parametrize("cls", [RegA, RegB])
def test_reg_blocks_are_residual(cls: type[nn.Module]) -> None:
    torch.manual_seed(0)
    for in_ch in (2, 8):
        reg = cls(in_ch, 4)
        last = reg.body[-1] if isinstance(reg, RegA) else reg.head
        with torch.no_grad():
            last.weight.zero_()
            last.bias.zero_()
        x = torch.randn(2, in_ch, 13, 10)
        torch.testing.assert_close(reg(x), x.reshape(2, in_ch // 2, 2, 13, 10).sum(1))
    assert sum(isinstance(m, nn.Conv2d) for m in RegA(2, 4).modules()) == 5


def test_parse_model_name() -> None:
    assert parse_model_name("seranet-3++") == ("seranet", 3, True)
    assert parse_model_name("seranet-12") == ("seranet", 12, False)
    assert parse_model_name("joint") == ("joint", 0, False)
    for bad in ("seranet-0", "seranet", "seranet-2+", "unet", "SERANet-1", "seranet-01"):
        with pytest.raises(ValueError, match=rf"unknown model '{re.escape(bad)}'.*expected one of"):
            parse_model_name(bad)


def test_bad_stage_and_config() -> None:
    model = build("joint")
    with pytest.raises(ValueError, match="no stage 'recon-pretrain'"):
        model(make_input(1, 8, 8), "recon-pretrain")
    with pytest.raises(ValueError, match="recon_type"):
        ModelConfig("joint", recon_type="C")
    with pytest.raises(ValueError, match="width"):
        ModelConfig("joint", width=0)
    with pytest.raises(ValueError, match="unknown model"):
        build_model(ModelConfig("unet"))


@pytest.mark.parametrize("name", ["seranet-2", "segnetmri"])
def test_optimised_models_give_the_same_results(name: str) -> None:
    plain = build(name, "B", seed=5)
    fast = build(name, "B", seed=5)
    inp = make_input(2, 27, 19)
    plain.eval()
    optimise_for_inference(fast)
    assert not fast.training
    assert next(p for p in fast.parameters() if p.ndim == 4).is_contiguous(
        memory_format=torch.channels_last
    )
    with torch.inference_mode():
        torch.testing.assert_close(fast(inp).logits, plain(inp).logits, atol=1e-5, rtol=1e-4)
    plain.train()
    optimise_for_training(fast).train()
    _ce(plain, inp, None).backward()
    _ce(fast, inp, None).backward()
    for (n, a), b in zip(plain.named_parameters(), fast.parameters(), strict=True):
        torch.testing.assert_close(b.grad, a.grad, atol=1e-5, rtol=1e-3, msg=n)
