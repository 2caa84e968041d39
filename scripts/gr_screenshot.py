"""Grab the QT GUI of a compiled example flowgraph after it has run a while (offscreen, no display needed).

    GRC_BLOCKS_PATH=semcom/gnuradio/grc .venv-gr/bin/python /usr/bin/grcc -o /tmp semcom/gnuradio/examples/semcom_loopback_gui.grc
    .venv-gr/bin/python scripts/gr_screenshot.py /tmp/semcom_loopback_gui.py docs/images/gnuradio_loopback_gui.png
"""

import argparse
import importlib.util
import os
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("flowgraph", help="a Python file grcc generated from a qt_gui flowgraph")
    p.add_argument("png", help="where to write the screenshot")
    p.add_argument("--seconds", type=float, default=15.0, help="run this long before the grab")
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt5 import Qt, QtCore

    spec = importlib.util.spec_from_file_location("flowgraph", args.flowgraph)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = Qt.QApplication(sys.argv[:1])
    name = os.path.splitext(os.path.basename(args.flowgraph))[0]
    tb = getattr(module, name)()
    tb.start()
    tb.resize(1400, 800)
    tb.show()

    def grab():
        tb.grab().save(args.png)
        tb.stop()
        tb.wait()
        app.quit()

    QtCore.QTimer.singleShot(int(args.seconds * 1000), grab)
    app.exec_()
    print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
