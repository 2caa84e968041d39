"""QA of semcom.gnuradio.digital_source (GNU Radio Python with Sionna; run by test_gnuradio_blocks.py)."""

import importlib.util
import unittest

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

from semcom.gnuradio.common import image_list

HAVE_SIONNA = importlib.util.find_spec("sionna") is not None


@unittest.skipUnless(HAVE_SIONNA, "no Sionna in GNU Radio's Python (5G LDPC): see scripts/test.sh")
class qa_digital_source(gr_unittest.TestCase):
    def test_digital_frames_of_every_image_then_end(self):
        from semcom.gnuradio.digital_source import digital_source

        src = digital_source(codec="jpeg", mcs="ldpc1/2-qpsk", repeat=False, level="unit-re", spacing=100)
        tb = gr.top_block()
        sink = blocks.vector_sink_c()
        tb.connect(src, sink)
        tb.run()
        x = np.array(sink.data())
        tags = [pmt.to_python(t.value) for t in sink.tags()]
        self.assertEqual([t["image"] for t in tags], [im.name for im in image_list("")])
        received = src.trx.receive_all(x[None], src._baselines[(32, 32)])
        self.assertEqual([r.header.scheme for r in received], [1] * len(tags))  # digital frames
        self.assertEqual([r.error for r in received], [None] * len(tags))  # noiseless: every CRC passes
        self.assertTrue(all(np.array_equal(r.image.shape, (32, 32, 3)) for r in received))

    def test_bad_codec_or_mcs(self):
        from semcom.gnuradio.digital_source import digital_source

        with self.assertRaises(ValueError):
            digital_source(codec="gif")
        with self.assertRaises(ValueError):
            digital_source(mcs="ldpc9/10-1024qam")


if __name__ == "__main__":
    gr_unittest.run(qa_digital_source)
