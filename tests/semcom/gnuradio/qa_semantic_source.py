"""QA of semcom.gnuradio.semantic_source (GNU Radio Python; run by test_gnuradio_blocks.py)."""

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

from semcom.gnuradio.common import image_list
from semcom.gnuradio.semantic_source import FRAME_TAG, IMAGE_PORT, semantic_source


def run_source(src, limit=None):
    tb = gr.top_block()
    sink = blocks.vector_sink_c()
    if limit:
        head = blocks.head(gr.sizeof_gr_complex, limit)
        tb.connect(src, head, sink)
    else:
        tb.connect(src, sink)
    tb.run()
    return np.array(sink.data()), [(t.offset, pmt.to_python(t.value)) for t in sink.tags()
                                   if pmt.symbol_to_string(t.key) == FRAME_TAG]


class qa_semantic_source(gr_unittest.TestCase):
    def test_sends_every_bundled_image_once_then_ends(self):
        src = semantic_source(model="cnn", repeat=False, level="unit-re")
        x, tags = run_source(src)
        names = [im.name for im in image_list("")]
        self.assertEqual([t["image"] for _, t in tags], names)
        self.assertEqual([t["seq"] for _, t in tags], list(range(len(names))))
        length = tags[1][0] - tags[0][0]
        self.assertEqual(len(x), tags[-1][0] + 3 * length)  # the last frame, then two frames of zeros
        self.assertFalse(np.any(x[tags[-1][0] + length:]))
        preamble = src.trx.preamble.samples.numpy()
        ratio = np.mean(np.abs(x[:len(preamble)]) ** 2) / np.mean(np.abs(preamble) ** 2)
        self.assertAlmostEqual(ratio, 1.0, places=4)  # unit energy per resource element

    def test_peak_level_is_what_semcom_ota_sends(self):
        x, tags = run_source(semantic_source(model="cnn", repeat=True, level="peak"), limit=20000)
        self.assertAlmostEqual(float(np.abs(x).max()), 0.7, places=4)
        self.assertGreater(len(tags), 3)  # 20000 samples: five frames and a part
        self.assertTrue(all(0 < t["re_amplitude"] < 1 for _, t in tags))

    def test_image_pdus_are_sent_and_bad_ones_dropped(self):
        src = semantic_source(model="cnn", images="none", repeat=False, level="unit-re")
        pixels = image_list("")[0].pixels
        good = pmt.cons(pmt.to_pmt({"height": 32, "width": 32, "name": "mine"}),
                        pmt.init_u8vector(pixels.size, pixels.ravel()))
        bad = pmt.cons(pmt.to_pmt({"height": 5, "width": 5}), pmt.init_u8vector(3, [1, 2, 3]))
        src.handle_image(bad)  # logged, dropped: nothing raised
        src.handle_image(good)
        self.assertEqual(len(src.queue), 1)
        x, tags = run_source(src, limit=12000)
        self.assertEqual([t["image"] for _, t in tags], ["mine"])
        self.assertFalse(np.any(x[tags[0][0] + 5000:]))  # idle: zeros after the one frame
        self.assertIn(IMAGE_PORT, pmt.to_python(src.message_ports_in()))

    def test_tx_snr_setter_and_bad_parameters(self):
        src = semantic_source(model="cnn")
        src.set_tx_snr_db(3.0)
        self.assertEqual(src.trx.tx_snr_db, 3.0)
        with self.assertRaises(ValueError):
            semantic_source(model="cnn", level="loud")
        with self.assertRaises(ValueError):
            semantic_source(model="cnn", runtime="tensorrt")
        with self.assertRaises(ValueError):
            semantic_source(model="cnn", spacing=-1)


if __name__ == "__main__":
    gr_unittest.run(qa_semantic_source)
