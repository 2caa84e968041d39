"""Radios: numpy complex64 IQ in and out behind one interface (issue 4).

Knows nothing of models. Backends (sim, pluto, usrp, file, zmq) are not built yet.
"""
