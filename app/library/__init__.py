"""The service below the use cases: matters, documents, jobs and their worker, uploads, access.

It knows stores and queues, not questions: nothing here imports app.answer or app.faces.
"""
