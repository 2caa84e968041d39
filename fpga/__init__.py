"""FPGA path: HLS export (hls4ml) of the CNN JSCC bodies, C simulation and a resource estimate.

- :mod:`fpga.fold`: the encoder and decoder with SNR FiLM folded into the convolutions at one SNR;
- :mod:`fpga.estimate`: DSP / BRAM / fps from layer shapes and reuse factors (no vendor tools);
- :mod:`fpga.hls`: hls4ml configuration (profiled precisions, rounding, saturation) and conversion;
- :mod:`fpga.export`: ``semcom fpga export`` end to end, writing ``report.json``.

Imports ``semcom``; nothing imports ``fpga`` (``semcom fpga`` loads it inside its handler).
"""
