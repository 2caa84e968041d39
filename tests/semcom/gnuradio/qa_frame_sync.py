"""QA of semcom.gnuradio.frame_sync (GNU Radio Python; run by test_gnuradio_blocks.py)."""

import numpy as np
import pmt
from gnuradio import blocks, channels, gr, gr_unittest

from semcom.gnuradio.common import noise_voltage
from semcom.gnuradio.frame_sync import CONSTELLATION_PORT, SYNC_PORT, SYNC_TAG, frame_sync
from semcom.gnuradio.semantic_source import FRAME_TAG, semantic_source


class qa_frame_sync(gr_unittest.TestCase):
    def test_tags_every_frame_with_its_estimates(self):
        tb = gr.top_block()
        src = semantic_source(model="cnn", repeat=False, level="unit-re")
        channel = channels.channel_model(noise_voltage=noise_voltage(15.0), frequency_offset=-2500 / 1.92e6,
                                         epsilon=1.0, taps=[1.0], noise_seed=5, block_tags=False)
        before, after = blocks.vector_sink_c(), blocks.vector_sink_c()
        sync = frame_sync(sample_rate=1.92e6)
        store, const = blocks.message_debug(), blocks.message_debug()
        tb.connect(src, channel, before)
        tb.connect(channel, sync, after)
        tb.msg_connect((sync, SYNC_PORT), (store, "store"))
        tb.msg_connect((sync, CONSTELLATION_PORT), (const, "store"))
        tb.run()
        x, y = np.array(before.data()), np.array(after.data())
        np.testing.assert_array_equal(y[sync.lookahead:], x[:len(x) - sync.lookahead])  # delayed, unchanged
        sent = [t.offset for t in after.tags() if pmt.symbol_to_string(t.key) == FRAME_TAG]
        found = [pmt.to_python(t.value) for t in after.tags() if pmt.symbol_to_string(t.key) == SYNC_TAG]
        self.assertEqual(len(found), len(sent))
        for offset, est in zip(sent, found):
            self.assertLessEqual(abs(est["offset"] - offset), 4)  # the source's tag moved by the same delay
            self.assertLess(abs(est["cfo_hz"] + 2500), 200)
            self.assertLess(abs(est["snr_db"] - 15.0), 2.0)
        self.assertEqual([pmt.to_python(store.get_message(i)) for i in range(store.num_messages())], found)
        z = np.array(pmt.c32vector_elements(pmt.cdr(const.get_message(0))))
        self.assertLess(np.mean(np.abs(np.abs(z.real) - 1)), 0.25)  # BPSK at +-1 after equalisation

    def test_noise_alone_gives_no_detection(self):
        rng = np.random.default_rng(1)
        noise = (rng.normal(size=60000) + 1j * rng.normal(size=60000)).astype(np.complex64)
        tb = gr.top_block()
        sync = frame_sync()
        tb.connect(blocks.vector_source_c(noise.tolist()), sync, blocks.null_sink(gr.sizeof_gr_complex))
        tb.run()
        self.assertEqual(sync.detections, 0)

    def test_threshold_setter(self):
        sync = frame_sync()
        sync.set_threshold(0.5)
        self.assertEqual(sync.threshold, 0.5)
        with self.assertRaises(ValueError):
            sync.set_threshold(1.5)


if __name__ == "__main__":
    gr_unittest.run(qa_frame_sync)
