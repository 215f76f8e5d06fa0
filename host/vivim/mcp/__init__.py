"""VIVIM as a Model Context Protocol server: `vivim mcp` (server.py) over memory.py's tools."""
