"""QA of semcom.gnuradio.semantic_sink (GNU Radio Python; run by test_gnuradio_blocks.py)."""

import json
import tempfile
from pathlib import Path

import numpy as np
import pmt
from gnuradio import blocks, channels, gr, gr_unittest

from semcom.gnuradio.common import image_list, noise_voltage
from semcom.gnuradio.semantic_sink import IMAGE_PORT, METRICS_PORT, semantic_sink
from semcom.gnuradio.semantic_source import semantic_source


def messages(store):
    return [store.get_message(i) for i in range(store.num_messages())]


class qa_semantic_sink(gr_unittest.TestCase):
    def test_decodes_every_frame_through_a_channel_model(self):
        out = Path(tempfile.mkdtemp())
        tb = gr.top_block()
        src = semantic_source(model="cnn", repeat=False, level="unit-re")
        channel = channels.channel_model(noise_voltage=noise_voltage(20.0), frequency_offset=1500 / 1.92e6,
                                         epsilon=1.0, taps=[1.0], noise_seed=2, block_tags=False)
        sink = semantic_sink(model="cnn", output_dir=str(out / "png"), report=str(out / "report.json"))
        images, metrics = blocks.message_debug(), blocks.message_debug()
        tb.connect(src, channel, sink)
        tb.msg_connect((sink, IMAGE_PORT), (images, "store"))
        tb.msg_connect((sink, METRICS_PORT), (metrics, "store"))
        tb.run()
        names = [im.name for im in image_list("")]
        rows = [pmt.to_python(m) for m in messages(metrics)]
        self.assertEqual([r["seq"] for r in rows], list(range(len(names))))  # each once, in order
        self.assertEqual([r["image"] for r in rows], names)
        for r in rows:
            self.assertLess(abs(r["cfo_hz"] - 1500), 200)
            self.assertLess(abs(r["snr_est_db"] - 20), 2.5)
            self.assertGreater(r["psnr_db"], 25)
        pdus = messages(images)
        meta = pmt.to_python(pmt.car(pdus[0]))
        self.assertEqual((meta["height"], meta["width"]), (32, 32))
        self.assertEqual(len(pmt.u8vector_elements(pmt.cdr(pdus[0]))), 32 * 32 * 3)
        report = json.loads((out / "report.json").read_text())
        self.assertEqual(report["frames"], rows)
        self.assertEqual(len(list((out / "png").glob("*.png"))), len(names))

    def test_garbage_is_dropped_without_raising(self):
        rng = np.random.default_rng(0)
        junk = np.concatenate([rng.normal(size=40000) + 1j * rng.normal(size=40000), np.full(5000, np.nan),
                               np.full(5000, 1e30)]).astype(np.complex64)
        tb = gr.top_block()
        sink = semantic_sink(model="cnn", reference="none")
        tb.connect(blocks.vector_source_c(junk.tolist()), sink)
        tb.run()
        self.assertEqual(list(sink.results), [])

    def test_bad_parameters(self):
        with self.assertRaises(ValueError):
            semantic_sink(model="cnn", sample_rate=0)
        with self.assertRaises(ValueError):
            semantic_sink(model="cnn", runtime="tensorrt")


if __name__ == "__main__":
    gr_unittest.run(qa_semantic_sink)
