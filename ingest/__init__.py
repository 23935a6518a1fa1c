"""PDF (and .txt/.md) → clean pages → structured chunks → embeddings → store."""
