"""The faces: CLI, Streamlit UI, HTTP API and MCP.

A face turns a request into a use-case call and its result (or failure) into output through `present`.
"""
