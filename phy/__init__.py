"""Physical layer in torch: power normalisation and training channels.

Imports only torch and numpy; Sionna is optional and imported lazily where used.
"""
