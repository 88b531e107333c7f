"""The platform-free core: knowledge, understanding a question, and time-aware answers.

Nothing here imports a chat platform, storage or asyncio; given the same text, knowledge base and
clock, it returns the same reply.
"""
