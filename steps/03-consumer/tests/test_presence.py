from chat import presence


def test_each_user_counts_once_until_their_last_tab_leaves():
    presence.arrive(1, "bob")
    presence.arrive(1, "alice")
    presence.arrive(1, "alice")
    presence.arrive(2, "carol")
    assert presence.usernames(1) == ["alice", "bob"]
    presence.leave(1, "alice")
    assert presence.usernames(1) == ["alice", "bob"]
    presence.leave(1, "alice")
    presence.leave(1, "bob")
    assert presence.usernames(1) == []
    assert presence.usernames(2) == ["carol"]
    presence.leave(2, "carol")
