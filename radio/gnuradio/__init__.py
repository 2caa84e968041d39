"""GNU Radio flowgraphs that carry no model: ``zmq_channel.py``, the medium of
``semcom ota --radio zmq``. The blocks that carry a model or a codec are application
code and live in ``semcom/gnuradio``."""
