"""GNU Radio blocks of semcom-sdr (application layer: they carry a model or a codec).

One module per block, each importable only where GNU Radio is (``semantic_source``,
``semantic_sink``, ``digital_source``, ``digital_sink``, ``pa_model``, ``frame_sync``); their GRC
definitions in ``grc/``, example flowgraphs in ``examples/``; ``semcom gr install|doctor`` in
``cli``. ``common`` and ``stream`` hold what the blocks share and import no GNU Radio. The
model-free ZMQ channel flowgraph stays in ``radio/gnuradio``.
"""
