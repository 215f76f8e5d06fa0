"""VIVIM: your AI conversations, captured, searchable and synced between your own devices.

Nothing heavy is imported here: the native-messaging host's cold start depends on it.
"""

__version__ = "0.1.0"
