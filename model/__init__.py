"""Every LLM backend behind one small interface; prices and usage accounting."""
