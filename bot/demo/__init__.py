"""Offline demo: bundled sample news feeds served on loopback and polled through the real pipeline."""
