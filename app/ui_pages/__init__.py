"""The areas of the Streamlit UI (app/ui.py draws the frame). They draw; app/ decides."""
