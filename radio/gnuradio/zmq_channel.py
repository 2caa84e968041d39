#!/usr/bin/env python3
"""A GNU Radio flowgraph that is the medium for ``semcom ota --radio zmq``.

    python3 radio/gnuradio/zmq_channel.py --snr-db 20 --cfo-hz 2000

ZMQ PULL Source (connects to our TX PUSH) -> Throttle (real-time pace) ->
Channel Model (AWGN, frequency offset, timing offset) -> ZMQ PUSH Sink (binds;
our RX PULL connects). Run it with the Python that has GNU Radio (Debian's
python3 with the gnuradio package); it does not import semcom-sdr. Addresses
default to loopback. Replace the channel model with a Pluto/USRP sink and
source to put a real radio in the loop.
"""

import argparse
import math
import signal
import sys

from gnuradio import blocks, channels, gr, zeromq


class ZmqChannel(gr.top_block):
    def __init__(self, tx_address, rx_address, sample_rate, snr_db, signal_power, cfo_hz, seed):
        gr.top_block.__init__(self, "semcom-sdr zmq channel")
        noise_voltage = math.sqrt(signal_power * 10 ** (-snr_db / 10))
        source = zeromq.pull_source(gr.sizeof_gr_complex, 1, tx_address, 100, False, 2)  # hwm: 2 messages
        throttle = blocks.throttle(gr.sizeof_gr_complex, sample_rate, True)
        channel = channels.channel_model(noise_voltage=noise_voltage, frequency_offset=cfo_hz / sample_rate,
                                         epsilon=1.0, taps=[1.0 + 0.0j], noise_seed=seed, block_tags=False)
        sink = zeromq.push_sink(gr.sizeof_gr_complex, 1, rx_address, 100, False, 2)  # little backlog
        self.connect(source, throttle, channel, sink)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tx-address", default="tcp://127.0.0.1:49201", help="where semcom's TX PUSH socket binds")
    p.add_argument("--rx-address", default="tcp://127.0.0.1:49202", help="where this flowgraph's sink binds")
    p.add_argument("--sample-rate", type=float, default=1.92e6)
    p.add_argument("--snr-db", type=float, default=20.0)
    p.add_argument("--signal-power", type=float, default=0.05, help="mean power of the incoming signal")
    p.add_argument("--cfo-hz", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    tb = ZmqChannel(args.tx_address, args.rx_address, args.sample_rate, args.snr_db, args.signal_power,
                    args.cfo_hz, args.seed)
    tb.start()
    print("flowgraph running", flush=True)

    def stop(*_):
        tb.stop()
        tb.wait()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.pause()


if __name__ == "__main__":
    main()
