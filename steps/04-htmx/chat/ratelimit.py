import time
from collections import deque


class RateLimiter:
    """Allows at most `limit` events in any `period` seconds (a sliding window)."""

    def __init__(self, limit, period, clock=time.monotonic):
        self.limit = limit
        self.period = period
        self.clock = clock
        self.times = deque()

    def allow(self):
        now = self.clock()
        while self.times and now - self.times[0] >= self.period:
            self.times.popleft()
        if len(self.times) >= self.limit:
            return False
        self.times.append(now)
        return True
