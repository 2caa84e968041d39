"""QA of semcom.gnuradio.digital_sink (GNU Radio Python with Sionna; run by test_gnuradio_blocks.py)."""

import importlib.util
import unittest

import pmt
from gnuradio import blocks, channels, gr, gr_unittest

from semcom.gnuradio.common import image_list, noise_voltage

HAVE_SIONNA = importlib.util.find_spec("sionna") is not None


@unittest.skipUnless(HAVE_SIONNA, "no Sionna in GNU Radio's Python (5G LDPC): see scripts/test.sh")
class qa_digital_sink(gr_unittest.TestCase):
    def run_link(self, snr_db):
        from semcom.gnuradio.digital_sink import digital_sink
        from semcom.gnuradio.digital_source import digital_source

        tb = gr.top_block()
        src = digital_source(codec="jpeg", mcs="ldpc1/2-16qam", repeat=False, level="unit-re")
        channel = channels.channel_model(noise_voltage=noise_voltage(snr_db), frequency_offset=800 / 1.92e6,
                                         epsilon=1.0, taps=[1.0], noise_seed=4, block_tags=False)
        sink = digital_sink(codec="jpeg", mcs="ldpc1/2-16qam")
        metrics = blocks.message_debug()
        tb.connect(src, channel, sink)
        tb.msg_connect((sink, "metrics"), (metrics, "store"))
        tb.run()
        return [pmt.to_python(metrics.get_message(i)) for i in range(metrics.num_messages())]

    def test_decodes_every_image_at_high_snr(self):
        rows = self.run_link(20.0)
        self.assertEqual([r["image"] for r in rows], [im.name for im in image_list("")])
        for r in rows:
            self.assertNotIn("error", r)
            self.assertGreater(r["psnr_db"], 20)  # JPEG at the cnn's budget: about 23-26 dB

    def test_below_the_code_threshold_frames_fail_their_crc(self):
        rows = self.run_link(3.0)  # 16-QAM rate 1/2 needs about 7 dB; the BPSK header still passes
        failed = [r for r in rows if "CRC" in r.get("error", "")]
        self.assertGreater(len(failed), 0)

    def test_bad_parameters(self):
        from semcom.gnuradio.digital_sink import digital_sink

        with self.assertRaises(ValueError):
            digital_sink(height=0)


if __name__ == "__main__":
    gr_unittest.run(qa_digital_sink)
