"""The Discord door: slash commands under /optout, direct messages, and reminder delivery."""
