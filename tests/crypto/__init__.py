"""Tests of refuge.crypto: plain pytest and hypothesis, no Django.

Hypothesis tests run without a deadline: a loaded CI machine is slow, not wrong.
KDF and Shamir tests use TEST_KDF and few examples, so the package runs in seconds.
"""
