"""QA of semcom.gnuradio.clip_filter (GNU Radio Python; run by test_gnuradio_blocks.py)."""

import numpy as np
import pmt
import torch
from gnuradio import blocks, channels, gr, gr_unittest

from phy.papr import clip_and_filter
from semcom.gnuradio.clip_filter import clip_filter
from semcom.gnuradio.common import noise_voltage
from semcom.gnuradio.semantic_sink import semantic_sink
from semcom.gnuradio.semantic_source import FRAME_TAG, semantic_source


def papr_db(sym):
    p = np.abs(sym) ** 2
    return 10 * np.log10(p.max(-1) / p.mean(-1))


class qa_clip_filter(gr_unittest.TestCase):
    def test_clips_each_ofdm_symbol_as_phy_does_and_leaves_the_preamble(self):
        tb = gr.top_block()
        src = semantic_source(model="cnn", repeat=False, level="unit-re")
        clip = clip_filter(clip_ratio_db=3.0)
        before, after = blocks.vector_sink_c(), blocks.vector_sink_c()
        tb.connect(src, before)
        tb.connect(src, clip, after)
        tb.run()
        x, y = np.array(before.data()), np.array(after.data())[clip.delay:]
        starts = [t.offset for t in before.tags() if pmt.symbol_to_string(t.key) == FRAME_TAG]
        cfg, length = clip.ofdm, clip.ofdm.symbol_length
        for s in starts:
            np.testing.assert_array_equal(y[s:s + clip.preamble_length], x[s:s + clip.preamble_length])
        first = starts[0] + clip.preamble_length
        count = (starts[1] - first) // length
        sym_in = x[first:first + count * length].reshape(count, length)
        sym_out = y[first:first + count * length].reshape(count, length)
        grid = torch.fft.fftshift(torch.fft.fft(torch.from_numpy(sym_in[:, cfg.cp_length:]), norm="ortho"), dim=-1)
        want = clip_and_filter(grid, cfg.fft_size, torch.as_tensor(cfg.used_subcarriers), 3.0)
        want = torch.fft.ifft(torch.fft.ifftshift(want, dim=-1), norm="ortho").numpy()
        np.testing.assert_allclose(sym_out[:, cfg.cp_length:], want, atol=1e-5)
        np.testing.assert_allclose(sym_out[:, :cfg.cp_length], want[:, -cfg.cp_length:], atol=1e-5)  # new CP
        on = np.abs(sym_in).sum(-1) > 0
        self.assertLess(papr_db(sym_out[on]).mean(), papr_db(sym_in[on]).mean() - 1.0)

    def test_clipped_frames_still_decode(self):
        tb = gr.top_block()
        src = semantic_source(model="cnn", repeat=False, level="unit-re")
        channel = channels.channel_model(noise_voltage=noise_voltage(20.0), taps=[1.0], noise_seed=3)
        sink = semantic_sink(model="cnn")
        clip = clip_filter(clip_ratio_db=4.0)  # held: a Python block must outlive its flowgraph's run
        tb.connect(src, clip, channel, sink)
        tb.run()
        self.assertEqual(len(sink.results), 8)
        self.assertGreater(min(r["psnr_db"] for r in sink.results), 20)

    def test_setter_and_bad_parameters(self):
        clip = clip_filter()
        clip.set_clip_ratio_db(6.0)
        self.assertEqual(clip.clip_ratio_db, 6.0)
        with self.assertRaises(ValueError):
            clip.set_clip_ratio_db(0.0)
        with self.assertRaises(ValueError):
            clip_filter(iterations=0)


if __name__ == "__main__":
    gr_unittest.run(qa_clip_filter)
