"""The areas of the Streamlit UI (app/faces/ui/main.py draws the frame). They draw; app/ decides."""
