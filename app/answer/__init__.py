"""The use cases: ask, summarize, compare, describe, pages, exports, evaluation.

Each calls the library for documents and `session` for the model; nothing here prints or speaks HTTP.
"""
