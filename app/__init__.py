"""Use cases (ask, summarize, compare, export), the CLI and the Streamlit UI."""
