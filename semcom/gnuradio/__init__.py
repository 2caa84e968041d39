"""GNU Radio blocks of semcom-sdr (application layer: they carry a model or a codec).

One module per block, each importable only where GNU Radio is: ``semantic_source``,
``semantic_sink``, ``digital_source``, ``digital_sink``, ``pa_model``, ``clip_filter``,
``frame_sync`` and ``image_display`` (QT GUI). Their GRC definitions are in ``grc/``, example
flowgraphs in ``examples/``, ``semcom gr install|doctor`` in ``cli``. ``common``, ``stream`` and
``hardware`` (the examples' radio settings from ``hw_configs/*.yaml``) import no GNU Radio. The
model-free ZMQ channel flowgraph stays in ``radio/gnuradio``.
"""
