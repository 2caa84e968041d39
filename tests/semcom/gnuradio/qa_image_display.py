"""QA of semcom.gnuradio.image_display (GNU Radio Python with PyQt5, offscreen; run by test_gnuradio_blocks.py)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pmt
from gnuradio import gr_unittest
from PyQt5 import QtWidgets

from semcom.gnuradio.image_display import image_display


class qa_image_display(gr_unittest.TestCase):
    def test_shows_image_pdus_and_drops_others(self):
        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
        block = image_display(scale=4)
        pixels = np.arange(8 * 6 * 3, dtype=np.uint8).reshape(8, 6, 3)
        block.handle_image(pmt.cons(pmt.to_pmt({"height": 8, "width": 6}),
                                    pmt.init_u8vector(pixels.size, pixels.ravel())))
        block.handle_image(pmt.cons(pmt.PMT_NIL, pmt.init_u8vector(3, [1, 2, 3])))  # not an image: dropped
        app.processEvents()
        self.assertEqual(block.shown, 1)
        pixmap = block.widget.pixmap()
        self.assertEqual((pixmap.width(), pixmap.height()), (24, 32))
        rgb = pixmap.toImage().pixelColor(4 * 2, 4 * 3)  # pixel (row 3, col 2), enlarged 4x
        self.assertEqual((rgb.red(), rgb.green(), rgb.blue()), tuple(int(v) for v in pixels[3, 2]))
        with self.assertRaises(ValueError):
            image_display(scale=0)


if __name__ == "__main__":
    gr_unittest.run(qa_image_display)
