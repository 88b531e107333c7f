"""The terminal chat: the door that needs no token."""
