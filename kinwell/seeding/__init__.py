"""Synthetic data for benchmarks: `kinwell seed --scale small|medium|large`.

Not a Django app: plain functions that fill a migrated, empty database
through bulk inserts. See registry.py for how a feature adds its data."""
