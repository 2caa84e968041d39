"""GNU Radio integration: the blocks in ``semcom_blocks`` (import it only where
GNU Radio is installed), their GRC definitions in ``grc/``, example flowgraphs
in ``examples/``, and ``zmq_channel.py``, a flowgraph to use as the medium of
``semcom ota --radio zmq``."""
