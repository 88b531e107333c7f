"""Operations: the local HTTP endpoint (health, readiness, metrics, reload) and logging."""
