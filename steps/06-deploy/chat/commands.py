"""Slash commands: which worker runs each one, and the parts that need no database.

A message that starts with "/" is a command. The consumer hands it to the worker
channel named here, and chat/workers.py runs it. No message starts with "/"
unless a command wrote it, so nobody can type a fake dice roll.
"""

import random

QUICK = "chat-commands"  # quick jobs: a sync worker, since they use the ORM
SLOW = "chat-reports"  # slow jobs, in a worker process of their own

WORKERS = {"help": QUICK, "who": QUICK, "roll": QUICK, "summary": SLOW}

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
