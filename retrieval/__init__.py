"""Hybrid search, fusion, the long-context packer, token counting, evaluation."""
