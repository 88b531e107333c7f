"""Operations: the local HTTP endpoint (health, readiness, metrics, reload) and logging."""


class EndpointUnavailable(RuntimeError):
    """The operations endpoint cannot listen where its settings say; one line. Here rather
    than in bot.ops.http so that the command line catches it without importing aiohttp."""
