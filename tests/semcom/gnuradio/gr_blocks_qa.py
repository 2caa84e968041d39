"""QA of the semcom GNU Radio blocks; run by tests/radio/test_gnuradio_blocks.py with a Python that
has GNU Radio and semcom-sdr (the .venv-gr environment). Prints one JSON line."""

import json
import sys

import pmt
from gnuradio import blocks, channels, gr

from radio.gnuradio import semcom_blocks


class QA(gr.top_block):
    def __init__(self, n):
        gr.top_block.__init__(self)
        self.src = semcom_blocks.jscc_frame_source(model="cnn", sample_rate=1.92e6)
        self.head = blocks.head(gr.sizeof_gr_complex, n)
        self.channel = channels.channel_model(noise_voltage=0.01, frequency_offset=1500 / 1.92e6, epsilon=1.0,
                                              taps=[1.0], noise_seed=1, block_tags=False)
        self.sink = semcom_blocks.jscc_frame_sink(model="cnn", sample_rate=1.92e6)
        self.store = blocks.message_debug()
        self.connect(self.src, self.head, self.channel, self.sink)
        self.msg_connect((self.sink, semcom_blocks.FRAMES_PORT), (self.store, "store"))


qa = QA(int(sys.argv[1]) if len(sys.argv) > 1 else 60000)
qa.run()
frames = [pmt.to_python(qa.store.get_message(i)) for i in range(qa.store.num_messages())]
print(json.dumps({"frames": frames, "frame_length": qa.sink.frame_length}))
