"""Slash commands: what each one does, and which worker runs it.

A message that starts with "/" is a command. The consumer looks its name up in
COMMANDS and hands it to the worker channel named there; the worker reading that
channel (chat/workers.py) runs it, and refuses a command meant for another one. No
message starts with "/" unless a command wrote it, so nobody can type a fake dice roll.
"""

import random
from collections.abc import Callable
from typing import NamedTuple

from django.db.models import Count

from . import presence

QUICK = "chat-commands"  # quick jobs: a sync worker, since they use the ORM
SLOW = "chat-reports"  # slow jobs, in a worker process of their own

HELP = """/help: this list
/who: who is in the room
/roll 2d6: roll two six-sided dice, for everyone to see
/summary: who wrote how much in this room"""

MAX_DICE = 20
MAX_SIDES = 1000


def parse(text):
    """'/roll 2d6' -> ('roll', '2d6')."""
    name, _, args = text.strip().removeprefix("/").partition(" ")
    return name.lower(), args.strip()


def parse_dice(args):
    """'2d6' -> (2, 6); ValueError with a message for the user otherwise."""
    count, d, sides = args.lower().partition("d")
    if not (d and count.isdecimal() and sides.isdecimal()):
        raise ValueError("Roll dice like this: /roll 2d6")
    count, sides = int(count), int(sides)
    if not (1 <= count <= MAX_DICE and 2 <= sides <= MAX_SIDES):
        raise ValueError(f"Roll 1 to {MAX_DICE} dice of 2 to {MAX_SIDES} sides.")
    return count, sides


def roll(count, sides, rng=random):
    return [rng.randint(1, sides) for _ in range(count)]


# Each command takes the room, the user and the text after its name. It returns the
# answer for the asker only, or a message it posted, which the whole room gets.


def show_help(room, user, args):
    return HELP


def who_is_here(room, user, args):
    return "Here now: " + ", ".join(presence.usernames(room.pk))


def roll_dice(room, user, args):
    try:
        count, sides = parse_dice(args)
    except ValueError as error:
        return str(error)
    dice = roll(count, sides)
    total = f" = {sum(dice)}" if count > 1 else ""
    # A message like any other, by the user who rolled: everyone sees it, now and later.
    return room.post(user, f"/roll {count}d{sides} → {' + '.join(map(str, dice))}{total}")


def summarize(room, user, args):
    # The database counts, but it reads every message of the room to do it: the time
    # grows with the room's history. That makes it a slow job, for the SLOW worker.
    counts = list(
        room.messages.values_list("author__username")
        .annotate(count=Count("pk"))
        .order_by("-count", "author__username")
    )
    if not counts:
        return "Nobody has written anything here yet."
    lines = [f"{name}: {count}" for name, count in counts]
    return f"{sum(count for _, count in counts)} messages\n" + "\n".join(lines)


class Command(NamedTuple):
    worker: str  # the channel of the worker that runs it, and of no other
    run: Callable  # run(room, user, args)


COMMANDS = {
    "help": Command(QUICK, show_help),
    "who": Command(QUICK, who_is_here),
    "roll": Command(QUICK, roll_dice),
    "summary": Command(SLOW, summarize),
}
