import pytest
import torch

from phy.channels import AWGNChannel
from semcom.models import CNNJSCC, ViTJSCC, build_model, parse_ratio

SMALL = {"cnn": {"channels": 16, "num_res": 1}, "vit": {"dim": 32, "depth": 1, "heads": 2, "stem_ch": 16}}


def small(arch, ratio="1/6"):
    return build_model(arch, ratio=ratio, **SMALL[arch]).eval()


@pytest.mark.parametrize("arch", ["cnn", "vit"])
@pytest.mark.parametrize("ratio,k", [("1/6", 512), ("1/12", 256)])
def test_symbol_count_on_cifar_size(arch, ratio, k):
    m = small(arch, ratio)
    assert m.num_symbols(32, 32) == k
    s = m.encode(torch.rand(3, 3, 32, 32), 10.0)
    assert s.shape == (3, k) and s.dtype == torch.complex64


def test_cnn_mid_resolution_blocks_keep_the_symbol_count():
    base, mid = CNNJSCC(channels=16, num_res=1), CNNJSCC(channels=16, num_res=1, num_res_mid=1)
    assert len(mid.encoder.res_mid) == len(mid.decoder.res_mid) == 1
    assert sum(p.numel() for p in mid.parameters()) > sum(p.numel() for p in base.parameters())
    x = torch.rand(2, 3, 48, 40)
    s = mid.encode(x, 10.0)
    assert s.shape == base.encode(x, 10.0).shape
    assert mid.decode(s, 10.0, (48, 40)).shape == x.shape
    assert build_model("cnn", **mid.config()).hparams == mid.hparams and mid.hparams.num_res_mid == 1


@pytest.mark.parametrize("arch", ["cnn", "vit"])
def test_power_normalised_per_image(arch):
    s = small(arch).encode(torch.rand(5, 3, 32, 32) * torch.linspace(0.1, 1, 5)[:, None, None, None], 5.0)
    torch.testing.assert_close(s.abs().square().mean(dim=1), torch.ones(5), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("arch,size", [("cnn", (48, 40)), ("cnn", (30, 45)), ("vit", (64, 96)), ("vit", (40, 50))])
def test_any_image_size_round_trip(arch, size):
    m = small(arch)
    x = torch.rand(2, 3, *size)
    s = m.encode(x, 10.0)
    hp, wp = m.padded_size(*size)
    assert s.shape[1] == m.num_symbols(*size) == hp * wp * 3 // 6
    x_hat = m.decode(s, 10.0, size)
    assert x_hat.shape == x.shape and x_hat.min() >= 0 and x_hat.max() <= 1


@pytest.mark.parametrize("arch", ["cnn", "vit"])
def test_snr_conditioning_changes_output(arch):
    m = small(arch)
    for name, p in m.named_parameters():  # FiLM output layers start at zero: perturb them
        if "film" in name:
            torch.nn.init.normal_(p, std=0.5)
    x = torch.rand(2, 3, 32, 32)
    assert not torch.allclose(m.encode(x, 0.0), m.encode(x, 20.0))
    s = m.encode(x, 10.0)
    assert not torch.allclose(m.decode(s, 0.0, (32, 32)), m.decode(s, 20.0, (32, 32)))


@pytest.mark.parametrize("arch", ["cnn", "vit"])
def test_forward_returns_named_outputs_and_gradients(arch):
    m = small(arch).train()
    x = torch.rand(2, 3, 32, 32)
    out = m(x, torch.tensor([3.0, 17.0]), AWGNChannel())
    assert set(out) == {"x_hat", "symbols", "snr_eff_db", "tx_signal"} and out["tx_signal"] is None
    torch.nn.functional.mse_loss(out["x_hat"], x).backward()
    assert all(p.grad is not None for p in m.encoder.parameters())


def test_config_rebuilds_same_model():
    for arch in ("cnn", "vit"):
        m = small(arch, "1/12")
        clone = build_model(arch, **m.config())
        clone.load_state_dict(m.state_dict())
        assert clone.config() == m.config()


@pytest.mark.parametrize("bad", [torch.rand(2, 1, 32, 32), torch.rand(3, 32, 32),
                                 torch.randint(0, 255, (1, 3, 32, 32), dtype=torch.uint8)])
def test_bad_images_rejected(bad):
    with pytest.raises(ValueError, match="images"):
        small("cnn").encode(bad, 10.0)


def test_decode_checks_symbol_count():
    m = small("cnn")
    with pytest.raises(ValueError, match="512"):
        m.decode(torch.zeros(1, 100, dtype=torch.complex64), 10.0, (32, 32))


@pytest.mark.parametrize("ratio", ["1/7", "2", "abc", 0])
def test_bad_ratio_rejected(ratio):
    with pytest.raises(ValueError, match="ratio"):
        parse_ratio(ratio)


def test_bad_architecture_arguments():
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("resnet")
    with pytest.raises(ValueError, match="bad configuration"):
        build_model("cnn", width=3)
    with pytest.raises(ValueError, match="channels"):
        CNNJSCC(channels=7)
    with pytest.raises(ValueError, match="num_res_mid"):
        CNNJSCC(num_res_mid=-1)
    with pytest.raises(ValueError, match="heads"):
        ViTJSCC(dim=30, heads=4)


def test_vit_attention_is_scaled_dot_product_attention():
    from torch.nn import functional as F

    from semcom.models.vit import Attention

    torch.manual_seed(0)
    attn = Attention(32, heads=4)
    x = torch.randn(3, 64, 32)
    q, k, v = attn.qkv(x).view(3, 64, 3, 4, 8).permute(2, 0, 3, 1, 4)
    expected = attn.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(3, 64, 32))
    torch.testing.assert_close(attn(x), expected, atol=1e-5, rtol=1e-5)


def test_narrower_cnn_starts_by_sending_a_subset_of_the_wider_ones_symbols():
    torch.manual_seed(0)
    wide = CNNJSCC(ratio="1/6", channels=8, num_res=1).eval()
    narrow = CNNJSCC(ratio="1/12", channels=8, num_res=1)
    narrow.load_narrower(wide)
    x, snr = torch.rand(2, 3, 16, 16), torch.tensor([5.0, 15.0])
    with torch.no_grad():
        zw = wide.encoder(x, snr)  # [B, 16, 4, 4]: channels 0-7 real parts, 8-15 imaginary parts
        zn = narrow.encoder(x, snr)  # [B, 8, 4, 4]
    assert torch.equal(zn[:, :4], zw[:, :4]) and torch.equal(zn[:, 4:], zw[:, 8:12])
    assert narrow.num_symbols(16, 16) * 2 == wide.num_symbols(16, 16)
    with pytest.raises(ValueError, match="cannot narrow"):
        wide.load_narrower(narrow)
