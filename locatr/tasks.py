from locatr.celery import shared_task


@shared_task(name="locatr.ping")
def ping(token: str = "") -> str:
    """Round trip for health checks and the real-worker test."""
    return f"pong:{token}"
