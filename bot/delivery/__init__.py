"""Delivery: daily digests, spike alerts and admin broadcasts, all through one rate-limited sender."""
