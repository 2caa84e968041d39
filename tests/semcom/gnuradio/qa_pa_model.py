"""QA of semcom.gnuradio.pa_model (GNU Radio Python; run by test_gnuradio_blocks.py)."""

import math

import numpy as np
import torch
from gnuradio import blocks, gr, gr_unittest

from phy.pa import make_pa, rapp_am_am
from semcom.gnuradio.pa_model import PA_MODELS, pa_model


def through(block, x):
    tb = gr.top_block()
    sink = blocks.vector_sink_c()
    tb.connect(blocks.vector_source_c(x.tolist()), block, sink)
    tb.run()
    return np.array(sink.data(), np.complex64)


def signal(n=30000, power=0.5625, seed=0):
    rng = np.random.default_rng(seed)
    return ((rng.normal(size=n) + 1j * rng.normal(size=n)) * math.sqrt(power / 2)).astype(np.complex64)


class qa_pa_model(gr_unittest.TestCase):
    def test_rapp_am_am_at_the_set_back_off(self):
        x = signal()
        y = through(pa_model("rapp", ibo_db=3.0, reference_power=0.5625, smoothness=2.0), x)
        scale = math.sqrt(10 ** (-3 / 10) / 0.5625)  # the reference power sits 3 dB below saturation
        expected = rapp_am_am(torch.from_numpy(np.abs(x) * scale), 2.0).numpy() / scale
        np.testing.assert_allclose(np.abs(y), expected, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(np.angle(y[np.abs(x) > 1e-3]), np.angle(x[np.abs(x) > 1e-3]), atol=1e-4)

    def test_memory_polynomial_keeps_its_memory_across_work_calls(self):
        x = signal(50000)  # GNU Radio hands it over in several calls
        y = through(pa_model("memory-polynomial", ibo_db=6.0, reference_power=0.5625), x)
        pa = make_pa("memory-polynomial", 6.0)
        scale = math.sqrt(10 ** (-6 / 10) / 0.5625)
        expected = pa.curve(torch.from_numpy(x * scale)).numpy() / scale  # one shot
        np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)

    def test_every_model_matches_phy_pa_when_the_reference_is_the_mean_power(self):
        x = signal(8000)
        power = float(np.mean(np.abs(x) ** 2))
        for model in PA_MODELS:
            y = through(pa_model(model, ibo_db=4.0, reference_power=power), x)
            expected = make_pa(model, 4.0)(torch.from_numpy(x)).numpy()  # IBO against this block's mean power
            np.testing.assert_allclose(y, expected, rtol=1e-3, atol=1e-5, err_msg=model)

    def test_ibo_setter(self):
        pa = pa_model("soft-limiter", ibo_db=10.0)
        pa.set_ibo_db(1.0)
        self.assertEqual(pa.ibo_db, 1.0)
        pa.set_ibo_db(99.0)  # out of range: logged, unchanged
        self.assertEqual(pa.ibo_db, 1.0)
        with self.assertRaises(ValueError):
            pa_model("tube")
        with self.assertRaises(ValueError):
            pa_model("rapp", reference_power=0)


if __name__ == "__main__":
    gr_unittest.run(qa_pa_model)
