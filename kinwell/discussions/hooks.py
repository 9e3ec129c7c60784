"""What other apps may hear from discussions, without discussions knowing
them: notifications registers here from its AppConfig.ready. Each list holds
functions called in order."""

from collections.abc import Callable
from typing import Any

from kinwell.communities.models import Community
from kinwell.discussions.models import Thread

# A post became visible to readers (a new post, or a held one approved);
# called inside the transaction that publishes it, with the post's id. A
# listener records work to do (a task in the database queue, which the worker
# sees once the transaction commits) and never sends anything itself.
post_published: list[Callable[[int], None]] = []
# A signed-in reader opened a page of a thread.
thread_read: list[Callable[[Any, Thread], None]] = []
# A moderator moved a thread to a sibling community (inside the move's
# transaction, after the thread's own rows have moved).
thread_moved: list[Callable[[Thread, Community], None]] = []
