"""Registering VIVIM's native-messaging host with browsers, and checking it works.

`machine` describes the computer (a value, so tests can describe others), `browsers` where each
browser looks for host manifests, `manifests` and `launcher` what we write there, `registry`
the Windows keys, `installer` install/uninstall, `discover` and `doctor` the checks.
"""
