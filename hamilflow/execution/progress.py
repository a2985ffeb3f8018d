"""A progress bar over a run's task instances (``Builder().with_progress_bar()``)."""

from __future__ import annotations


class Progress:
    """A tqdm bar over task instances, growing as blocks expand (tqdm is optional).

    Growing the total does not redraw (a block of 40,000 items would draw 40,000 times);
    tqdm redraws on progress, at most every ``mininterval``, and the bar is left on
    screen at the end with the count of instances done.
    """

    def __init__(self) -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError:  # pragma: no cover - tqdm is a declared dependency
            self.bar = None
        else:
            self.bar = tqdm(total=0, unit="task", desc="hamilflow")

    def add(self, count: int) -> None:
        if self.bar is not None:
            self.bar.total += count

    def done(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
