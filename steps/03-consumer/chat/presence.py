"""Who has a room open, counted in this server process's memory.

Like the in-memory channel layer, this works for one server process only, and like
it, it starts empty when the server restarts: nobody whose tab closed during a crash
or a `runserver` reload stays listed. Several tabs of one user count once.
"""

from collections import Counter, defaultdict

# room id -> username -> number of open websockets
_open_sockets = defaultdict(Counter)


def arrive(room_id, username):
    _open_sockets[room_id][username] += 1


def leave(room_id, username):
    sockets = _open_sockets[room_id]
    sockets[username] -= 1
    if sockets[username] <= 0:
        del sockets[username]


def usernames(room_id):
    return sorted(_open_sockets[room_id])
