"""The local web app: read, search and manage what VIVIM captured, in a real browser.

aiohttp serves a static page (no build step) and a REST API under /api/ on 127.0.0.1 only.
Every request must carry the token kept in the data directory, and requests whose Host or
Origin is not this server's own are refused, so neither another site nor a DNS-rebinding
attack can read the user's conversations. aiohttp is imported only by these modules, which
the singleton process loads after start-up (see vivim.services).
"""
