"""Wake this process's training workers when a training is submitted (see `wakeups`)."""

from __future__ import annotations

from widget.server.core.wakeups import Wakers

TRAINING_WAKERS = Wakers()
add_training_waker = TRAINING_WAKERS.add
remove_training_waker = TRAINING_WAKERS.remove
wake_training_workers = TRAINING_WAKERS.wake_all
