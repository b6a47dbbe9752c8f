"""Qamqor: coordinating help for people in need in Kazakhstan."""
