"""GNU Radio QT GUI block: shows the images of image PDUs (``semantic_sink``/``digital_sink``'s
``image`` port: u8vector of H*W*3 bytes, metadata ``height``, ``width``), enlarged ``scale`` times.
The widget is ``self.widget`` (a QLabel); GRC places it with the block's GUI hint. A PDU that is
not an image is logged and dropped."""

from __future__ import annotations

import numpy as np
import pmt
from gnuradio import gr
from PyQt5 import QtCore, QtGui, QtWidgets

from .common import image_from_pdu

IMAGE_PORT = "image"


class _Bridge(QtCore.QObject):
    """Carries an image from GNU Radio's message thread to the GUI thread."""

    show = QtCore.pyqtSignal(object)


class image_display(gr.basic_block):  # lower case: GNU Radio's naming
    """:param label: caption above the image. :param scale: integer enlargement (>= 1)."""

    def __init__(self, label="Received image", scale=8):
        gr.basic_block.__init__(self, name="semcom_image_display", in_sig=None, out_sig=None)
        if int(scale) < 1:
            raise ValueError(f"scale must be >= 1, got {scale}")
        self.scale, self.label, self.shown = int(scale), str(label), 0
        self.widget = QtWidgets.QLabel(self.label)
        self.widget.setAlignment(QtCore.Qt.AlignCenter)
        self._bridge = _Bridge()
        self._bridge.show.connect(self._paint)
        self.message_port_register_in(pmt.intern(IMAGE_PORT))
        self.set_msg_handler(pmt.intern(IMAGE_PORT), self.handle_image)

    def handle_image(self, msg) -> None:
        try:
            pixels = image_from_pdu(pmt.to_python(pmt.car(msg)) or {}, pmt.u8vector_elements(pmt.cdr(msg)))
        except Exception as exc:  # never out of a handler: log and drop
            self.logger.warn(f"PDU dropped: {exc}")
            return
        self.shown += 1
        self._bridge.show.emit(np.ascontiguousarray(pixels.repeat(self.scale, 0).repeat(self.scale, 1)))

    def _paint(self, pixels: np.ndarray) -> None:
        h, w, _ = pixels.shape
        image = QtGui.QImage(pixels.data, w, h, 3 * w, QtGui.QImage.Format_RGB888).copy()
        self.widget.setPixmap(QtGui.QPixmap.fromImage(image))
        self.widget.setToolTip(f"{self.label}: {self.shown} images")
