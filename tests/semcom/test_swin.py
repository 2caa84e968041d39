import itertools

import pytest
import torch

from phy.channels import AWGNChannel
from semcom.checkpoint import save_checkpoint
from semcom.cli import main
from semcom.models import SwinJSCC, build_model
from semcom.models.swin import GPU_PRESET, SwinBlock, WindowAttention, attention_mask, window_geometry
from semcom.zoo import load_model

TINY = {"dims": [8, 8, 16, 16], "depths": [2, 1, 1, 2], "heads": [2, 2, 2, 2], "window": 4, "mlp_ratio": 1}


def tiny(ratio="1/6", **kw):
    torch.manual_seed(0)
    return build_model("swin", ratio=ratio, **{**TINY, **kw}).eval()


@pytest.mark.parametrize("ratio,reals_per_patch", [("1/6", 256), ("1/12", 128)])
@pytest.mark.parametrize("size", [(32, 32), (48, 80), (321, 481), (128, 128)])
def test_shapes_and_symbol_count(ratio, reals_per_patch, size):
    m = tiny(ratio)
    patches = -(-size[0] // 16) * -(-size[1] // 16)
    assert m.padded_size(*size) == (16 * -(-size[0] // 16), 16 * -(-size[1] // 16))
    assert m.num_symbols(*size) == patches * reals_per_patch // 2 == patches * 768 * m.ratio
    x = torch.rand(2, 3, *size)
    with torch.no_grad():
        s = m.encode(x, torch.tensor([0.0, 20.0]))
        x_hat = m.decode(s, 10.0, size)
    assert s.shape == (2, m.num_symbols(*size)) and s.dtype == torch.complex64
    assert x_hat.shape == x.shape and 0 <= x_hat.min() and x_hat.max() <= 1


def test_power_normalised_per_image():
    x = torch.rand(4, 3, 48, 80) * torch.linspace(0.1, 1, 4)[:, None, None, None]
    s = tiny().encode(x, 5.0)
    torch.testing.assert_close(s.abs().square().mean(dim=1), torch.ones(4), rtol=1e-4, atol=1e-4)


def test_decoded_image_is_the_crop_of_the_padded_decode():
    m = tiny()
    s = m.encode(torch.rand(1, 3, 40, 50), 10.0)
    with torch.no_grad():
        full = m.decode(s, 10.0, m.padded_size(40, 50))
        torch.testing.assert_close(m.decode(s, 10.0, (40, 50)), full[:, :, :40, :50])


def test_context_spans_the_image_without_tiles():
    """One pixel in a corner changes the symbols of every 16x16 patch of a 128x128 image."""
    m = tiny(window=8)
    x = torch.rand(1, 3, 128, 128)
    y = x.clone()
    y[0, :, 0, 0] = 1 - y[0, :, 0, 0]
    with torch.no_grad():
        a, b = m.encode_latent(x, torch.tensor([10.0])), m.encode_latent(y, torch.tensor([10.0]))
    changed = (a - b).abs().view(m.reals_per_patch, 8, 8).amax(0)  # per latent patch
    assert (changed > 0).all()


def brute_force_allowed(grid, size, shift):
    """Pairs of grid tokens (i, j) that share a window after Swin's cyclic shift of the padded grid
    and are neighbours in the image (not brought together by the wrap-around); plus i == j."""
    padded = tuple(-(-g // s) * s for g, s in zip(grid, size))
    tokens = list(itertools.product(range(grid[0]), range(grid[1])))
    allowed = set()
    for (r1, c1), (r2, c2) in itertools.product(tokens, tokens):
        window = [((r - shift[0]) % padded[0] // size[0], (c - shift[1]) % padded[1] // size[1])
                  for r, c in ((r1, c1), (r2, c2))]
        if window[0] == window[1] and abs(r1 - r2) < size[0] and abs(c1 - c2) < size[1]:
            allowed.add(((r1, c1), (r2, c2)))
    return allowed


GRIDS = [((12, 12), 4), ((11, 13), 4), ((9, 17), 8), ((3, 5), 8), ((6, 16), 4)]


@pytest.mark.parametrize("shifted", [False, True])
@pytest.mark.parametrize("grid,window", GRIDS)
def test_block_attends_exactly_within_shifted_windows(grid, window, shifted):
    """Perturb one token at a time: the block's attention output changes exactly at the tokens that
    may attend to it (never across the wrapped border, never through padding)."""
    torch.manual_seed(0)
    block = SwinBlock(8, heads=2, window=window, mlp_ratio=1, shifted=shifted).double()
    size, shift = window_geometry(grid, window, shifted)
    expected = brute_force_allowed(grid, size, shift)
    tokens = list(itertools.product(range(grid[0]), range(grid[1])))
    x = torch.randn(1, *grid, 8, dtype=torch.float64)
    y = x.repeat(len(tokens), 1, 1, 1)  # [T, H, W, 8]: copy t has token t perturbed
    for t, (r, c) in enumerate(tokens):
        y[t, r, c] += 1.0
    with torch.no_grad():
        changed = (block.attend(y) - block.attend(x)).abs().amax(-1) > 1e-9  # [T, H, W]
    for t, key in enumerate(tokens):
        got = {q for q in tokens if changed[t, q[0], q[1]]}
        assert got == {q for q, k in expected if k == key}, key


@pytest.mark.parametrize("grid,window", GRIDS)
def test_mask_matches_brute_force(grid, window):
    size, shift = window_geometry(grid, window, True)
    padded = tuple(-(-g // s) * s for g, s in zip(grid, size))
    mask = attention_mask(grid, size, shift)  # [nW, N, N]
    # the grid position of each (window, slot): undo the cyclic shift
    rows = (torch.arange(padded[0]) + shift[0]) % padded[0]
    cols = (torch.arange(padded[1]) + shift[1]) % padded[1]
    where = {}
    for wr, wc, sr, sc in itertools.product(range(padded[0] // size[0]), range(padded[1] // size[1]),
                                            range(size[0]), range(size[1])):
        where[(wr * (padded[1] // size[1]) + wc, sr * size[1] + sc)] = (int(rows[wr * size[0] + sr]),
                                                                      int(cols[wc * size[1] + sc]))
    expected = brute_force_allowed(grid, size, shift)
    for (w, i), (w2, j) in itertools.product(where, where):
        if w != w2:
            continue
        q, k = where[(w, i)], where[(w, j)]
        valid = k[0] < grid[0] and k[1] < grid[1]
        if q[0] >= grid[0] or q[1] >= grid[1]:
            continue  # a padded query: its output is cropped away
        assert (mask[w, i, j] == 0) == (i == j or valid and (q, k) in expected), (q, k)


def test_window_attention_is_the_biased_masked_softmax():
    torch.manual_seed(0)
    attn = WindowAttention(16, heads=2, window=4)
    size, shift = window_geometry((8, 12), 4, True)
    mask = attention_mask((8, 12), size, shift)  # [6, 16, 16]
    x = torch.randn(2, 6, 16, 16)
    q, k, v = attn.qkv(x).view(2, 6, 16, 3, 2, 8).permute(3, 0, 1, 4, 2, 5)
    logits = q @ k.transpose(-2, -1) / 8 ** 0.5 + attn.position_bias(size)[None, None] + mask[None, :, None]
    expected = attn.proj((logits.softmax(-1) @ v).transpose(2, 3).reshape(2, 6, 16, 16))
    torch.testing.assert_close(attn(x, mask, size), expected, atol=1e-5, rtol=1e-5)


def test_window_shrinks_to_a_small_grid_and_does_not_shift_there():
    assert window_geometry((3, 20), 8, True) == ((3, 8), (0, 4))
    assert window_geometry((8, 8), 8, True) == ((8, 8), (0, 0))
    assert window_geometry((16, 16), 8, False) == ((8, 8), (0, 0))


def test_gradients_reach_every_parameter():
    m = tiny().train()
    x = torch.rand(2, 3, 32, 48)
    out = m(x, torch.tensor([3.0, 17.0]), AWGNChannel())
    torch.nn.functional.mse_loss(out["x_hat"], x).backward()
    missing = [name for name, p in m.named_parameters() if p.grad is None]
    assert not missing
    assert m.encoder.stages[0].blocks[0].attn.bias_table.grad.abs().sum() > 0


def test_snr_conditioning_changes_output():
    m = tiny()
    for name, p in m.named_parameters():  # FiLM output layers start at zero: perturb them
        if "film" in name:
            torch.nn.init.normal_(p, std=0.5)
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert not torch.allclose(m.encode(x, 0.0), m.encode(x, 20.0))


@pytest.mark.parametrize("options,match", [
    ({"dims": [64, 96, 128]}, "dims must be 4 integers"),
    ({"depths": [2, 2, 0, 2]}, "depths must be 4 integers"),
    ({"heads": [3, 3, 3, 3]}, "multiple of its heads"),
    ({"window": 0}, "window"),
    ({"mlp_ratio": 1.5}, "mlp_ratio"),
    ({"width": 3}, "unknown option"),
    ({"ratio": "1/7"}, "ratio"),
])
def test_bad_configuration_is_one_value_error(options, match):
    with pytest.raises(ValueError, match=match):
        build_model("swin", **options)


def test_gpu_preset_and_config_round_trip():
    m = SwinJSCC(**GPU_PRESET, ratio="1/12")
    assert m.config()["dims"] == [128, 192, 256, 320] and m.reals_per_patch == 128
    clone = build_model("swin", **m.config())
    assert clone.hparams == m.hparams


def test_checkpoint_round_trip(tmp_path):
    m = tiny("1/12")
    save_checkpoint(tmp_path / "m.pt", m)
    loaded = load_model(str(tmp_path / "m.pt"))
    assert loaded.arch == "swin" and loaded.config() == m.config()
    x = torch.rand(1, 3, 40, 40)
    with torch.no_grad():
        torch.testing.assert_close(loaded.encode(x, 7.0), m.encode(x, 7.0))


def test_cli_trains_one_step_on_an_image_folder(image_folder, tmp_path):
    out = tmp_path / "run"
    args = ["train", "--arch", "swin", "--data", str(image_folder), "--out", str(out), "--crop", "32",
            "--batch-size", "2", "--max-steps", "1", "--epochs", "1", "--val-limit", "1", "--quiet",
            "--precision", "bf16", "--ratio", "1/12"]
    for key, value in TINY.items():
        args += ["--model-arg", f"{key}={value}".replace(" ", "")]
    assert main(args) == 0
    model = load_model(str(out / "checkpoint.pt"))
    assert model.arch == "swin" and model.config()["dims"] == TINY["dims"] and str(model.ratio) == "1/12"
