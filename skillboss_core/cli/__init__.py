"""`skillboss check`: the setup check a user runs to learn whether the key, the URL, the
network and the models work, and what to do when they do not.

The top layer: may import every other one.
"""
