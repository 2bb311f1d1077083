"""Shipped model artifacts of the learned detectors (package data)."""
